import pg from 'pg';
import { connectionSettings, DEFAULT_POOL_SIZE, startupOptions, type DataSourceOptions } from './data-source';
import { isDatabaseUnavailable } from './faults';
import { APP_ROLE } from './migrations/1764100000000-access';

/**
 * A connection of the public pool that is not what the public may use: it does not run as
 * APP_ROLE, it carries an organization in `kobi.org_id`, or it could not be switched to APP_ROLE
 * at all. It is closed, never used; the request answers SERVICE_UNAVAILABLE (src/db/faults.ts)
 * and /readyz 503, as the hub cannot serve the public safely until an operator fixes the cause
 * (e.g. a pooler in front of PostgreSQL that drops start-up options, or
 * `ALTER DATABASE … SET kobi.org_id`).
 */
export class PublicConnectionRefused extends Error {
  override name = 'PublicConnectionRefused';
}

/** The pool figures /metrics reports (node-postgres' own counters). */
export interface PoolFigures {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * The public's pool, on a PostgreSQL server only (DESIGN §4, README "Operations"): connections
 * that start as APP_ROLE (`-c role=kobi_app` in the start-up message, beside the session settings
 * of the request pool) and read-only (`default_transaction_read_only`), so that a public request
 * runs its statements in autocommit, without the `BEGIN; SET LOCAL ROLE` and `COMMIT` round
 * trips of a member's transaction (src/db/request-transaction.ts). Row-level security holds as in
 * a transaction: the role is APP_ROLE and `kobi.org_id` is unset, i.e. no organization. Each
 * connection is checked once, before its first use, and refused (closed) unless both are so:
 * start-up options can be dropped on the way (a pooler in transaction mode) or overridden by the
 * URL's own `options`, and `kobi.org_id` can be set per database or role.
 *
 * Not on the embedded database: PGlite ignores roles and runs one transaction at a time anyway.
 */
export class PublicPool {
  private readonly pool: pg.Pool;
  private readonly checked = new WeakSet<pg.PoolClient>();
  /** Connections checked out now: closed by `end` if still in use then. */
  private readonly inUse = new Set<pg.PoolClient>();

  constructor(opts: DataSourceOptions) {
    this.pool = new pg.Pool({
      ...connectionSettings(opts),
      // The URL's own `options` (if any) come before ours, so that ours win where both set
      // something; whatever they set, the check on connect has the last word.
      // plan_cache_mode: the public session prepares its statements once per connection and runs
      // them on a plan made once per connection; a statement with long arrays for parameters
      // switches to plans for its own parameters while it runs (request-transaction.ts,
      // AutocommitSession, needsCustomPlan).
      ...startupOptions(opts.url, [`-c role=${APP_ROLE}`, '-c default_transaction_read_only=on', '-c plan_cache_mode=force_generic_plan']),
      application_name: 'kobi-data-hub (public)',
      max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    });
    this.pool.on('error', opts.onIdleConnectionError ?? (() => undefined));
  }

  /** Total, idle and waiting, for /metrics. */
  get figures(): PoolFigures {
    return this.pool;
  }

  /**
   * A connection for one public request, checked (once per connection) to run as APP_ROLE with no
   * organization; the caller returns it with `release()`, or `release(err)` to close it. Throws
   * PublicConnectionRefused when it is not so, or the database fault that prevented the check.
   */
  async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      // Not a fault of the database but of the set-up: e.g. the login may not switch to APP_ROLE.
      if (isDatabaseUnavailable(err)) throw err;
      throw new PublicConnectionRefused(`a public connection could not start as ${APP_ROLE}: ${(err as Error).message}`, { cause: err });
    }
    this.track(client);
    if (this.checked.has(client)) return client;
    try {
      const { rows } = await client.query<{ user: string; org: string | null; readonly: string }>(
        `SELECT current_user AS user, current_setting('kobi.org_id', true) AS org, current_setting('transaction_read_only') AS readonly`,
      );
      const [{ user, org, readonly }] = rows;
      if (user !== APP_ROLE || (org ?? '') !== '' || readonly !== 'on') {
        throw new PublicConnectionRefused(
          `a public connection runs as "${user}" with kobi.org_id "${org ?? ''}" and transaction_read_only ${readonly}, not as ${APP_ROLE} with no organization, read-only`,
        );
      }
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    this.checked.add(client);
    return client;
  }

  /** Opens (or reuses) one connection and checks it: at start-up and for /readyz. */
  async check(): Promise<void> {
    (await this.connect()).release();
  }

  /**
   * Closes every connection (graceful shutdown, after the drain). One still in use then (a
   * statement stuck on a lock) is closed too, as TypeORM does in the request pool: its request
   * fails, and the server rolls the statement back. node-postgres alone would wait for it.
   */
  async end(): Promise<void> {
    const ending = this.pool.end();
    for (const client of [...this.inUse]) client.release(new Error('the hub is shutting down'));
    await ending;
  }

  /** Notes a checked-out connection until its `release`, which becomes idempotent. */
  private track(client: pg.PoolClient): void {
    this.inUse.add(client);
    const release = client.release;
    client.release = (err?: Error | boolean) => {
      if (this.inUse.delete(client)) release.call(client, err);
    };
  }
}
