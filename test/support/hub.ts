import { silentLogger } from '../../src/logger';
import { createHub, type Hub } from '../../src/server';
import { createTestDatabase, type TestDatabase } from './database';

export interface GraphQLResponse<T = any> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [k: string]: unknown } }> };
}

export interface TestHub {
  database: TestDatabase;
  hub: Hub;
  baseUrl: string;
  /** POSTs a GraphQL request to the real HTTP server. */
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/** The real hub (same server code as `npm start`) on a free loopback port, over this file's own database. */
export async function startTestHub(): Promise<TestHub> {
  const database = await createTestDatabase();
  const hub = await createHub({ db: database.db, log: silentLogger, config: { maxCodesPerList: 500 } });
  const port = await hub.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    database,
    hub,
    baseUrl,
    async gql(query, variables) {
      const res = await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await hub.close();
      await database.close();
    },
  };
}
