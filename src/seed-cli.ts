import 'reflect-metadata';
import { loadConfig } from './config';
import { exitAfterStartupFailure, openDatabase } from './db/open';
import { createLogger } from './logger';
import { seedDemoData } from '../seeds/seed';

/**
 * `npm run seed`: migrates and loads the demo data into the database named by DATABASE_URL (or the
 * embedded one in DATA_DIR). Loading twice is a no-op: the data carries fixed identifiers.
 */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = await openDatabase(config, log);
  try {
    const result = await seedDemoData(database.db, undefined, config.disclosureThreshold);
    log.info(result.seeded ? 'demo data loaded' : 'demo data already present; nothing written', { observations: result.observations });
  } finally {
    await database.close();
  }
}

main().catch((err) => exitAfterStartupFailure('kobi-seed', err));
