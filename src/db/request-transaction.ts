import type { DataSource, QueryRunner } from 'typeorm';
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
   * null (and ends the transaction) when the hub does not know it.
   */
  async openAs(orgCode: string): Promise<{ id: number; kind: string } | null> {
    await this.open(orgCode);
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
    const run = this.queue.then(async () => {
      if (this.finished) throw new Error('the request transaction has already ended');
      const runner = this.runner ?? (await this.open());
      // Always the rows, whatever the statement: TypeORM's plain form answers an
      // UPDATE … RETURNING with [rows, rowCount], its structured form gives rows as `records`.
      return (await runner.query(sql, params, true)).records as T;
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
  private queue: Promise<void> = Promise.resolve();

  /** Ends the request: commit or roll back, and return the connection to the pool. Idempotent. */
  async finish(commit: boolean): Promise<void> {
    if (this.finished) return;
    await this.queue; // statements already queued run before the end
    this.finished = true;
    const runner = this.runner ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    if (!runner) return;
    try {
      await runner.query(commit ? 'COMMIT' : 'ROLLBACK'); // COMMIT of a failed transaction rolls back
    } finally {
      await runner.release();
    }
  }

  /**
   * Begins the transaction and switches to APP_ROLE in as few round trips as the protocol allows
   * (they are most of the fixed cost of a small request): the public in one simple-protocol
   * message; a member in two, the organization lookup setting `kobi.org_id` and the role itself.
   * The transaction is managed here by hand (not with TypeORM's transaction API) for that reason.
   */
  private open(orgCode?: string): Promise<QueryRunner> {
    this.opening ??= (async () => {
      const runner = this.db.createQueryRunner();
      try {
        if (orgCode === undefined) {
          await runner.query(`BEGIN; SET LOCAL ROLE ${APP_ROLE}`);
        } else {
          await runner.query('BEGIN');
          const [row] = await runner.query(
            `SELECT id, kind, set_config('kobi.org_id', id::text, true) AS org, set_config('role', '${APP_ROLE}', true) AS role
             FROM organization WHERE code = $1`,
            [orgCode],
          );
          if (row) this.org = { id: row.id, kind: row.kind };
        }
      } catch (err) {
        await runner.query('ROLLBACK').catch(() => undefined);
        await runner.release();
        throw err;
      }
      this.runner = runner;
      return runner;
    })();
    return this.opening;
  }
}
