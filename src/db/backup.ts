import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DataDirError, KOBI_DATA_DIR_MARKER, startEmbeddedPostgres } from './embedded';

/**
 * Backup and restore of the embedded database (README "Backups"). A server database is backed
 * up with pg_dump instead: these work on DATA_DIR only.
 *
 * The backup is PGlite's own dump of its data folder (`dumpDataDir`, a gzipped tar), taken while
 * this process holds DATA_DIR's lock: a running hub holds it too, so a backup waits for no
 * transaction and can never copy a half-written state: it is refused while the hub runs (stop
 * the hub, back up, start it; the embedded mode is single-instance anyway).
 */
export async function backupDataDir(dataDir: string, file: string): Promise<{ bytes: number }> {
  if (!fs.existsSync(path.join(dataDir, KOBI_DATA_DIR_MARKER))) {
    throw new DataDirError(`DATA_DIR ${dataDir} is not a KoBi data directory (no ${KOBI_DATA_DIR_MARKER}); nothing to back up.`);
  }
  const embedded = await startEmbeddedPostgres({ dataDir });
  try {
    const tarball = Buffer.from(await (await embedded.db.dumpDataDir('gzip')).arrayBuffer());
    // Written beside the target and renamed: a failed run never leaves a truncated backup behind
    // under the name an operator would restore from.
    const partial = `${file}.partial`;
    fs.writeFileSync(partial, tarball);
    fs.renameSync(partial, file);
    return { bytes: tarball.length };
  } finally {
    await embedded.stop();
  }
}

/**
 * Restores a backup into an empty (or new) DATA_DIR; a folder with content is refused, never
 * overwritten. The restored database is as old as the backup: the hub (or `npm run migrate`)
 * applies the migrations of its release at the next start.
 */
export async function restoreDataDir(file: string, dataDir: string): Promise<void> {
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new DataDirError(`DATA_DIR ${dataDir} is not empty; restore into an empty or new folder (the current one stays untouched).`);
  }
  if (!fs.existsSync(file)) throw new DataDirError(`backup ${file} does not exist`);
  const archive = fs.readFileSync(file);
  // Checked before PGlite sees it: a truncated file would fail inside PGlite's unpacking, out of
  // reach of any error handler.
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(archive);
  } catch (err) {
    throw new DataDirError(`${file} is not a complete backup (${(err as Error).message}); nothing was restored.`);
  }
  if (!tar.includes('PG_VERSION')) throw new DataDirError(`${file} is not a backup of an embedded database (no PG_VERSION in it); nothing was restored.`);
  try {
    const embedded = await startEmbeddedPostgres({ dataDir, loadDataDir: new Blob([archive]) });
    await embedded.stop();
  } catch (err) {
    // The folder was empty: leave it so, not half restored.
    for (const entry of fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : []) fs.rmSync(path.join(dataDir, entry), { recursive: true, force: true });
    throw err instanceof DataDirError ? new DataDirError(`cannot restore ${file}: ${err.message}`) : err;
  }
}
