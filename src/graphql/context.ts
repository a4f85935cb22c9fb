import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { unauthenticated } from '../access/auth';
import { ANONYMOUS, type Credentials, type Viewer } from '../access/viewer';
import type { PublicPool } from '../db/public-pool';
import { RequestTransaction } from '../db/request-transaction';
import type { RequestInfo } from '../http/request-log';
import type { Logger } from '../logger';
import type { OrganizationKind } from '../modules/organizations/organization.entity';
import { createLoaders, type Loaders } from './loaders';

/** Settings the request path needs: a slice of Config, so that tests can build it by hand. */
export type HubSettings = Pick<
  Config,
  'maxCodesPerList' | 'disclosureThreshold' | 'maxCells' | 'maxCost' | 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxTokens' | 'maxAnonymousBody' | 'hideSuggestions' | 'introspection' | 'stageWithCopy'
>;

/** What the request context needs from the running hub. */
export interface HubDeps {
  db: DataSource;
  /**
   * On a PostgreSQL server: the public's pool (src/db/public-pool.ts), whose requests then run in
   * autocommit as APP_ROLE; left out (the embedded database, some tests), the public gets a
   * transaction on `db`'s pool like a member.
   */
  publicPool?: PublicPool;
  log: Logger;
  config: HubSettings;
}

/**
 * Per-request state (DESIGN §2): who asks, their loaders, their transaction, a request id.
 * There is deliberately no DataSource here: every statement of a request goes through `query`,
 * i.e. through the request's transaction, role and row-level security.
 */
export interface RequestContext {
  viewer: Viewer;
  requestId: string;
  log: Logger;
  config: HubSettings;
  loaders: Loaders;
  tx: RequestTransaction;
  query<T = any>(sql: string, params?: unknown[]): Promise<T>;
  /** `query` with each row as an array of its columns (RequestTransaction.queryArrays), for large results. */
  queryArrays(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /**
   * What the request's GraphQL document selects, as far as statements need to know; set before
   * any resolver runs (an object: Apollo runs an operation on a shallow copy of the context, and
   * the loaders hold the original). `points`: whether it selects `TimeSeries.points`, the only
   * reader of cell ids (`Observation` and its fields loaded on demand); without it the series
   * statement leaves the ids out, one value fewer to decode per cell. True unless known otherwise.
   */
  selects: { points: boolean };
  /** What the request's log line and metrics record (operation, error codes); set by the HTTP server. */
  http?: RequestInfo;
}

/**
 * The one context builder: the HTTP server and the tests both use it. For a member it opens the
 * request's transaction at once, to resolve the organization (an unknown organization is
 * UNAUTHENTICATED); the caller must end it with `ctx.tx.finish(commit)`.
 */
export async function createContext(deps: HubDeps, credentials: Credentials | null, requestId: string = randomUUID()): Promise<RequestContext> {
  const tx = new RequestTransaction(deps.db, deps.publicPool);
  let viewer: Viewer = ANONYMOUS;
  if (credentials) {
    const org = await tx.openAs(credentials.orgCode, credentials.subject);
    if (!org) throw unauthenticated(`organization "${credentials.orgCode}" is not known to this hub`);
    viewer = { ...credentials, kind: 'member', orgId: org.id, orgKind: org.kind as OrganizationKind };
  }
  const ctx = {
    viewer,
    requestId,
    log: deps.log,
    config: deps.config,
    tx,
    selects: { points: true },
    query: (sql: string, params?: unknown[]) => tx.query(sql, params),
    queryArrays: (sql: string, params?: unknown[]) => tx.queryArrays(sql, params),
  } as RequestContext;
  ctx.loaders = createLoaders(ctx);
  return ctx;
}
