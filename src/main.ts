import 'reflect-metadata';
import { loadConfig } from './config';
import { exitAfterStartupFailure, openDatabase } from './db/open';
import { createLogger } from './logger';
import { createHub } from './server';
import { createAuthentication } from './access/auth';
import { seedDemoData } from '../seeds/seed';

/** `npm start`: config, database (migrations; demo data on a fresh embedded database), server. */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = await openDatabase(config, log);
  if (database.embedded) {
    const seeded = await seedDemoData(database.db, undefined, config.disclosureThreshold);
    if (seeded.seeded) log.info('demo data loaded', { observations: seeded.observations });
  }
  const { auth, demo } = await createAuthentication({ ...config, db: database.db, log });
  const hub = await createHub({ db: database.db, log, config, auth, demo });
  const port = await hub.listen(config.port);
  log.info(`KoBi Data Hub listening on http://localhost:${port}/graphql — GraphiQL at http://localhost:${port}/graphiql`, {
    database: database.embedded ? 'embedded' : 'server',
    logins: config.oidc ? `OIDC ${config.oidc.issuer}` : demo ? 'demo tokens' : 'none (public data only)',
  });
  if (demo) {
    log.warn(
      `demo tokens: curl http://localhost:${port}/demo/tokens, then send "Authorization: Bearer <token>" (GraphiQL: http://localhost:${port}/graphiql?as=land-analyst)`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    await hub.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => exitAfterStartupFailure('kobi-hub', err));
