import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Authenticator } from './access/auth';
import type { DemoIssuer } from './access/demo';
import { exportRouter } from './export/export.router';
import { createContext, type HubDeps, type RequestContext } from './graphql/context';
import { createErrorFormatter } from './graphql/errors';
import { graphiqlHandler } from './graphql/graphiql';
import { queryLimits } from './graphql/limits';
import { hubSchema } from './graphql/schema';

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
    introspection: true, // analysts explore the schema in GraphiQL; the data is guarded, not the shape
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(deps.log),
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
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
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
