import 'reflect-metadata';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { backupDataDir, restoreDataDir } from './db/backup';
import { exitAfterStartupFailure } from './db/open';
import { createLogger } from './logger';

/**
 * `npm run backup -- <file>`: writes a backup of the embedded database in DATA_DIR (the hub must
 * be stopped: it holds DATA_DIR's lock). `npm run restore -- <file>`: restores one into an empty
 * DATA_DIR. On a Postgres server use pg_dump / pg_restore (README "Backups").
 */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const args = process.argv.slice(2);
  const restore = args[0] === '--restore';
  const file = restore ? args[1] : args[0];
  if (!file || args.length !== (restore ? 2 : 1)) throw new ConfigError('usage: npm run backup -- <file.tar.gz> | npm run restore -- <file.tar.gz>');
  if (config.databaseUrl) {
    throw new ConfigError('DATABASE_URL is set: back up a Postgres server with pg_dump -Fc and restore with pg_restore (README "Backups"); this command is for the embedded database in DATA_DIR');
  }
  const target = path.resolve(file);
  if (restore) {
    await restoreDataDir(target, config.dataDir);
    log.info('backup restored; the next start applies pending migrations', { file: target, dataDir: config.dataDir });
  } else {
    const { bytes } = await backupDataDir(config.dataDir, target);
    log.info('backup written', { file: target, dataDir: config.dataDir, bytes });
  }
}

main().catch((err) => exitAfterStartupFailure('kobi-backup', err));
