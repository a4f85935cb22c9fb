import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { newApiKey } from '../src/access/secrets';
import { loadConfig } from '../src/config';
import { runMigrations } from '../src/db/data-source';
import { runBench, table, UsageError } from './support';

/**
 * `npm run bench:import` (README "Performance"): uploads generated CSV files (format=plain) of two
 * sizes through the real pipeline — `POST /import` of a hub started as its own process (the
 * compiled `npm start` entry point) on a scratch database of the PostgreSQL server named by
 * DATABASE_URL — and, in the same run, three baselines: a plain `COPY` of the same file into a
 * fresh table of the same columns (what the target is stated against); a plain `COPY` of
 * the same rows with their ids already resolved into `observation` itself (its indexes, foreign
 * keys and audit trigger as installed, as the owner: the floor any pipeline that writes into the
 * real table pays; rolled back, then the table vacuumed); and that COPY again with the table's
 * triggers off (no foreign-key checks, no audit: the heap and its indexes alone). Prints rows/s
 * of all four, the ratios and the hub's peak RSS (VmHWM) per file size (target: flat in the
 * size). Each size gets a fresh hub process, so that each peak is its own. Its own catalogue: one Land body, a Land with `--regions` Kreise,
 * `--indicators` yearly indicators; the rows are new cells (first versions, drafts).
 */

const MAIN = path.resolve(__dirname, '../src/main.js');
const YEARS = 25;

interface Catalogue {
  regions: string[];
  indicators: string[];
}

/** A scratch database on the server, migrated, with the catalogue and a READ_WRITE API key. */
async function prepare(serverUrl: string, regionCount: number, indicatorCount: number): Promise<{ url: string; key: string; catalogue: Catalogue; drop(): Promise<void> }> {
  const name = `kobi_bench_import_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await runMigrations({ url, connectTimeoutSeconds: 10 });
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const regions = Array.from({ length: regionCount }, (_, i) => `K${String(i + 1).padStart(5, '0')}`);
  const indicators = Array.from({ length: indicatorCount }, (_, i) => `BI${String(i + 1).padStart(3, '0')}`);
  await db.query(`INSERT INTO region (code, name, level, kind, valid_from) VALUES ('L1', 'Benchland', 'LAND', 'Land', '1990-01-01')`);
  await db.query(
    `INSERT INTO region (code, name, level, kind, parent_id, valid_from)
     SELECT c, 'Kreis ' || c, 'KREIS', 'Landkreis', (SELECT id FROM region WHERE code = 'L1'), '1990-01-01' FROM unnest($1::text[]) c`,
    [regions],
  );
  await db.query(`INSERT INTO organization (code, name, kind, region_id) SELECT 'statistik-bench', 'Statistisches Amt (Bench)', 'LAND', id FROM region WHERE code = 'L1'`);
  await db.query(`INSERT INTO education_area (code, name, name_en, sort_order) VALUES ('Z', 'Bench', 'Bench', 99) ON CONFLICT DO NOTHING`);
  await db.query(
    `INSERT INTO indicator (code, name, name_en, definition, unit, decimals, area_code, period_type, aggregation, levels, valid_min, source, owner_org_id, visibility)
     SELECT c, 'Indikator ' || c, 'Indicator ' || c, 'Anzahl', 'persons', 0, 'Z', 'YEAR', 'SUM', '{LAND,KREIS}', 0, 'Bench', o.id, 'PUBLIC'
     FROM unnest($1::text[]) c, organization o WHERE o.code = 'statistik-bench'`,
    [indicators],
  );
  const { key, prefix, secretHash } = newApiKey();
  await db.query(`INSERT INTO api_key (organization_id, name, prefix, secret_hash, scope, created_by) SELECT id, 'bench', $1, $2, 'READ_WRITE', 'bench' FROM organization WHERE code = 'statistik-bench'`, [prefix, secretHash]);
  await db.query('ANALYZE');
  await db.end();
  return {
    url,
    key,
    catalogue: { regions, indicators },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Writes `rows` plain CSV rows (indicator × region × year, from indicator `first` on); returns the file size. */
async function writeCsv(file: string, catalogue: Catalogue, first: number, rows: number): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write('indicator,region,period,breakdown_dimension,breakdown_code,value,status,symbol,unit\n');
  let n = 0;
  for (let i = first; i < catalogue.indicators.length && n < rows; i++) {
    for (const region of catalogue.regions) {
      if (n >= rows) break;
      let chunk = '';
      for (let y = 0; y < YEARS && n < rows; y++, n++) chunk += `${catalogue.indicators[i]},${region},${2000 + y},,_T,${(n * 7919) % 100_000},A,,persons\n`;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  if (n < rows) throw new UsageError(`the catalogue holds only ${n} new cells from indicator ${first + 1} on; raise --regions or --indicators`);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return fs.statSync(file).size;
}

/** Peak and current resident set of a process, from /proc (Linux), in MB. */
function rss(pid: number): { peak: number; now: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

/** Starts the hub (compiled entry point) on the scratch database, with `dataDir` as its DATA_DIR (removed by the caller); resolves with its port. */
async function startHub(url: string, dataDir: string): Promise<{ child: ChildProcess; port: number; stop(): Promise<void> }> {
  const { DATABASE_URL: _d, MIGRATION_DATABASE_URL: _m, ...base } = process.env;
  const child = spawn(process.execPath, [MAIN], {
    env: { ...base, NODE_ENV: 'production', PORT: '0', DATABASE_URL: url, DEMO_MODE: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    // LOG_LEVEL=warn hides the "listening" line: ask the OS which port the child listens on instead.
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('exit', (code) => reject(new Error(`the hub exited (${code}): ${stderr}`)));
    const poll = async () => {
      const found = listeningPort(child.pid!);
      if (found) return resolve(found);
      setTimeout(poll, 100);
    };
    void poll();
  });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The TCP port a process listens on, from /proc/net/tcp{,6} and its open sockets. */
function listeningPort(pid: number): number | undefined {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      fs
        .readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => !!x),
    );
  } catch {
    return undefined;
  }
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9])) return parseInt(f[1].split(':')[1], 16); // 0A = LISTEN
    }
  }
  return undefined;
}

/** Streams the file to the hub's /import; resolves with the report and the seconds it took. */
function postFile(port: number, key: string, file: string): Promise<{ report: any; status: number; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(`http://127.0.0.1:${port}/import?format=plain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv', 'content-length': fs.statSync(file).size },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ report: JSON.parse(body), status: res.statusCode ?? 0, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
    });
    req.on('error', reject);
    fs.createReadStream(file).pipe(req);
  });
}

/** The baseline: a plain COPY of the same CSV into a fresh table of the same columns. */
async function copyBaseline(url: string, file: string, label: string): Promise<{ rows: number; seconds: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const tableName = `copy_baseline_${label}`;
  await client.query(`CREATE TABLE ${tableName} (indicator text, region text, period text, breakdown_dimension text, breakdown_code text, value double precision, status text, symbol text, unit text)`);
  const started = process.hrtime.bigint();
  const sink = client.query(copyFrom(`COPY ${tableName} FROM STDIN (FORMAT csv, HEADER true)`));
  await pipeline(fs.createReadStream(file), sink);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await client.query(`DROP TABLE ${tableName}`);
  await client.end();
  return { rows: sink.rowCount, seconds };
}

/**
 * The floor: the same rows, ids resolved (as the pipeline's checks resolve them), COPied straight
 * into `observation` as the owner (row-level security does not apply to the server's superuser;
 * indexes, foreign keys and the audit trigger do), in a transaction that is rolled back so that
 * the upload then writes the same cells; the table is vacuumed afterwards (not timed).
 * With `indexesOnly`, the transaction first disables the table's triggers — the audit trigger and
 * the foreign keys' checks (a superuser's right) — so that what is left is the heap and the
 * indexes: what no pipeline that writes the real table can go below.
 */
async function observationBaseline(url: string, file: string, indexesOnly: boolean): Promise<{ rows: number; seconds: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const ids = async (sql: string) => new Map<string, number>((await client.query(sql)).rows.map((r: { code: string; id: number }) => [r.code, r.id]));
  const indicators = await ids('SELECT code, id FROM indicator');
  const regions = await ids('SELECT code, id FROM region WHERE valid_to IS NULL');
  const [{ id: owner }] = (await client.query(`SELECT id FROM organization WHERE code = 'statistik-bench'`)).rows;
  const resolved = file.replace(/\.csv$/, '.ids.csv');
  const out = fs.createWriteStream(resolved);
  let first = true;
  let chunk = '';
  for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
    if (first) {
      first = false;
      continue;
    }
    // indicator,region,period,breakdown_dimension,breakdown_code,value,status,symbol,unit (writeCsv)
    const [indicator, region, period, dimension, code, value, status, symbol] = line.split(',');
    chunk += `${indicators.get(indicator)},${regions.get(region)},${period},${period}-01-01,${dimension},${code},${value},${status},${symbol},${owner},bench,1\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end(chunk, (err?: Error | null) => (err ? reject(err) : resolve())));
  await client.query('BEGIN');
  if (indexesOnly) await client.query('ALTER TABLE observation DISABLE TRIGGER ALL');
  const started = process.hrtime.bigint();
  const sink = client.query(
    copyFrom(`COPY observation (indicator_id, region_id, period, period_start, breakdown_dimension, breakdown_code, value, status, symbol, owner_org_id, uploaded_by, definition_version)
              FROM STDIN (FORMAT csv, FORCE_NOT_NULL (breakdown_dimension, symbol))`),
  );
  await pipeline(fs.createReadStream(resolved), sink);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await client.query('ROLLBACK');
  await client.query('VACUUM observation, observation_audit');
  await client.end();
  fs.rmSync(resolved, { force: true });
  return { rows: sink.rowCount, seconds };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '250000,1000000' },
      regions: { type: 'string', default: '2000' },
      indicators: { type: 'string', default: '25' },
    },
  });
  const sizes = values.rows.split(',').map(Number);
  const regionCount = Number(values.regions);
  const indicatorCount = Number(values.indicators);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !(regionCount > 0) || !(indicatorCount > 0)) throw new UsageError('--rows takes sizes like 250000,1000000; --regions and --indicators positive integers');
  const serverUrl = loadConfig().databaseUrl;
  if (!serverUrl) throw new UsageError('set DATABASE_URL to a PostgreSQL server (the benchmark creates and drops a scratch database on it; COPY needs a server)');
  if (!fs.existsSync(MAIN)) throw new UsageError(`${MAIN} is missing: run through npm run bench:import (it compiles first)`);

  const scratch = await prepare(serverUrl, regionCount, indicatorCount);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-bench-import-'));
  const results: string[][] = [];
  try {
    let firstIndicator = 0;
    for (const [n, rows] of sizes.entries()) {
      const file = path.join(dir, `upload-${rows}.csv`);
      const bytes = await writeCsv(file, scratch.catalogue, firstIndicator, rows);
      firstIndicator += Math.ceil(rows / (regionCount * YEARS));
      const copy = await copyBaseline(scratch.url, file, String(n));
      const floor = await observationBaseline(scratch.url, file, false);
      const indexesOnly = await observationBaseline(scratch.url, file, true);
      const hub = await startHub(scratch.url, dir);
      try {
        const idle = rss(hub.child.pid!);
        let peak = idle.peak;
        const sampler = setInterval(() => (peak = Math.max(peak, rss(hub.child.pid!).peak)), 100);
        const upload = await postFile(hub.port, scratch.key, file);
        clearInterval(sampler);
        peak = Math.max(peak, rss(hub.child.pid!).peak);
        if (upload.status !== 200 || upload.report.status !== 'COMMITTED' || upload.report.inserted !== rows) {
          throw new Error(`the upload of ${rows} rows failed: HTTP ${upload.status} ${JSON.stringify(upload.report).slice(0, 500)}`);
        }
        const uploadRate = rows / upload.seconds;
        const copyRate = copy.rows / copy.seconds;
        const floorRate = floor.rows / floor.seconds;
        const indexesRate = indexesOnly.rows / indexesOnly.seconds;
        const ratio = (other: number) => `${(uploadRate / other).toFixed(2)} (1/${(other / uploadRate).toFixed(1)})`;
        console.log(`${rows.toLocaleString('en')} rows (${(bytes / 1e6).toFixed(1)} MB): upload ${upload.seconds.toFixed(1)} s, COPY ${copy.seconds.toFixed(1)} s, COPY into observation ${floor.seconds.toFixed(1)} s, the same without triggers ${indexesOnly.seconds.toFixed(1)} s (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
        results.push([
          rows.toLocaleString('en'),
          `${(bytes / 1e6).toFixed(1)} MB`,
          `${upload.seconds.toFixed(1)} s`,
          Math.round(uploadRate).toLocaleString('en'),
          Math.round(copyRate).toLocaleString('en'),
          ratio(copyRate),
          Math.round(indexesRate).toLocaleString('en'),
          `${(indexesRate / copyRate).toFixed(2)} (1/${(copyRate / indexesRate).toFixed(1)})`,
          Math.round(floorRate).toLocaleString('en'),
          ratio(floorRate),
          `${idle.peak.toFixed(0)} MB`,
          `${peak.toFixed(0)} MB`,
        ]);
      } finally {
        await hub.stop();
      }
      fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await scratch.drop();
  }
  console.log('');
  console.log(table(['rows', 'file', 'upload', 'rows/s', 'COPY rows/s', 'upload ÷ COPY', 'indexes only rows/s', 'indexes only ÷ COPY', 'COPY into observation rows/s', 'upload ÷ that', 'hub RSS idle', 'hub peak RSS'], results));
  console.log(`\nLoad average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} cores).`);
  console.log('Target: upload at least 1/3 of the speed of a plain COPY of the same rows; peak RSS flat in the file size.');
  console.log('COPY into observation is the floor of any pipeline writing the real table; "indexes only" is that COPY with the foreign keys and the audit trigger off (heap and indexes).');
}

runBench(main, 'bench:import');
