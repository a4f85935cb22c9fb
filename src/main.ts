import 'reflect-metadata';
import { loadConfig } from './config';
import { exitAfterStartupFailure, openDatabase } from './db/open';
import { createLogger } from './logger';
import { createHub } from './server';
import { createAuthentication } from './access/auth';
import { seedDemoData } from '../seeds/seed';

/** Seconds after the drain time for closing the database and the rate limits' Redis connection. */
const CLOSE_GRACE_SECONDS = 5;

/** `npm start`: config, database (migrations; demo data on a fresh embedded database), server. */
async function main() {
  // A signal during start-up (migrations, seeding) is held until the hub is up and then stops it
  // the graceful way: the default action would kill the process in the middle of a transaction
  // and leave DATA_DIR's lock behind.
  let stop: ((signal: string) => Promise<void>) | undefined;
  let pendingSignal: string | undefined;
  const onSignal = (signal: string) => {
    if (stop) void stop(signal);
    else pendingSignal ??= signal;
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = await openDatabase(config, log);
  if (database.embedded) {
    const seeded = await seedDemoData(database.db, undefined, config.disclosureThreshold);
    if (seeded.seeded) log.info('demo data loaded', { observations: seeded.observations });
  }
  const { auth, demo } = await createAuthentication({ ...config, db: database.db, log });
  const hub = await createHub({ db: database.db, publicPool: database.publicPool, log, config, auth, demo, operations: { ...config, observe: true, redisKeyPrefix: 'kobi:rl' } });
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

  // Graceful stop (README "Operations"): stop accepting, let requests in flight finish for up to
  // SHUTDOWN_DRAIN_SECONDS, close the database, exit 0. Should closing hang (a statement stuck
  // on a lock past the drain time), the process ends anyway a few seconds later, with 1.
  let stopping = false;
  stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    log.info('shutting down: draining requests in flight', { signal, drainSeconds: config.shutdownDrainSeconds });
    setTimeout(() => {
      log.error('shutdown did not finish in time; exiting anyway', { seconds: (Date.now() - started) / 1000 });
      process.exit(1);
    }, (config.shutdownDrainSeconds + CLOSE_GRACE_SECONDS) * 1000).unref();
    await hub.close();
    await database.close();
    log.info('stopped', { seconds: (Date.now() - started) / 1000 });
    process.exit(0);
  };
  if (pendingSignal) void stop(pendingSignal);
}

main().catch((err) => exitAfterStartupFailure('kobi-hub', err));
