import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';
import { isDatabaseUnavailable } from './faults';
import { APP_ROLE } from './migrations/1764100000000-access';
import type { PublicPool } from './public-pool';

/**
 * The database side of one request: every statement of the request runs on one connection as the
 * non-owner role APP_ROLE with the viewer's organization in `kobi.org_id`, none for the public
 * (DESIGN §4). Row-level security then holds even if a service forgot a filter.
 *
 * A member's request runs in one transaction on the request pool: both settings are
 * transaction-local (`SET LOCAL`, `set_config(…, true)`), so they are gone when the connection
 * returns to the pool. The transaction starts eagerly, to resolve the organization, and ends in
 * `finish`: commit when the request succeeded, rollback otherwise, so a request never leaves half
 * its writes behind.
 *
 * The public's request, given a PublicPool (a PostgreSQL server), runs each statement on a
 * connection of that pool, which is APP_ROLE with no organization and read-only for its whole
 * session: in autocommit, two round trips fewer than a transaction (`BEGIN; SET LOCAL ROLE`,
 * `COMMIT`), and without holding a connection between statements.
 * Each statement reads committed data, as it would inside a READ COMMITTED transaction. Without a
 * PublicPool (the embedded database, or a caller that gives none) the public gets a transaction
 * too, opened at its first statement. On the embedded database transactions run one at a time; a
 * request must therefore never use a second connection while it holds this one.
 *
 * The services see one code path either way (`ctx.query`, `ctx.queryArrays`, `ctx.tx`).
 */
export class RequestTransaction {
  private session?: Session;
  private opening?: Promise<Session>;
  private finished = false;

  constructor(
    private readonly db: DataSource,
    private readonly publicPool?: PublicPool,
  ) {}

  /**
   * Opens the transaction for a member of organization `orgCode`; returns the organization, or
   * null (and ends the transaction) when the hub does not know it. `subject` (who) goes into
   * `kobi.subject`, which the audit trail records with every change of a cell.
   */
  async openAs(orgCode: string, subject: string): Promise<{ id: number; kind: string } | null> {
    await this.open({ orgCode, subject });
    if (!this.org) await this.finish(false);
    return this.org ?? null;
  }
  private org?: { id: number; kind: string };

  /**
   * Runs one statement of the request and resolves with its rows (RETURNING rows for writes).
   * Statements are queued here, one after the other: loaders
   * of one request fire in parallel, and a connection runs one statement at a time anyway
   * (node-postgres' own queueing of concurrent queries on a client is deprecated).
   */
  query<T = any>(sql: string, params?: unknown[]): Promise<T> {
    return this.enqueue((session) => session.query(sql, params) as Promise<T>);
  }

  /**
   * Streams `source` (COPY text format) into `COPY … FROM STDIN` on the request's connection, in
   * its transaction, with the stream's backpressure; resolves with the number of rows copied.
   * Only on a PostgreSQL server: COPY through the embedded database's socket breaks the protocol
   * (DESIGN §9), so callers use batched INSERTs there.
   */
  copyFrom(sql: string, source: Readable): Promise<number> {
    return this.enqueue(async (session) => {
      const client = await session.client();
      const sink = client.query(copyFrom(sql));
      await pipeline(source, sink);
      return sink.rowCount;
    });
  }

  /**
   * Like `query`, but each row as an array of its columns in select order (node-postgres'
   * `rowMode: 'array'`), straight from the driver: for the hot path's large results, where an
   * object per row with a property per column is most of the cost of reading it.
   */
  queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]> {
    return this.enqueue((session) => session.queryArrays(sql, params));
  }

  private enqueue<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.finished) throw new Error('the request transaction has already ended');
      const session = this.session ?? (await this.open());
      try {
        return await work(session);
      } catch (err) {
        if (isDatabaseUnavailable(err)) this.broken = err as Error;
        throw err;
      }
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
  private queue: Promise<void> = Promise.resolve();
  /** Set when the connection failed under a statement: it is discarded, not asked to roll back. */
  private broken?: Error;

  /** Ends the request: commit or roll back, and return the connection to its pool. Idempotent. */
  async finish(commit: boolean): Promise<void> {
    if (this.finished) return;
    await this.queue; // statements already queued run before the end
    this.finished = true;
    const session = this.session ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    if (!session) return;
    if (this.broken) {
      // A ROLLBACK could wait on a dead peer; closing the connection rolls back on the server.
      await session.discard(this.broken);
      if (commit) throw this.broken;
      return;
    }
    await session.end(commit);
  }

  /**
   * Opens the request's session. The public's, given a PublicPool: nothing is sent, each statement
   * takes a connection of that pool for itself. Otherwise a transaction,
   * begun and switched to APP_ROLE in as few round trips as the protocol allows (they are most of
   * the fixed cost of a small request): the public in one simple-protocol message; a member in
   * two, the organization lookup setting `kobi.org_id` and the role itself. The transaction is
   * managed here by hand (not with TypeORM's transaction API) for that reason.
   */
  private open(member?: { orgCode: string; subject: string }): Promise<Session> {
    this.opening ??= (async () => {
      if (member === undefined && this.publicPool) {
        this.session = new AutocommitSession(this.publicPool);
        return this.session;
      }
      const runner = this.db.createQueryRunner();
      try {
        if (member === undefined) {
          await runner.query(`BEGIN; SET LOCAL ROLE ${APP_ROLE}`);
        } else {
          await runner.query('BEGIN');
          const [row] = await runner.query(
            `SELECT id, kind, set_config('kobi.org_id', id::text, true) AS org, set_config('kobi.subject', $2, true) AS subject,
               set_config('role', '${APP_ROLE}', true) AS role
             FROM organization WHERE code = $1`,
            [member.orgCode, member.subject],
          );
          if (row) this.org = { id: row.id, kind: row.kind };
        }
      } catch (err) {
        if (isDatabaseUnavailable(err)) await discardRunner(runner, err as Error);
        else await runner.query('ROLLBACK').catch(() => undefined);
        await runner.release();
        throw err;
      }
      this.session = new TransactionSession(runner);
      return this.session;
    })();
    return this.opening;
  }
}

/** The connection of one request, in a transaction or in autocommit: what RequestTransaction needs of it. */
interface Session {
  /** Runs one statement; resolves with its rows (RETURNING rows for writes). */
  query(sql: string, params?: unknown[]): Promise<unknown[]>;
  /** Runs one statement; resolves with each row as an array of its columns. */
  queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /** The node-postgres client under the session, for `rowMode: 'array'` and COPY. */
  client(): Promise<PoolClient>;
  /** Ends the session (commit or roll back a transaction) and returns the connection to its pool. */
  end(commit: boolean): Promise<void>;
  /** Returns the connection as broken: node-postgres closes it instead of reusing it. */
  discard(err: Error): Promise<void>;
}

/** A transaction on the request pool (TypeORM's query runner): a member's, or the public's without a PublicPool. */
class TransactionSession implements Session {
  constructor(private readonly runner: QueryRunner) {}

  async query(sql: string, params?: unknown[]): Promise<unknown[]> {
    // Always the rows, whatever the statement: TypeORM's plain form answers an
    // UPDATE … RETURNING with [rows, rowCount], its structured form gives rows as `records`.
    return (await this.runner.query(sql, params, true)).records;
  }

  async queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]> {
    return (await (await this.client()).query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows;
  }

  async client(): Promise<PoolClient> {
    return (await this.runner.connect()) as PoolClient;
  }

  async end(commit: boolean): Promise<void> {
    try {
      await this.runner.query(commit ? 'COMMIT' : 'ROLLBACK'); // COMMIT of a failed transaction rolls back
    } catch (err) {
      // The outcome of a COMMIT whose connection broke is unknown to us: the caller must not
      // acknowledge the request, and the connection must not go back to the pool.
      if (isDatabaseUnavailable(err)) await discardRunner(this.runner, err as Error);
      throw err;
    } finally {
      await this.runner.release(); // a no-op after discard
    }
  }

  discard(err: Error): Promise<void> {
    return discardRunner(this.runner, err);
  }
}

/**
 * The public's statements on the PublicPool, in autocommit: nothing to commit or roll back (its
 * connections are read-only). Each statement takes a connection for itself and returns it at
 * once, as the baselines' `pool.query` does: a request does not hold a connection while its
 * resolvers run between two statements, so ten connections serve more requests at a time with
 * less waiting (in a transaction a request must keep its connection; here nothing is gained by
 * it, since each statement in autocommit reads the data committed when it starts either way).
 * While checked out a connection has an error listener of its own, as TypeORM gives its runners:
 * one that fails under a statement would otherwise raise an uncaught error and end the process
 * (DESIGN §9); it is then closed rather than returned.
 */
class AutocommitSession implements Session {
  constructor(private readonly pool: PublicPool) {}

  query(sql: string, params?: unknown[]): Promise<unknown[]> {
    return this.run((client, name) => client.query({ text: sql, values: params, name }), sql, params);
  }

  queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]> {
    return this.run((client, name) => client.query<unknown[]>({ text: sql, values: params, name, rowMode: 'array' }), sql, params);
  }

  /**
   * Runs a statement as a prepared statement of its connection (`statementName`): it is parsed,
   * analysed and rewritten (row-level security included) once per connection, not per request,
   * which is most of a small request's time in PostgreSQL beside planning (a dashboard's two
   * statements: about 1 ms less). A statement is also planned once per connection (the
   * connection's `plan_cache_mode` is `force_generic_plan`, public-pool.ts), unless one of its
   * array parameters is too long for that plan (`needsCustomPlan`): then it runs between `SET
   * plan_cache_mode = force_custom_plan` and `RESET`, planned for its own parameters. Only here:
   * the session is read-only and in autocommit, so a statement that a schema change invalidated
   * under it ("cached plan must not change result type") can run again unprepared, and the
   * connection, which still holds the stale statement, is closed afterwards.
   */
  private async run<R>(query: (client: PoolClient, name: string | undefined) => Promise<{ rows: R[] }>, sql: string, params?: unknown[]): Promise<R[]> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    const onError = (err: Error) => void (failed ??= err);
    client.on('error', onError);
    const name = statementName(sql);
    const custom = needsCustomPlan(params);
    try {
      if (custom) await client.query('SET plan_cache_mode = force_custom_plan');
      try {
        return (await query(client, name)).rows;
      } catch (err) {
        if (name === undefined || (err as { code?: string }).code !== STALE_PREPARED_STATEMENT) throw err;
        failed ??= err as Error;
        return (await query(client, undefined)).rows;
      } finally {
        // Back to the connection's generic plans; a connection that cannot say so is not reused.
        if (custom) await client.query('RESET plan_cache_mode').catch((err: Error) => void (failed ??= err));
      }
    } catch (err) {
      if (isDatabaseUnavailable(err)) failed ??= err as Error;
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(failed);
    }
  }

  async client(): Promise<PoolClient> {
    throw new Error("the public's statements have no connection of their own (read-only, autocommit)");
  }

  async end(): Promise<void> {}

  async discard(): Promise<void> {}
}

/**
 * Longest array parameter that a public statement runs with on its generic plan. PostgreSQL
 * plans `= ANY($n)` of a generic plan for an array of 10 elements; the dashboard's 5 indicators
 * and 2 regions fit that plan, and planning each run anew cost more than running it (the
 * dashboard: 0.5 of 1.6 ms of PostgreSQL CPU per request). A pull over hundreds or thousands of
 * regions gets a plan for its own parameters: one generic plan for 2 regions and for 10,591 was
 * measured a third slower on the bulk pull.
 */
export const GENERIC_PLAN_MAX_ELEMENTS = 100;

/** Whether a statement with these parameters is planned for them rather than run on the generic plan. */
export function needsCustomPlan(params?: unknown[]): boolean {
  return params?.some((p) => Array.isArray(p) && p.length > GENERIC_PLAN_MAX_ELEMENTS) ?? false;
}

/** SQLSTATE feature_not_supported: what PostgreSQL answers when a prepared statement's result type changed under it. */
const STALE_PREPARED_STATEMENT = '0A000';
/**
 * Most distinct statement texts that get a name (AutocommitSession): the hub's statements are
 * built from a handful of shapes with their values as parameters, so a few dozen occur; the cap
 * bounds what each connection keeps prepared on the server if that ever stops being true.
 * Texts beyond it run unnamed, as before.
 */
const MAX_PREPARED_STATEMENTS = 200;
const statementNames = new Map<string, string>();

/** The name under which `sql` is prepared on every public connection; undefined when the cap is reached. */
function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_PREPARED_STATEMENTS) statementNames.set(sql, (name = `kobi_${statementNames.size + 1}`));
  return name;
}

/** Returns the runner's connection to the pool as broken: node-postgres closes it instead of reusing it. */
async function discardRunner(runner: QueryRunner, err: Error): Promise<void> {
  const pgRunner = runner as QueryRunner & { releasePostgresConnection?(err?: Error): Promise<void> };
  if (pgRunner.releasePostgresConnection) await pgRunner.releasePostgresConnection(err);
  else await runner.release();
}
