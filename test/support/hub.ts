import fs from 'node:fs';
import { expect } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { createAuthentication } from '../../src/access/auth';
import type { HubSettings } from '../../src/graphql/context';
import { silentLogger, type Logger } from '../../src/logger';
import { createHub, type Hub, type OperationsSettings } from '../../src/server';
import { createTestDatabase, type TestDatabase } from './database';

export interface GraphQLResponse<T = any> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; [k: string]: unknown } }> };
}

/** The settings the tests run with (the defaults of src/config.ts). */
export const TEST_SETTINGS: HubSettings = {
  maxCodesPerList: 500,
  disclosureThreshold: 3,
  maxCells: 250_000,
  maxCost: 20_000,
  maxDepth: 10,
  maxAliases: 30,
  maxDirectives: 30,
  maxTokens: 5_000,
  maxAnonymousBody: 131_072,
  hideSuggestions: false,
  introspection: true,
  // As the hub decides it from DATABASE_URL: COPY on a server, batched INSERTs on PGlite.
  stageWithCopy: process.env.DATABASE_URL !== undefined,
};

export interface TestHub {
  database: TestDatabase;
  hub: Hub;
  baseUrl: string;
  /** The hub's DATA_DIR (a temporary folder): holds the demo signing key (DemoIssuer.load). */
  dataDir: string;
  /** name → bearer credential of every demo identity and the demo API key (GET /demo/tokens). */
  tokens: Record<string, string>;
  /** POSTs a GraphQL request to the real HTTP server, as the public or as a demo identity; the answer's bytes as text. */
  raw(query: string, variables?: Record<string, unknown>, as?: string): Promise<{ status: number; text: string }>;
  /** `raw`, the answer parsed. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, as?: string): Promise<GraphQLResponse<T>>;
  /** Like `gql`, for a request that must succeed: fails the test on any error; returns `data`. */
  data<T = any>(query: string, variables?: Record<string, unknown>, as?: string): Promise<T>;
  /** Like `gql`, for a request that must fail with exactly one error; returns the response. */
  failure(query: string, variables?: Record<string, unknown>, as?: string): Promise<GraphQLResponse & { error: NonNullable<GraphQLResponse['body']['errors']>[number] }>;
  close(): Promise<void>;
}

/**
 * The real hub (same server code as `npm start`) on a free loopback port, over this file's own
 * database; `settings` overrides some of TEST_SETTINGS (e.g. a small cell limit); `opts` gives a
 * logger to read (default: none) and the operations settings (default: no rate limits).
 */
export async function startTestHub(settings: Partial<HubSettings> = {}, opts: { log?: Logger; operations?: Partial<OperationsSettings> } = {}): Promise<TestHub> {
  const database = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-test-hub-'));
  const log = opts.log ?? silentLogger;
  const { auth, demo } = await createAuthentication({ demoMode: true, dataDir, db: database.db, log });
  const hub = await createHub({ db: database.db, publicPool: database.publicPool, log, config: { ...TEST_SETTINGS, ...settings }, auth, demo, operations: opts.operations });
  const tokens = await demo!.tokens();
  const port = await hub.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  const raw = async (query: string, variables?: Record<string, unknown>, as?: string) => {
    const res = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${tokens[as]}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, text: await res.text() };
  };
  const gql = async (query: string, variables?: Record<string, unknown>, as?: string) => {
    const { status, text } = await raw(query, variables, as);
    return { status, body: JSON.parse(text) };
  };
  return {
    database,
    hub,
    baseUrl,
    dataDir,
    tokens,
    raw,
    gql,
    async data(query, variables, as) {
      const res = await gql(query, variables, as);
      expect(res.body.errors).toBeUndefined();
      expect(res.status).toBe(200);
      return res.body.data;
    },
    async failure(query, variables, as) {
      const res = await gql(query, variables, as);
      expect(res.body.errors).toHaveLength(1);
      return { ...res, error: res.body.errors![0] };
    },
    async close() {
      await hub.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
