import type { DataSource } from 'typeorm';
import { ConfigError, type Config } from '../config';
import type { Logger } from '../logger';
import { createDataSource, redactUrl, runMigrations } from './data-source';
import { DataDirError, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded';
import { PublicPool } from './public-pool';

/** A start-up failure with a message fit for one log line (no stack, no password). */
export class StartupError extends Error {}

/**
 * Ends a command line program (`kobi-hub`, `kobi-seed`) that failed to start: the known failures
 * (configuration, database, DATA_DIR) in one line, anything else with its stack; exit code 1.
 */
export function exitAfterStartupFailure(program: string, err: unknown): never {
  const known = err instanceof ConfigError || err instanceof StartupError || err instanceof DataDirError;
  process.stderr.write(`${program}: ${known ? (err as Error).message : (err as Error).stack || String(err)}\n`);
  process.exit(1);
}

export interface OpenDatabase {
  db: DataSource;
  /** The public's pool (src/db/public-pool.ts): on a PostgreSQL server only. */
  publicPool?: PublicPool;
  /** Set when running on embedded PGlite. */
  embedded?: EmbeddedPostgres & { fresh: boolean };
  /** Closes both pools (or the embedded database). */
  close(): Promise<void>;
}

/**
 * Connects to the configured database: the server named by DATABASE_URL, or embedded PGlite in
 * DATA_DIR. Applies pending migrations (as MIGRATION_DATABASE_URL's user on a server) before the
 * request pool opens, so that requests never see a half-migrated schema. On a server it also opens
 * the public's pool and checks one of its connections: a set-up whose public connections would not
 * run as kobi_app without an organization (PublicConnectionRefused) does not start.
 */
export async function openDatabase(config: Config, log: Logger): Promise<OpenDatabase> {
  let embedded: (EmbeddedPostgres & { fresh: boolean }) | undefined;
  let url = config.databaseUrl;
  let migrationUrl = config.migrationDatabaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
    url = migrationUrl = embedded.url;
    log.info('embedded Postgres (PGlite) started', { dataDir: config.dataDir, fresh: embedded.fresh });
  }
  const timeouts = { connectTimeoutSeconds: config.connectTimeoutSeconds };
  let db: DataSource | undefined;
  let publicPool: PublicPool | undefined;
  try {
    const applied = await runMigrations({ url: migrationUrl!, ...timeouts });
    if (applied.length) log.info('migrations applied', { migrations: applied });
    const pool = {
      url,
      ...timeouts,
      poolSize: config.poolSize,
      statementTimeoutSeconds: config.statementTimeoutSeconds,
      idleInTransactionTimeoutSeconds: config.idleInTransactionTimeoutSeconds,
      onIdleConnectionError: (err: Error) => log.warn('an idle database connection was lost; the pool opens a new one when needed', { err: err.message }),
    };
    db = createDataSource(pool);
    await db.initialize();
    if (!embedded) {
      publicPool = new PublicPool(pool);
      await publicPool.check();
    }
  } catch (err) {
    await publicPool?.end();
    if (db?.isInitialized) await db.destroy();
    await embedded?.stop();
    const where = config.databaseUrl ? redactUrl(migrationUrl === url ? url : `${migrationUrl}`) : 'the embedded database';
    throw new StartupError(`cannot use the database at ${where}: ${(err as Error).message || String(err)}`);
  }
  return {
    db,
    publicPool,
    embedded,
    async close() {
      await publicPool?.end();
      await db.destroy();
      await embedded?.stop();
    },
  };
}
