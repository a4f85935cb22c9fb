import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Authenticator } from './access/auth';
import type { DemoIssuer } from './access/demo';
import type { Config } from './config';
import { isDatabaseUnavailable } from './db/faults';
import { PublicConnectionRefused } from './db/public-pool';
import { exportRouter } from './export/export.router';
import { importRouter } from './modules/imports/import.router';
import { selectsPointsPlugin } from './modules/series/series.resolver';
import { createContext, type HubDeps, type RequestContext } from './graphql/context';
import { createErrorFormatter, HubError, serviceUnavailable } from './graphql/errors';
import { HubMetrics } from './http/metrics';
import { RateLimits } from './http/rate-limit';
import { noteErrorCode, requestInfo, requestLog } from './http/request-log';
import { graphiqlHandler } from './graphql/graphiql';
import { jitGateway } from './graphql/jit';
import { DocumentGuard } from './graphql/document-guard';
import { queryLimits } from './graphql/limits';
import { hubSchema } from './graphql/schema';

/**
 * Largest JSON body of a logged-in GraphQL request (README "Limits"): an upload of 10,000 rows
 * through `importObservations` fits. The public's limit is smaller (`QUERY_MAX_ANONYMOUS_BODY`).
 */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** A refused body's answer: its status, GraphQL's error shape with a code, and the code counted (README "Limits"). */
function refuseBody(res: express.Response, status: number, message: string, extensions: Record<string, unknown>): void {
  noteErrorCode(res, String(extensions.code));
  res.status(status).json({ errors: [{ message, extensions }] });
}

const tooLarge = (res: express.Response, limit: number) =>
  refuseBody(res, 413, `the request body is larger than ${limit} bytes`, { code: 'QUERY_TOO_COMPLEX', limit: 'body', max: limit });

/**
 * Answers a body the JSON parser refused in GraphQL's error shape with a code, instead of
 * Express's HTML page: too large → 413 QUERY_TOO_COMPLEX (`extensions: { limit: "body", max }`),
 * anything else (malformed JSON, unsupported charset) → its 4xx status with BAD_REQUEST.
 */
const bodyErrors: express.ErrorRequestHandler = (err, _req, res, next) => {
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : undefined;
  if (!status) return next(err);
  if (err.type === 'entity.too.large') return tooLarge(res, err.limit);
  const message = err.type === 'entity.parse.failed' ? 'the request body is not valid JSON' : String(err.message); // body-parser's 4xx messages are meant for the client (`expose`)
  refuseBody(res, status, message, { code: 'BAD_REQUEST' });
};

/**
 * How much of a body refused from its `Content-Length` the hub reads off and discards, so that
 * the client gets to read the answer and the connection can carry its next request; a client that
 * sends more has its connection closed.
 */
export const REFUSED_BODY_DISCARD_BYTES = 8 * 1024 * 1024;

/**
 * The JSON body parser behind a check of the declared length: a body whose `Content-Length` is
 * over the limit is answered at once, before a byte of it is read, and what the client still
 * sends is discarded up to REFUSED_BODY_DISCARD_BYTES, then the connection is closed. body-parser
 * alone answers 413 only after reading the whole body (up to Node's 300 s request timeout), so
 * the answer took as long as the upload and a client could have the hub read any amount. Closing
 * at once instead resets the connection under a client still writing, and some clients (Node's
 * own `http`) then report the reset, not the answer. A body sent without a length (chunked) is
 * cut by body-parser at the limit.
 */
function jsonWithin(limit: number): express.RequestHandler {
  const parse = express.json({ limit });
  return (req, res, next) => {
    if (Number(req.headers['content-length']) > limit) {
      let discarded = 0;
      req.on('data', (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > REFUSED_BODY_DISCARD_BYTES) req.socket.destroy();
      });
      return tooLarge(res, limit);
    }
    parse(req, res, next);
  };
}

export interface Hub {
  app: express.Express;
  httpServer: http.Server;
  /** Starts listening on loopback or all interfaces; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Graceful stop: refuses new requests, waits up to the drain time for those in flight, closes. */
  close(): Promise<void>;
}

export interface HubOptions extends HubDeps {
  auth: Authenticator;
  /** Set in demo mode: serves `GET /demo/tokens`. */
  demo?: DemoIssuer;
  /** Production guards (README "Operations"); left out, e.g. in most tests: no rate limits, 25 s drain. */
  operations?: Partial<OperationsSettings>;
}

/** The settings of rate limits, metrics and shutdown: a slice of Config, plus switches for benchmarks and tests. */
export type OperationsSettings = Pick<
  Config,
  'shutdownDrainSeconds' | 'rateLimitAnonymousPerMinute' | 'rateLimitAuthenticatedPerMinute' | 'redisUrl' | 'trustProxy' | 'metricsToken'
> & {
  /** Request log lines and metrics (default on); off only to measure what they cost (npm run bench:overhead). */
  observe: boolean;
  /** Prefix of the rate limits' keys in Redis (default `kobi:rl`); tests use one of their own. */
  redisKeyPrefix: string;
};

const DEFAULT_OPERATIONS: OperationsSettings = {
  shutdownDrainSeconds: 25,
  rateLimitAnonymousPerMinute: 0,
  rateLimitAuthenticatedPerMinute: 0,
  trustProxy: false,
  observe: true,
  redisKeyPrefix: 'kobi:rl',
};

/**
 * The HTTP side of the hub: GraphQL over HTTP at /graphql (POST and GET, CSRF prevention on),
 * GraphiQL at /graphiql, health at /livez and /readyz, Prometheus metrics at /metrics, exports
 * at /export, demo tokens at /demo/tokens (demo mode only). Every request gets an id, a log line
 * and its metrics; all but health and metrics pass the rate limits. Stateless: the database is
 * the only state (the rate limits' counters live in Redis when several instances share them).
 */
export async function createHub(deps: HubOptions): Promise<Hub> {
  const ops: OperationsSettings = { ...DEFAULT_OPERATIONS, ...deps.operations };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ops.trustProxy); // who may tell the client's IP in X-Forwarded-For (TRUST_PROXY)
  const httpServer = http.createServer(app);
  const formatError = createErrorFormatter(deps.log, { hideSuggestions: deps.config.hideSuggestions });
  const metrics = ops.observe ? new HubMetrics(deps.db, deps.publicPool) : undefined;
  const rateLimits = await RateLimits.create(ops, deps.log);
  let draining = false;
  const schema = hubSchema();
  const { plugin: costLimit, ...limits } = queryLimits(schema, deps.config); // README "Limits"
  const guard = new DocumentGuard(schema, deps.config);
  const bodyFor = { member: jsonWithin(BODY_LIMIT_BYTES), public: jsonWithin(deps.config.maxAnonymousBody) };
  const apollo = new ApolloServer<RequestContext>({
    // The hub's schema, executed by graphql-jit (src/graphql/jit.ts, README "Performance").
    gateway: jitGateway(schema, metrics),
    ...limits,
    introspection: deps.config.introspection, // INTROSPECTION (config.ts): on for GraphiQL unless switched off
    // A GET, or a POST that is not JSON, needs a header no browser sends cross-site without a
    // preflight (`Apollo-Require-Preflight`, README "Quick start"): no CSRF through simple requests.
    csrfPrevention: true,
    // One operation per HTTP request: a batch would multiply every per-request limit (README "Limits").
    allowBatchedHttpRequests: false,
    // No automatic persisted queries: nobody here needs them, and their cache is memory a client fills.
    persistedQueries: false,
    includeStacktraceInErrorResponses: false,
    formatError,
    // main.ts owns the signals: with Apollo's own handlers too, two concurrent stop() calls wait
    // on each other and the process never exits.
    stopOnTerminationSignals: false,
    plugins: [
      // On stop (SIGTERM): stop accepting, let requests in flight finish for up to the drain time,
      // then cut what is left. Counts every request on the server, exports and imports included.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: ops.shutdownDrainSeconds * 1000 }),
      ApolloServerPluginLandingPageDisabled(),
      // The hub sets no cache hints; the default plugin would wrap every field resolver, leaves
      // included, which DESIGN §6 rules out for the hot path.
      ApolloServerPluginCacheControlDisabled(),
      costLimit,
      selectsPointsPlugin,
      {
        // Ends the request's transaction before the response leaves: a mutation's writes are
        // acknowledged only once committed, and a failed mutation leaves nothing behind.
        // A commit that fails (the database went away) turns the answer into that error: a
        // mutation is never acknowledged unless its writes are committed.
        async requestDidStart({ contextValue }) {
          const info = contextValue.http;
          return {
            async didResolveOperation({ operationName }) {
              if (info) info.operation = operationName ?? undefined;
            },
            async willSendResponse({ contextValue, operation, errors, response }) {
              const failedWrite = operation?.operation === 'mutation' && (errors?.length ?? 0) > 0;
              try {
                await contextValue.tx.finish(!failedWrite);
              } catch (err) {
                if (response.body.kind === 'single') response.body.singleResult = { errors: [formatError({ message: String(err) }, err)] };
              }
              if (response.body.kind !== 'single') return;
              const codes = (response.body.singleResult.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
              info?.errorCodes.push(...codes);
              // The database is down: say so at the HTTP level too, so that clients and load
              // balancers retry rather than take the partial answer as final.
              if (codes.includes('SERVICE_UNAVAILABLE')) response.http.status = 503;
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.use(requestLog(deps.log, metrics));
  // While draining, a request that still arrives on a kept-alive connection is turned away (the
  // listener is already closed to new connections), and /readyz says so to the load balancer.
  app.use((_req, res, next) => {
    if (!draining) return next();
    noteErrorCode(res, 'SERVICE_UNAVAILABLE');
    res.setHeader('Connection', 'close');
    res.setHeader('Retry-After', '5');
    res.status(503).json({ errors: [{ message: 'the hub is shutting down; try again', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
  });
  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (metrics) app.get('/metrics', metrics.handler(ops.metricsToken)); // README "Operations"
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.db.query('SELECT 1');
      const pending = await deps.db.showMigrations();
      if (pending) {
        res.status(503).json({ status: 'migrations pending' });
        return;
      }
    } catch {
      res.status(503).json({ status: 'database unreachable' });
      return;
    }
    try {
      // A connection of the public's pool, checked as the public's requests check theirs.
      await deps.publicPool?.check();
    } catch (err) {
      const refused = err instanceof PublicConnectionRefused;
      res.status(503).json({ status: refused ? 'public connections refused' : 'database unreachable' });
      return;
    }
    res.json({ status: 'ready' });
  });
  if (rateLimits) app.use(rateLimits.middleware(deps.auth)); // everything below: README "Rate limits"
  app.get('/graphiql', graphiqlHandler(deps.demo));
  if (deps.demo) {
    const demo = deps.demo;
    app.get('/demo/tokens', async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await demo.tokens());
    });
  }
  app.get('/', (_req, res) => res.redirect('/graphiql'));
  app.use('/export', exportRouter(deps, formatError)); // README "Exports"
  app.use('/import', importRouter(deps, formatError)); // README "Uploads"
  app.use(
    '/graphql',
    // The body limit is chosen from the credentials before a byte of the body is read: a body over
    // it is refused from its Content-Length. Bad credentials get the public's (and then a 401).
    (async (req, res, next) => ((await deps.auth.forRequest(req).catch(() => null)) ? bodyFor.member : bodyFor.public)(req, res, next)) as express.RequestHandler,
    bodyErrors,
    guard.middleware(formatError), // the document's shape, before Apollo parses and validates it
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const info = requestInfo(res);
        try {
          const credentials = await deps.auth.forRequest(req);
          if (credentials) info.org = credentials.orgCode;
          const ctx = await createContext(deps, credentials, info.id);
          ctx.http = info;
          // Apollo refuses some requests after building the context but outside the plugins (a
          // batch, a query that is not a string): the transaction plugin never sees them, and a
          // member's transaction, opened here, would hold its pooled connection. Once the answer
          // is sent, end whatever is still open (a no-op after the plugin's commit).
          res.once('finish', () => void ctx.tx.finish(false).catch(() => undefined));
          return ctx;
        } catch (err) {
          const unavailable = !(err instanceof HubError) && isDatabaseUnavailable(err);
          if (unavailable) deps.log.warn('database unavailable', { err: (err as Error).message });
          const refusal = err instanceof HubError ? err : unavailable ? serviceUnavailable() : undefined;
          info.errorCodes.push(refusal ? String(refusal.extensions.code) : 'INTERNAL_SERVER_ERROR');
          throw refusal ?? err;
        }
      },
    }),
  );

  return {
    app,
    httpServer,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as { port: number }).port));
      }),
    async close() {
      draining = true;
      await apollo.stop(); // drains the HTTP server (see the plugin above)
      await rateLimits?.close();
    },
  };
}
