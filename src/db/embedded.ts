import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The marker that says a folder is a KoBi data directory; nothing else is ever touched. */
export const KOBI_DATA_DIR_MARKER = 'kobi-hub.json';
const MARKER = KOBI_DATA_DIR_MARKER;
const PG_SUBDIR = 'pgdata';

export class DataDirError extends Error {}

export interface EmbeddedPostgres {
  /** Connection URL for node-postgres / TypeORM, on loopback. */
  url: string;
  /** The PGlite instance (tests use it to dump a seeded copy). */
  db: PGlite;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder for the data; undefined keeps everything in memory (tests). */
  dataDir?: string;
  /** A `dumpDataDir()` tarball to start from: a test's seeded copy in memory, or a backup restored into an empty DATA_DIR (src/db/backup.ts). */
  loadDataDir?: Blob;
  /** Loopback port; 0 picks a free one. */
  port?: number;
}

/**
 * Checks that `dataDir` is empty, missing or ours, and takes a lock on it. A folder with other
 * content is refused rather than re-initialised: it may be someone's data.
 */
function prepareDataDir(dataDir: string): { fresh: boolean; release(): void } {
  fs.mkdirSync(dataDir, { recursive: true });
  const entries = fs.readdirSync(dataDir).filter((e) => e !== 'hub.lock');
  const markerPath = path.join(dataDir, MARKER);
  let fresh = false;
  if (entries.length === 0) {
    fs.writeFileSync(markerPath, JSON.stringify({ format: 1, createdAt: new Date().toISOString() }) + '\n');
    fresh = true;
  } else if (!entries.includes(MARKER)) {
    throw new DataDirError(
      `DATA_DIR ${dataDir} is not empty and is not a KoBi data directory (no ${MARKER}); refusing to use it. Point DATA_DIR to an empty or new folder.`,
    );
  } else {
    let format: unknown;
    try {
      format = JSON.parse(fs.readFileSync(markerPath, 'utf8')).format;
    } catch {
      format = undefined;
    }
    if (format !== 1) throw new DataDirError(`DATA_DIR ${dataDir}: ${MARKER} is unreadable or of an unknown format; the folder was left untouched.`);
    if (!fs.existsSync(path.join(dataDir, PG_SUBDIR, 'PG_VERSION'))) {
      throw new DataDirError(`DATA_DIR ${dataDir}: the database folder ${PG_SUBDIR}/ is missing or incomplete; the folder was left untouched. Restore it from a backup or use an empty DATA_DIR.`);
    }
  }
  const lockPath = path.join(dataDir, 'hub.lock');
  const tryLock = (): boolean => {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      return false;
    }
  };
  if (!tryLock()) {
    const holder = Number(fs.readFileSync(lockPath, 'utf8'));
    let alive = false;
    try {
      process.kill(holder, 0);
      alive = holder !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) throw new DataDirError(`DATA_DIR ${dataDir} is in use by process ${holder}; the embedded database allows one hub at a time.`);
    fs.rmSync(lockPath, { force: true }); // stale lock of a process that died
    if (!tryLock()) throw new DataDirError(`DATA_DIR ${dataDir}: could not take the lock ${lockPath}.`);
  }
  return { fresh, release: () => fs.rmSync(lockPath, { force: true }) };
}

/**
 * Starts PGlite and serves it on loopback over the Postgres wire protocol, so that the hub uses
 * the same node-postgres code path as with a real server (DESIGN §9). PGlite runs one
 * transaction at a time: correct, not concurrent.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<EmbeddedPostgres & { fresh: boolean }> {
  const dir = opts.dataDir ? prepareDataDir(opts.dataDir) : undefined;
  let db: PGlite;
  try {
    db = await PGlite.create(opts.dataDir ? path.join(opts.dataDir, PG_SUBDIR) : undefined, opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {});
    await db.query('SELECT 1');
  } catch (err) {
    dir?.release();
    throw new DataDirError(
      `the embedded database in ${opts.dataDir ?? '(memory)'} could not be opened (${(err as Error).message ?? err}); it was left untouched. Restore it from a backup or use an empty DATA_DIR.`,
    );
  }
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: opts.port ?? 0, maxConnections: 32 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    db,
    fresh: dir ? dir.fresh : true,
    async stop() {
      await server.stop();
      await db.close();
      dir?.release();
    },
  };
}
