import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource, QueryRunner } from 'typeorm';
import { isDatabaseUnavailable } from './faults';
import { APP_ROLE } from './migrations/1764100000000-access';

/**
 * The database side of one request: every statement of the request runs on one connection, in
 * one transaction, as the non-owner role APP_ROLE with the viewer's organization in
 * `kobi.org_id` (DESIGN §4). Row-level security then holds even if a service forgot a filter.
 * Both settings are transaction-local (`SET LOCAL`, `set_config(…, true)`), so they are gone
 * when the connection returns to the pool.
 *
 * The transaction starts at the first statement (or eagerly, for a member, to resolve the
 * organization) and ends in `finish`: commit when the request succeeded, rollback otherwise, so a
 * request never leaves half its writes behind. On the embedded database transactions run one at a
 * time; a request must therefore never use a second connection while it holds this one.
 */
export class RequestTransaction {
  private runner?: QueryRunner;
  private opening?: Promise<QueryRunner>;
  private finished = false;

  constructor(private readonly db: DataSource) {}

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
    // Always the rows, whatever the statement: TypeORM's plain form answers an
    // UPDATE … RETURNING with [rows, rowCount], its structured form gives rows as `records`.
    return this.enqueue(async (runner) => (await runner.query(sql, params, true)).records as T);
  }

  /**
   * Streams `source` (COPY text format) into `COPY … FROM STDIN` on the request's connection, in
   * its transaction, with the stream's backpressure; resolves with the number of rows copied.
   * Only on a PostgreSQL server: COPY through the embedded database's socket breaks the protocol
   * (DESIGN §9), so callers use batched INSERTs there.
   */
  copyFrom(sql: string, source: Readable): Promise<number> {
    return this.enqueue(async (runner) => {
      const client = (await runner.connect()) as PoolClient;
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
    return this.enqueue(async (runner) => {
      const client = (await runner.connect()) as PoolClient;
      return (await client.query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows;
    });
  }

  private enqueue<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.finished) throw new Error('the request transaction has already ended');
      const runner = this.runner ?? (await this.open());
      try {
        return await work(runner);
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

  /** Ends the request: commit or roll back, and return the connection to the pool. Idempotent. */
  async finish(commit: boolean): Promise<void> {
    if (this.finished) return;
    await this.queue; // statements already queued run before the end
    this.finished = true;
    const runner = this.runner ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    if (!runner) return;
    if (this.broken) {
      // A ROLLBACK could wait on a dead peer; closing the connection rolls back on the server.
      await discard(runner, this.broken);
      if (commit) throw this.broken;
      return;
    }
    try {
      await runner.query(commit ? 'COMMIT' : 'ROLLBACK'); // COMMIT of a failed transaction rolls back
    } catch (err) {
      // The outcome of a COMMIT whose connection broke is unknown to us: the caller must not
      // acknowledge the request, and the connection must not go back to the pool.
      if (isDatabaseUnavailable(err)) await discard(runner, err as Error);
      throw err;
    } finally {
      await runner.release(); // a no-op after discard
    }
  }

  /**
   * Begins the transaction and switches to APP_ROLE in as few round trips as the protocol allows
   * (they are most of the fixed cost of a small request): the public in one simple-protocol
   * message; a member in two, the organization lookup setting `kobi.org_id` and the role itself.
   * The transaction is managed here by hand (not with TypeORM's transaction API) for that reason.
   */
  private open(member?: { orgCode: string; subject: string }): Promise<QueryRunner> {
    this.opening ??= (async () => {
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
        if (isDatabaseUnavailable(err)) await discard(runner, err as Error);
        else await runner.query('ROLLBACK').catch(() => undefined);
        await runner.release();
        throw err;
      }
      this.runner = runner;
      return runner;
    })();
    return this.opening;
  }
}

/** Returns the runner's connection to the pool as broken: node-postgres closes it instead of reusing it. */
async function discard(runner: QueryRunner, err: Error): Promise<void> {
  const pgRunner = runner as QueryRunner & { releasePostgresConnection?(err?: Error): Promise<void> };
  if (pgRunner.releasePostgresConnection) await pgRunner.releasePostgresConnection(err);
  else await runner.release();
}
