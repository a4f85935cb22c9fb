import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { createTestDatabase, type TestDatabase } from './support/database';
import { startTestHub, type TestHub } from './support/hub';
import { plainCsv, writeLargeUpload } from './support/uploads';

// The compiled entry points, as `npm start` and `npm run import` run them (npm test compiles first).
const MAIN = path.resolve(__dirname, '../dist/src/main.js');
const CLI = path.resolve(__dirname, '../dist/src/import-cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-import-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Cells of the large upload (years the demo data does not hold), its records and its audit rows, read with `query`. */
async function traces(query: (sql: string) => Promise<Array<Record<string, unknown>>>) {
  const [row] = await query(
    `SELECT (SELECT count(*) FROM observation WHERE period_start < '1990-01-01' OR period_start >= '2030-01-01')::int AS cells,
            (SELECT count(*) FROM data_import)::int AS imports,
            (SELECT count(*) FROM observation_audit WHERE import_id IS NOT NULL)::int AS audit`,
  );
  return row;
}

describe('the hub killed in the middle of a large upload', () => {
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await database?.close();
  });

  it('leaves no trace of it (SIGKILL while the rows are being written)', async () => {
    // On a server: the hub on this file's database; embedded: the hub with its own DATA_DIR (PGlite
    // in the hub's process), and a smaller file (PGlite stages some 10,000 rows a second).
    const server = process.env.DATABASE_URL !== undefined;
    const file = path.join(tmp, 'large.csv');
    const rows = await writeLargeUpload(file, server ? 260 : 40);
    expect(rows).toBe(server ? 234_520 : 36_080);
    const dataDir = path.join(tmp, 'data');
    if (server) database = await createTestDatabase();
    const { DATABASE_URL: _omit, ...base } = process.env;
    const env = { ...base, NODE_ENV: 'production', PORT: '0', DATA_DIR: dataDir, DEMO_MODE: '1', ...(server ? { DATABASE_URL: database!.url } : {}) };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      let stderr = '';
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr.on('data', (c) => {
          stderr += c;
          const m = /listening on http:\/\/localhost:(\d+)/.exec(stderr);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', () => reject(new Error(`the hub exited: ${stderr}`)));
      });
      const tokens = await (await fetch(`http://127.0.0.1:${port}/demo/tokens`)).json();

      const request = http.request(`http://127.0.0.1:${port}/import?format=plain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens['statistik-editor']}`, 'content-type': 'text/csv', 'content-length': fs.statSync(file).size },
      });
      let answered = false;
      request.on('response', () => (answered = true));
      request.on('error', () => undefined); // the connection dies with the hub
      // On a server: wait until the hub writes the new versions (the whole body staged with COPY), then kill it.
      // Embedded: kill it once half of the body has gone out (rows are being staged in its transaction;
      // on PGlite the whole pipeline would take longer than this test may).
      const size = fs.statSync(file).size;
      let bytes = 0;
      const halfSent = new Promise<void>((resolve) => {
        const source = fs.createReadStream(file);
        source.on('data', (c) => {
          bytes += c.length;
          if (bytes > size / 2) resolve();
        });
        source.pipe(request).on('finish', resolve);
      });
      await halfSent;
      if (server) {
        const watcher = new pg.Client({ connectionString: database!.url });
        await watcher.connect();
        const deadline = Date.now() + 20_000;
        let writing = false;
        while (!writing && !answered && Date.now() < deadline) {
          const [r] = (await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%INSERT INTO observation AS o%'`)).rows;
          writing = r.n > 0;
          if (!writing) await new Promise((res) => setTimeout(res, 10));
        }
        await watcher.end();
        expect(writing, 'the hub was caught writing the new versions').toBe(true);
      } else {
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(answered, 'the upload was still running').toBe(false);
      child.kill('SIGKILL');
      await exited;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    }

    if (server) {
      // The server rolls back the dead connection's transaction once it notices; wait for that.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const [r] = await database!.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'kobi-data-hub' AND state <> 'idle'`);
        if (r.n === 0) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(await traces((sql) => database!.db.query(sql))).toEqual({ cells: 0, imports: 0, audit: 0 });
    } else {
      const embedded = await startEmbeddedPostgres({ dataDir });
      try {
        const client = new pg.Client({ connectionString: embedded.url });
        await client.connect();
        const seeded = (await client.query(`SELECT count(*)::int AS n FROM observation`)).rows[0].n;
        expect(seeded).toBeGreaterThan(10_000); // the demo data is there, the upload is not
        expect(await traces(async (sql) => (await client.query(sql)).rows)).toEqual({ cells: 0, imports: 0, audit: 0 });
        await client.end();
      } finally {
        await embedded.stop();
      }
    }
  }, 90_000);
});

describe('npm run import (the CLI) against a running hub', () => {
  let t: TestHub;
  let key: string;
  beforeAll(async () => {
    t = await startTestHub();
    key = (await t.data(`mutation { createApiKey(input: { name: "Upload-Skript", scope: READ_WRITE }) { key } }`, {}, 'halle-admin')).createApiKey.key;
  });
  afterAll(async () => {
    await t?.close();
  });

  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const { KOBI_API_KEY: _k, KOBI_URL: _u, ...base } = process.env;
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  }

  const row = (value: string, period = '2032/33') => ({ indicator: 'K15002-SSA', region: '15002', period, breakdown_dimension: 'SCHOOL_TYPE', breakdown_code: 'GS', value });

  it('streams a file to /import with a progress bar and prints the report; dry run, refused rows and a missing key', async () => {
    const file = path.join(tmp, 'halle.csv');
    fs.writeFileSync(file, plainCsv([row('21.5'), row('22.5', '2033/34')]));
    const dry = await cli([file, '--url', t.baseUrl, '--key', key, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ status: 'DRY_RUN', inserted: 2 });
    expect(dry.stderr).toMatch(/upload .*halle\.csv \[#+\] 100%/);

    const done = await cli([file, '--idempotency-key', 'cli-1'], { KOBI_URL: t.baseUrl, KOBI_API_KEY: key });
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'COMMITTED', inserted: 2, replayed: false });
    const again = await cli([file, '--idempotency-key', 'cli-1'], { KOBI_URL: t.baseUrl, KOBI_API_KEY: key });
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'COMMITTED', replayed: true });
    const cells = await t.database.db.query(`SELECT value FROM observation WHERE period IN ('2032/33', '2033/34') AND uploaded_by LIKE 'api-key:%' ORDER BY value`);
    expect(cells).toEqual([{ value: 21.5 }, { value: 22.5 }]);

    const bad = path.join(tmp, 'bad.csv');
    fs.writeFileSync(bad, '\uFEFFIndikator;Indikatorname;Regionalschlüssel;Region;Zeitraum;Aufgliederung;Ausprägung;Wert;Einheit\r\nK15002-SSA;x;15002;Halle;2034/35;SCHOOL_TYPE;GS;101,5;%\r\n# Abgerufen: 2026-01-01\r\n');
    const refused = await cli([bad, '--url', t.baseUrl, '--key', key]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'REJECTED', errors: [{ row: 2, column: 'Wert', code: 'VALUE_OUT_OF_RANGE' }] });
    expect(refused.stderr).toContain('row 2 (Wert): VALUE_OUT_OF_RANGE');

    const unauthenticated = await cli([file, '--url', t.baseUrl]);
    expect(unauthenticated.code).toBe(2);
    expect(unauthenticated.stderr).toContain('KOBI_API_KEY');
    const wrongKey = await cli([file, '--url', t.baseUrl, '--key', 'kobi_abcdefgh_' + 'x'.repeat(32)]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain('UNAUTHENTICATED');
  });
});
