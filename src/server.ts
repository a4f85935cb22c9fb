import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Authenticator } from './access/auth';
import type { DemoIssuer } from './access/demo';
import { exportRouter } from './export/export.router';
import { importRouter } from './modules/imports/import.router';
import { createContext, type HubDeps, type RequestContext } from './graphql/context';
import { createErrorFormatter } from './graphql/errors';
import { graphiqlHandler } from './graphql/graphiql';
import { queryLimits } from './graphql/limits';
import { hubSchema } from './graphql/schema';

/** Largest JSON body of a GraphQL request (README "Limits"): a document within the token limit and variables with code lists fit many times over. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Answers a body the JSON parser refused in GraphQL's error shape with a code, instead of
 * Express's HTML page: too large → 413 QUERY_TOO_COMPLEX (`extensions.limit: "body"`), anything
 * else (malformed JSON, unsupported charset) → its 4xx status with BAD_REQUEST.
 */
const bodyErrors: express.ErrorRequestHandler = (err, _req, res, next) => {
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : undefined;
  if (!status) return next(err);
  const extensions =
    err.type === 'entity.too.large' ? { code: 'QUERY_TOO_COMPLEX', limit: 'body', max: BODY_LIMIT_BYTES } : { code: 'BAD_REQUEST' };
  const message =
    err.type === 'entity.too.large'
      ? `the request body is larger than ${BODY_LIMIT_BYTES} bytes`
      : err.type === 'entity.parse.failed'
        ? 'the request body is not valid JSON'
        : String(err.message); // body-parser's 4xx messages are meant for the client (`expose`)
  res.status(status).json({ errors: [{ message, extensions }] });
};

export interface Hub {
  app: express.Express;
  httpServer: http.Server;
  /** Starts listening on loopback or all interfaces; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export interface HubOptions extends HubDeps {
  auth: Authenticator;
  /** Set in demo mode: serves `GET /demo/tokens`. */
  demo?: DemoIssuer;
}

/**
 * The HTTP side of the hub: GraphQL over HTTP at /graphql (POST and GET, CSRF prevention on),
 * GraphiQL at /graphiql, health at /livez and /readyz, exports at /export, demo tokens
 * at /demo/tokens (demo mode only). Stateless: the database is the only state.
 */
export async function createHub(deps: HubOptions): Promise<Hub> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const schema = hubSchema();
  const { plugin: costLimit, ...limits } = queryLimits(schema, deps.config); // README "Limits"
  const apollo = new ApolloServer<RequestContext>({
    schema,
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
    formatError: createErrorFormatter(deps.log, { hideSuggestions: deps.config.hideSuggestions }),
    // main.ts owns the signals: with Apollo's own handlers too, two concurrent stop() calls wait
    // on each other and the process never exits.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // The hub sets no cache hints; the default plugin would wrap every field resolver, leaves
      // included, which DESIGN §6 rules out for the hot path.
      ApolloServerPluginCacheControlDisabled(),
      costLimit,
      {
        // Ends the request's transaction before the response leaves: a mutation's writes are
        // acknowledged only once committed, and a failed mutation leaves nothing behind.
        async requestDidStart() {
          return {
            async willSendResponse({ contextValue, operation, errors }) {
              const failedWrite = operation?.operation === 'mutation' && (errors?.length ?? 0) > 0;
              await contextValue.tx.finish(!failedWrite);
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.db.query('SELECT 1');
      const pending = await deps.db.showMigrations();
      if (pending) {
        res.status(503).json({ status: 'migrations pending' });
        return;
      }
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  });
  app.get('/graphiql', graphiqlHandler(deps.demo));
  if (deps.demo) {
    const demo = deps.demo;
    app.get('/demo/tokens', async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(await demo.tokens());
    });
  }
  app.get('/', (_req, res) => res.redirect('/graphiql'));
  app.use('/export', exportRouter(deps)); // README "Exports"
  app.use('/import', importRouter(deps)); // README "Uploads"
  app.use(
    '/graphql',
    express.json({ limit: BODY_LIMIT_BYTES }),
    bodyErrors,
    expressMiddleware(apollo, {
      context: async ({ req }) => createContext(deps, await deps.auth.authenticate(req.headers.authorization)),
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
    close: () => apollo.stop(),
  };
}
