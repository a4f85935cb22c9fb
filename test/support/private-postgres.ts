import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDataSource, runMigrations } from '../../src/db/data-source';
import { seedDemoData } from '../../seeds/seed';

/** Where Debian puts the PostgreSQL 15 server programs (CI installs them; DESIGN §9). */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why a private cluster cannot be started here, or undefined when it can. */
export function privateClusterUnavailable(): string | undefined {
  for (const program of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(PG_BIN, program))) return `${path.join(PG_BIN, program)} is missing (set PG_BIN to the PostgreSQL server programs)`;
  }
  return undefined;
}

/**
 * A PostgreSQL cluster of the test's own (initdb + pg_ctl in a temporary folder, on a free
 * loopback port), so that a test can stop and restart it without touching the shared server.
 * initdb refuses to run as root: as root (CI) the programs run as the `postgres` OS user.
 */
export interface PrivateCluster {
  /** postgres:// URL of the cluster's database `kobi`, migrated and seeded with the demo data (superuser `postgres`, trust auth); with `bare`, the database `postgres` of an untouched cluster. */
  url: string;
  port: number;
  /** `pg_ctl stop` in the given mode: `fast` (sessions ended cleanly) or `immediate` (as a crash). */
  stop(mode: 'fast' | 'immediate'): void;
  start(): void;
  /** Stops the cluster if it runs and removes its folder. */
  destroy(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivateCluster(opts: { bare?: boolean } = {}): Promise<PrivateCluster> {
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-pg-'));
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const run = (program: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, program), ...args]] : [path.join(PG_BIN, program), args];
    execFileSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const data = path.join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  // The socket in the cluster's own folder, TCP on loopback only; fsync stays on (the test checks
  // that acknowledged writes survive an immediate stop).
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`;
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  let running = false;
  const stop = (mode: 'fast' | 'immediate') => {
    run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
    running = false;
  };
  start();
  running = true;
  const url = opts.bare ? `postgres://postgres@127.0.0.1:${port}/postgres` : await prepareKobiDatabase(port);
  return {
    url,
    port,
    stop,
    start() {
      start();
      running = true;
    },
    destroy() {
      try {
        if (running) stop('immediate');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates the database `kobi` on a fresh cluster, migrated and seeded with the demo data. */
async function prepareKobiDatabase(port: number): Promise<string> {
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE kobi');
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:${port}/kobi`;
  await runMigrations({ url, connectTimeoutSeconds: 5 });
  const db = createDataSource({ url, connectTimeoutSeconds: 5 });
  await db.initialize();
  await seedDemoData(db);
  await db.destroy();
  return url;
}

// The hub as a process (db-faults, shutdown): one helper for every test that starts it.
export { MAIN, startHubProcess, type HubProcess } from './hub-process';
