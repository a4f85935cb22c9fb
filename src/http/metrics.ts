import { timingSafeEqual } from 'node:crypto';
import type express from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { PoolFigures, PublicPool } from '../db/public-pool';

/**
 * Label for GraphQL operations without a name, and for those that never got as far as a valid
 * operation (parse or validation failure, refused before execution).
 */
export const ANONYMOUS_OPERATION = 'anonymous';
/** Label for named operations beyond MAX_OPERATION_NAMES. */
export const OTHER_OPERATION = 'other';
/**
 * Operation names come from clients, so a client could invent a new one per request and blow
 * up the number of time series Prometheus keeps. The first this many names are kept as they
 * are (dashboards use a handful of fixed ones); later new ones count as OTHER_OPERATION.
 */
export const MAX_OPERATION_NAMES = 200;

/**
 * The hub's Prometheus metrics (`GET /metrics`), one registry per hub:
 * - `kobi_http_requests_total{route,operation,status}` and
 *   `kobi_http_request_duration_seconds{route,operation}`: route is the Express route
 *   (`/graphql`, `/export/series.csv`, …, `unmatched`), operation the GraphQL operation name;
 * - `kobi_errors_total{code}`: errors by `extensions.code` (a closed set, README "Errors");
 * - `kobi_db_pool_connections{state}`: total, idle and waiting of the request pool;
 * - `kobi_db_public_pool_connections{state}`: the same of the public's pool (on a PostgreSQL server);
 * - Node's process metrics (`process_*`, `nodejs_*`).
 */
export class HubMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'operation' | 'status'>;
  private readonly duration: Histogram<'route' | 'operation'>;
  private readonly errors: Counter<'code'>;
  private readonly executions: Counter<'executor'>;
  private readonly compilations: Counter;
  private readonly operationNames = new Set<string>();

  constructor(db: DataSource, publicPool?: PublicPool) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'kobi_http_requests_total', help: 'HTTP requests by route, GraphQL operation name and status.', labelNames: ['route', 'operation', 'status'], registers });
    this.duration = new Histogram({
      name: 'kobi_http_request_duration_seconds',
      help: 'Time from the request to the last byte of the response, by route and GraphQL operation name.',
      labelNames: ['route', 'operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.errors = new Counter({ name: 'kobi_errors_total', help: 'Errors answered, by extensions.code.', labelNames: ['code'], registers });
    this.executions = new Counter({
      name: 'kobi_graphql_executions_total',
      help: 'GraphQL operations executed, by executor: graphql-js for the first run of a query text, graphql-jit (compiled) from its second.',
      labelNames: ['executor'],
      registers,
    });
    this.compilations = new Counter({
      name: 'kobi_graphql_compilations_total',
      help: 'Operations compiled by graphql-jit. Rising as fast as the executions: clients write values into query texts instead of variables.',
      registers,
    });
    // The pg Pool under TypeORM's driver is its `master`.
    poolGauge('kobi_db_pool_connections', 'request pool', registers, () => (db.driver as unknown as { master?: PoolFigures }).master);
    if (publicPool) poolGauge('kobi_db_public_pool_connections', "public's pool", registers, () => publicPool.figures);
    collectDefaultMetrics({ register: this.registry });
  }

  /** The label for a GraphQL operation name (bounded, see MAX_OPERATION_NAMES). */
  operationLabel(name: string | null | undefined): string {
    if (!name) return ANONYMOUS_OPERATION;
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return OTHER_OPERATION;
    this.operationNames.add(name);
    return name;
  }

  /** Counts one execution of a GraphQL operation (src/graphql/jit.ts); `compiledNow`: compiled for it. */
  executed(executor: 'graphql-js' | 'graphql-jit', compiledNow: boolean): void {
    this.executions.inc({ executor });
    if (compiledNow) this.compilations.inc();
  }

  /** Counts one finished request. */
  observe(route: string, operation: string, status: number, seconds: number, errorCodes: readonly string[]): void {
    this.requests.inc({ route, operation, status: String(status) });
    this.duration.observe({ route, operation }, seconds);
    for (const code of errorCodes) this.errors.inc({ code });
  }

  /**
   * `GET /metrics` in Prometheus' text format. With a token (METRICS_TOKEN) the scraper must send
   * `Authorization: Bearer <token>`; without one the endpoint is open (README "Operations").
   */
  handler(token: string | undefined): express.RequestHandler {
    const expected = token ? Buffer.from(`Bearer ${token}`) : undefined;
    return async (req, res) => {
      if (expected) {
        const given = Buffer.from(req.get('authorization') ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ errors: [{ message: 'not authenticated: /metrics needs the metrics token', extensions: { code: 'UNAUTHENTICATED' } }] });
          return;
        }
      }
      res.setHeader('Content-Type', this.registry.contentType);
      res.setHeader('Cache-Control', 'no-store');
      res.end(await this.registry.metrics());
    };
  }
}

/** A gauge of one pool's connections by state: total open, idle, and requests waiting for one. */
function poolGauge(name: string, pool: string, registers: Registry[], figures: () => PoolFigures | undefined): void {
  new Gauge({
    name,
    help: `Connections of the ${pool}: total open, idle, and requests waiting for one.`,
    labelNames: ['state'],
    registers,
    collect() {
      const f = figures();
      if (!f) return;
      this.set({ state: 'total' }, f.totalCount);
      this.set({ state: 'idle' }, f.idleCount);
      this.set({ state: 'waiting' }, f.waitingCount);
    },
  });
}
