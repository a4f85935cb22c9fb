import 'reflect-metadata';
import { loadConfig } from './config';
import { exitAfterStartupFailure, openDatabase } from './db/open';
import { createLogger } from './logger';

/**
 * `npm run migrate` (`node dist/src/migrate-cli.js` in the image): applies the pending migrations
 * as MIGRATION_DATABASE_URL's user (the table owner; default DATABASE_URL), checks that
 * DATABASE_URL connects, and exits — the one-shot step before the hub starts in
 * docker-compose.yml. On the embedded database it migrates DATA_DIR while no hub runs on it.
 * Running it again applies nothing.
 */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = await openDatabase(config, log);
  await database.close();
  log.info('schema up to date', { migrations: database.db.migrations.map((m) => m.name) });
}

main().catch((err) => exitAfterStartupFailure('kobi-migrate', err));
