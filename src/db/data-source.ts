import 'reflect-metadata';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './entities';

// `date` columns stay 'YYYY-MM-DD' strings: a JS Date at local midnight shifts the day in
// any time zone west of UTC, and period starts and validity dates are calendar days.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
// bigint ids arrive as strings by default; counts from COUNT(*) are far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DataSourceOptions {
  url: string;
  /** Give up connecting after this many seconds (node-postgres waits forever by default). */
  connectTimeoutSeconds: number;
  /** Pool size (default DEFAULT_POOL_SIZE; DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** Postgres cancels a statement after this many seconds (`statement_timeout`; unset or 0: never). */
  statementTimeoutSeconds?: number;
  /** Postgres ends a session idle in a transaction this long (`idle_in_transaction_session_timeout`; unset or 0: never). */
  idleInTransactionTimeoutSeconds?: number;
  /**
   * Told when a pooled connection that nobody uses fails (the server restarted, the network
   * dropped it). The pool has already discarded it; without a handler node-postgres would raise
   * it as an uncaught error and end the process (DESIGN §9).
   */
  onIdleConnectionError?: (err: Error) => void;
}

/** Removes the password from a connection URL so that it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Connections per pool when DATABASE_POOL_SIZE is not set. */
export const DEFAULT_POOL_SIZE = 10;

/**
 * Session settings that every connection of the hub starts with, before the URL's own `options`
 * (which may change them): JIT compilation off. The hub's statements are index scans over at most
 * QUERY_MAX_CELLS cells, where compiling cannot pay off; yet the series statement of a bulk pull
 * is estimated above `jit_above_cost` (its series-break subquery is costed once per row), and
 * compiling it took 15–30 ms of its 100–135 ms (README "Workloads at scale").
 */
const DEFAULT_SESSION_OPTIONS = ['-c jit=off'];

/**
 * A connection URL without its `options`, and the start-up options to send instead: the hub's
 * defaults, then the URL's own (which win over the defaults), then `forced` (which win over both;
 * node-postgres would otherwise take the URL's `options` alone).
 */
export function startupOptions(url: string, forced: string[] = []): { connectionString: string; options: string } {
  const u = new URL(url);
  const own = u.searchParams.get('options');
  u.searchParams.delete('options');
  return { connectionString: u.toString(), options: [...DEFAULT_SESSION_OPTIONS, own, ...forced].filter(Boolean).join(' ') };
}

/**
 * The node-postgres settings every pooled connection of the hub gets, in both pools (the
 * request pool here and the public pool of src/db/public-pool.ts).
 */
export function connectionSettings(opts: DataSourceOptions) {
  return {
    connectionTimeoutMillis: opts.connectTimeoutSeconds * 1000,
    idleTimeoutMillis: 30_000,
    // Sent as session settings in the start-up message: every connection has them, with no
    // extra round trip. A checked-out connection that fails is released and discarded by the
    // error listener on it: TypeORM's (PostgresQueryRunner.connect) in the request pool, the
    // public session's in the public pool.
    ...(opts.statementTimeoutSeconds ? { statement_timeout: opts.statementTimeoutSeconds * 1000 } : {}),
    ...(opts.idleInTransactionTimeoutSeconds ? { idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutSeconds * 1000 } : {}),
    // Notices a peer that vanished without closing the connection (a cut network) sooner.
    keepAlive: true,
  };
}

/** A TypeORM data source over node-postgres. Never `synchronize`: the schema comes from migrations. */
export function createDataSource(opts: DataSourceOptions): DataSource {
  const { connectionString, options } = startupOptions(opts.url);
  return new DataSource({
    type: 'postgres',
    url: connectionString,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'hub_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: 'kobi-data-hub',
    poolSize: opts.poolSize ?? DEFAULT_POOL_SIZE,
    poolErrorHandler: opts.onIdleConnectionError ?? (() => undefined),
    extra: { ...connectionSettings(opts), options },
  });
}

/** Opens a short-lived connection as the migration owner and applies pending migrations. */
export async function runMigrations(opts: DataSourceOptions): Promise<string[]> {
  const ds = createDataSource({ ...opts, poolSize: 1 });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
