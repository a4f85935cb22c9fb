import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { backupDataDir, restoreDataDir } from '../src/db/backup';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { createTestDatabase } from './support/database';
import { postGraphQL, startHubProcess } from './support/hub-process';
import { tempDirs } from './support/temp-dirs';

// The documented backup procedures (README "Backups") round-trip: everything that was in the
// database is in the restored one, and the hub serves it.

const serverUrl = process.env.DATABASE_URL;
const tmp = tempDirs('kobi-backup-');

/** Row count of every table of the hub's schema, and a digest of the observations' values. */
async function contents(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows.map((r) => r.tablename);
    const out: Record<string, string> = {};
    for (const t of tables) out[t] = (await client.query(`SELECT count(*)::text AS n FROM ${t}`)).rows[0].n;
    out['observation values'] = (
      await client.query(`SELECT md5(string_agg(concat_ws('|', id, value, status, symbol, release_state, superseded_at), ',' ORDER BY id)) AS d FROM observation`)
    ).rows[0].d;
    return out;
  } finally {
    await client.end();
  }
}

async function servesData(env: Record<string, string>) {
  const hub = await startHubProcess(env);
  try {
    const res = await postGraphQL(hub.baseUrl, '{ series(indicatorCodes: ["C1"], regionCodes: ["15084"], from: "2020", to: "2020") { values } }');
    expect(res.body).toEqual({ data: { series: [{ values: [57.4] }] } });
  } finally {
    expect(await hub.stop()).toBe(0);
  }
}

describe.skipIf(serverUrl)('embedded backup (npm run backup / npm run restore)', () => {
  it('restores into an empty DATA_DIR exactly what was backed up; no backup while a hub runs', async () => {
    // A DATA_DIR with history: release 0.1.0's (that the next start migrates a restored old
    // backup is test/upgrade.test.ts's case).
    const source = tmp();
    execFileSync('tar', ['-xJf', path.resolve(__dirname, 'fixtures/release-0.1.0/data-dir.tar.xz'), '-C', source]);
    const file = path.join(tmp(), 'kobi.tar.gz');
    // A hub on DATA_DIR holds its lock file with its pid; any other live process counts the same.
    fs.writeFileSync(path.join(source, 'hub.lock'), String(process.ppid));
    await expect(backupDataDir(source, file)).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
    expect(fs.existsSync(file)).toBe(false);
    fs.rmSync(path.join(source, 'hub.lock'));

    const read = async (dataDir: string) => {
      const db = await startEmbeddedPostgres({ dataDir });
      try {
        return await contents(db.url);
      } finally {
        await db.stop();
      }
    };
    const before = await read(source);
    expect(Number(before.observation)).toBeGreaterThan(10_000);

    const { bytes } = await backupDataDir(source, file);
    expect(fs.statSync(file).size).toBe(bytes);
    expect(fs.existsSync(`${file}.partial`)).toBe(false);

    const target = path.join(tmp(), 'restored');
    await restoreDataDir(file, target);
    expect(await read(target)).toEqual(before);
  }, 120_000);

  it('refuses a restore into a folder with content, and leaves an empty one empty after a damaged backup', async () => {
    const dataDir = tmp();
    execFileSync('tar', ['-xJf', path.resolve(__dirname, 'fixtures/release-0.1.0/data-dir.tar.xz'), '-C', dataDir]);
    const file = path.join(tmp(), 'kobi.tar.gz');
    await backupDataDir(dataDir, file);

    const occupied = tmp();
    fs.writeFileSync(path.join(occupied, 'notes.txt'), 'keep me');
    await expect(restoreDataDir(file, occupied)).rejects.toThrow(/not empty/);
    expect(fs.readdirSync(occupied)).toEqual(['notes.txt']);

    const damaged = path.join(tmp(), 'damaged.tar.gz');
    fs.writeFileSync(damaged, fs.readFileSync(file).subarray(0, 4096));
    const empty = path.join(tmp(), 'empty');
    await expect(restoreDataDir(damaged, empty)).rejects.toThrow(/not a complete backup/);
    expect(fs.existsSync(empty) ? fs.readdirSync(empty) : []).toEqual([]);
  });
});

describe('npm run backup / restore on the command line', () => {
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [path.resolve(__dirname, '../dist/src/backup-cli.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

  it('points a server installation to pg_dump, and says how to call it; one line, exit 1, nothing written', () => {
    const dir = tmp();
    const file = path.join(dir, 'x.tar.gz');
    const server = run([file], { DATABASE_URL: 'postgres://kobi:secret@127.0.0.1:1/kobi' });
    expect(server.status).toBe(1);
    expect(server.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.stderr).toMatch(/^kobi-backup: DATABASE_URL is set: back up a Postgres server with pg_dump/);
    expect(server.stderr).not.toContain('secret');
    const usage = run([], { DATA_DIR: dir });
    expect(usage.status).toBe(1);
    expect(usage.stderr).toMatch(/^kobi-backup: usage: npm run backup -- <file.tar.gz>/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe.runIf(serverUrl)('server backup (pg_dump -Fc / pg_restore)', () => {
  it('a dump restored into a fresh database holds the same data, and the hub serves it', async () => {
    const source = await createTestDatabase();
    const name = `kobi_restore_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const restored = new URL(serverUrl!);
    restored.pathname = `/${name}`;
    try {
      const file = path.join(tmp(), 'kobi.dump');
      // The commands of README "Backups": as the owner, row-level security stays on for the dump.
      execFileSync('pg_dump', ['-Fc', '--enable-row-security', '-d', source.url, '-f', file]);
      await admin.query(`CREATE DATABASE ${name}`);
      execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', restored.toString(), file]);
      expect(await contents(restored.toString())).toEqual(await contents(source.url));
      await servesData({ DATABASE_URL: restored.toString(), DEMO_MODE: '0' });
    } finally {
      await source.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 120_000);
});
