import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../../src/db/data-source';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded';
import { PublicPool } from '../../src/db/public-pool';
import { seedDemoData } from '../../seeds/seed';

const TEST_CONNECT_TIMEOUT_SECONDS = 60;

export interface TestDatabase {
  db: DataSource;
  /** The public's pool, as the hub opens it on a server (src/db/open.ts); none on the embedded database. */
  publicPool?: PublicPool;
  /** Connection URL of this file's database. */
  url: string;
  /** `embedded` (own PGlite) or `server` (own database on DATABASE_URL's server). */
  mode: 'embedded' | 'server';
  close(): Promise<void>;
}

/**
 * A database of this test file's own, migrated and seeded with the demo data (DESIGN §7):
 * - without DATABASE_URL: a PGlite in memory, served on its own loopback port (pglite-socket
 *   ignores database names, so databases on one PGlite would not isolate anything);
 * - with DATABASE_URL: a fresh database `kobi_test_<random>` on that server, dropped at close.
 */
export async function createTestDatabase(opts: { seed?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  let url: string;
  let embedded: EmbeddedPostgres | undefined;
  let dropName: string | undefined;
  if (serverUrl) {
    dropName = `kobi_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dropName}`);
    await admin.end();
    const u = new URL(serverUrl);
    u.pathname = `/${dropName}`;
    url = u.toString();
  } else {
    embedded = await startEmbeddedPostgres();
    url = embedded.url;
  }
  // node-postgres applies the connect timeout to waiting for a pooled connection too. The embedded
  // database serializes transactions, so a test that fires 120 requests at once queues most of
  // them; on a loaded CI machine that wait passed 10 s (503 SERVICE_UNAVAILABLE). Tests of the
  // timeout itself set their own (test/db-faults.test.ts).
  await runMigrations({ url, connectTimeoutSeconds: TEST_CONNECT_TIMEOUT_SECONDS });
  const db = createDataSource({ url, connectTimeoutSeconds: TEST_CONNECT_TIMEOUT_SECONDS });
  await db.initialize();
  if (opts.seed !== false) await seedDemoData(db);
  const publicPool = serverUrl ? new PublicPool({ url, connectTimeoutSeconds: TEST_CONNECT_TIMEOUT_SECONDS }) : undefined;
  return {
    db,
    publicPool,
    url,
    mode: serverUrl ? 'server' : 'embedded',
    async close() {
      await publicPool?.end();
      await db.destroy();
      await embedded?.stop();
      if (dropName) {
        const admin = new pg.Client({ connectionString: serverUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dropName} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}
