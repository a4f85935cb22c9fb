import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createAuthentication } from '../src/access/auth';
import { loadConfig } from '../src/config';
import { redactUrl } from '../src/db/data-source';
import { openDatabase } from '../src/db/open';
import { silentLogger } from '../src/logger';
import { createHub } from '../src/server';
import { startBareApollo, startRawServer, type Baseline, type RawRequest } from './baselines';
import { SCALE_KEY, scaleIndicatorCode, type ScaleInfo } from './scale-data';
import { loadOk as load, type LoadResult } from './load';
import { countStatements, median, runBench, table, UsageError } from './support';

/**
 * `npm run bench [-- --duration S --rounds N --connections 1,16,64 --only name,…]`: the workloads
 * of a dashboard and a report generator through the real hub over HTTP, against the scale data of
 * `npm run bench:data` in the database named by DATABASE_URL, at several concurrencies with the
 * load generator of bench/load.ts (in a worker thread, so that it does not share the servers'
 * event loop; it does share the machine's cores), in rounds of all sides whose ratios are taken
 * per round and then their median. Two baselines run the same statements in the same
 * run (bench/baselines.ts): raw `pg` + `JSON.stringify`, and bare Apollo (graphql-js by hand).
 * The hub runs with demo mode off and is asked as the public, which reads every cell of the scale
 * data (released, PUBLIC): so all three sides must return the same number of cells, checked.
 *
 * Targets (issue 4): bulk ≤ 1.5× raw (p50); dashboard p99 ≤ 1.3× bare Apollo; SQL statements per
 * request ≤ the list levels of the query (the depth of nested list fields, scalar lists included).
 */

const BULK_CELLS = 100_000;
const CATALOGUE_PAGE = 100;
/**
 * Bulk pulls take a CPU core for hundreds of milliseconds each: beyond this many at once they only
 * queue on a small machine (at 64, no request completes within a run), so bulk runs at the
 * concurrencies given, capped at this one, for at least BULK_MIN_DURATION seconds.
 */
const BULK_MAX_CONNECTIONS = 4;
const BULK_MIN_DURATION = 10;
/** Runs with fewer completed requests than this are marked in the table. */
const FEW = 20;
const BULK_TARGET = 1.5;
const DASHBOARD_TARGET = 1.3;

interface Workload {
  name: string;
  what: string;
  graphql: { query: string; variables: Record<string, unknown> };
  raw: RawRequest;
  /** Depth of nested list fields in the query. */
  listLevels: number;
  /** Cells (or catalogue entries) in a GraphQL answer and in a raw answer. */
  cells(body: any): number;
  rawCells(body: any[]): number;
}

interface Side {
  name: 'hub' | 'bare Apollo' | 'raw';
  url: string;
  body(w: Workload): string;
}

const SERIES_FIELDS = 'region { code } indicator { code } periods values statuses';
const seriesCells = (body: any) => (body.data.series as Array<{ periods: string[] }>).reduce((n, s) => n + s.periods.length, 0);

function parseFlags(): { duration: number; rounds: number; connections: number[]; only: string[] | null } {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ options: { duration: { type: 'string', default: '3' }, rounds: { type: 'string', default: '5' }, connections: { type: 'string', default: '1,16,64' }, only: { type: 'string' } } }).values as Record<
      string,
      string
    >;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; usage: npm run bench -- [--duration S] [--rounds N] [--connections 1,16,64] [--only dashboard,bulk]`);
  }
  const duration = Number(values.duration);
  if (!Number.isInteger(duration) || duration < 1) throw new UsageError(`--duration must be a positive integer (seconds), got "${values.duration}"`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds must be a positive integer, got "${values.rounds}"`);
  const connections = values.connections!.split(',').map(Number);
  if (connections.some((c) => !Number.isInteger(c) || c < 1)) throw new UsageError(`--connections must be positive integers, got "${values.connections}"`);
  return { duration, rounds, connections, only: values.only ? values.only.split(',') : null };
}

/** The workloads over the scale data, with the ids the raw baseline is given up front. */
async function workloads(pool: pg.Pool, scale: ScaleInfo): Promise<Workload[]> {
  const ids = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rows.map((r) => r.id as number);
  const indicatorIds = (codes: string[]) => ids('SELECT id FROM indicator WHERE code = ANY($1::text[]) ORDER BY code', [codes]);
  const levelIds = (level: string) => ids(`SELECT id FROM region WHERE level = $1 AND valid_to IS NULL ORDER BY code`, [level]);
  const codes = (n: number) => Array.from({ length: Math.min(n, scale.indicators) }, (_, i) => scaleIndicatorCode(i));
  const lastYear = scale.firstYear + scale.years - 1;
  const year = (y: number) => `${y}`;

  // The dashboard card: the first Kreis and its Land, 5 indicators, the last 13 years.
  const { rows: kreis } = await pool.query(
    `SELECT k.id, k.code, l.id AS land_id, l.code AS land_code FROM region k JOIN region l ON l.id = k.parent_id WHERE k.level = 'KREIS' ORDER BY k.code LIMIT 1`,
  );
  const cardCodes = codes(5);
  const cardFrom = Math.max(scale.firstYear, lastYear - 12);
  // Bulk: Gemeinden × as many years and indicators as make about BULK_CELLS cells.
  const bulkYears = Math.min(scale.years, Math.max(1, Math.round(BULK_CELLS / scale.gemeinden)));
  const bulkCodes = codes(Math.max(1, Math.round(BULK_CELLS / (scale.gemeinden * bulkYears))));
  const bulkFrom = lastYear - bulkYears + 1;
  const gemeinden = await levelIds('GEMEINDE');
  const seriesQuery = (args: string) => `query W($codes: [String!]!, $from: String, $to: String) { series(indicatorCodes: $codes, ${args}, from: $from, to: $to) { ${SERIES_FIELDS} } }`;
  return [
    {
      name: 'dashboard',
      what: `Kreis ${kreis[0].code} and its Land ${kreis[0].land_code} (comparison) x ${cardCodes.length} indicators x ${lastYear - cardFrom + 1} years`,
      graphql: {
        query: `query W($codes: [String!]!, $regions: [String!]!, $from: String, $to: String) { series(indicatorCodes: $codes, regionCodes: $regions, from: $from, to: $to) { ${SERIES_FIELDS} } }`,
        variables: { codes: cardCodes, regions: [kreis[0].code, kreis[0].land_code], from: year(cardFrom), to: year(lastYear) },
      },
      raw: { kind: 'cells', indicatorIds: await indicatorIds(cardCodes), regionIds: [kreis[0].id, kreis[0].land_id], from: `${cardFrom}-01-01`, to: `${lastYear}-12-31` },
      listLevels: 2,
      cells: seriesCells,
      rawCells: (rows) => rows.length,
    },
    {
      name: 'kreise',
      what: `all ${scale.kreise} Kreise x 1 indicator x ${scale.years} years`,
      graphql: { query: seriesQuery('regionLevel: KREIS'), variables: { codes: codes(1) } },
      raw: { kind: 'cells', indicatorIds: await indicatorIds(codes(1)), regionIds: await levelIds('KREIS'), from: null, to: null },
      listLevels: 2,
      cells: seriesCells,
      rawCells: (rows) => rows.length,
    },
    {
      name: 'map',
      what: `all ${scale.gemeinden} Gemeinden x 1 indicator x 1 year`,
      graphql: { query: seriesQuery('regionLevel: GEMEINDE'), variables: { codes: codes(1), from: year(lastYear), to: year(lastYear) } },
      raw: { kind: 'cells', indicatorIds: await indicatorIds(codes(1)), regionIds: gemeinden, from: `${lastYear}-01-01`, to: `${lastYear}-12-31` },
      listLevels: 2,
      cells: seriesCells,
      rawCells: (rows) => rows.length,
    },
    {
      name: 'bulk',
      what: `all ${scale.gemeinden} Gemeinden x ${bulkCodes.length} indicators x ${bulkYears} years, columnar`,
      graphql: { query: seriesQuery('regionLevel: GEMEINDE'), variables: { codes: bulkCodes, from: year(bulkFrom), to: year(lastYear) } },
      raw: { kind: 'cells', indicatorIds: await indicatorIds(bulkCodes), regionIds: gemeinden, from: `${bulkFrom}-01-01`, to: `${lastYear}-12-31` },
      listLevels: 2,
      cells: seriesCells,
      rawCells: (rows) => rows.length,
    },
    {
      name: 'catalogue',
      what: `indicators connection, first ${CATALOGUE_PAGE} with totalCount`,
      graphql: { query: `query W($first: Int!) { indicators(first: $first) { totalCount edges { node { code name unit } } } }`, variables: { first: CATALOGUE_PAGE } },
      raw: { kind: 'catalogue', first: CATALOGUE_PAGE },
      listLevels: 1,
      cells: (body) => body.data.indicators.edges.length,
      rawCells: (rows) => rows.length,
    },
  ];
}

async function post(url: string, body: string): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' }, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  const json = JSON.parse(text);
  if (json.errors) throw new Error(`${url}: GraphQL errors: ${JSON.stringify(json.errors).slice(0, 500)}`);
  return json;
}

/** The hub's figures over a baseline's: the median of the rounds' ratios (each round's runs are seconds apart). */
interface Ratios {
  rawP50: number;
  rawP99: number;
  bareP50: number;
  bareP99: number;
  rawRps: number;
  bareRps: number;
  /** Each round's hub ÷ bare Apollo p99, to show how far they scatter. */
  bareP99s: number[];
}

function roundRatios(hub: LoadResult[], bare: LoadResult[], raw: LoadResult[]): Ratios {
  const of = (side: LoadResult[], f: (l: LoadResult) => number) => hub.map((h, i) => f(h) / f(side[i]));
  const bareP99s = of(bare, (l) => l.p99);
  return {
    rawP50: median(of(raw, (l) => l.p50)),
    rawP99: median(of(raw, (l) => l.p99)),
    bareP50: median(of(bare, (l) => l.p50)),
    bareP99: median(bareP99s),
    rawRps: median(of(raw, (l) => l.rps)),
    bareRps: median(of(bare, (l) => l.rps)),
    bareP99s,
  };
}

const times = (ratio: number) => `${ratio.toFixed(2)}x`;
const spread = (ratios: number[]) => `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;

/**
 * Waits until the servers have worked off what a run left behind: the load generator stops sending at the
 * end of its duration, but requests already accepted still run (up to 64 per side), and would
 * slow the next run and spoil its statement count. Idle means: no statement of this database in
 * flight and this process's event loop on time (no serialization running), for a whole second.
 */
async function drain(pool: pg.Pool): Promise<void> {
  const tick = 100;
  for (let quiet = 0; quiet < 10; ) {
    const before = performance.now();
    await new Promise((resolve) => setTimeout(resolve, tick));
    const late = performance.now() - before - tick;
    const { rows } = await pool.query(
      `SELECT count(*)::int AS busy FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()`,
    );
    quiet = late < 20 && rows[0].busy === 0 ? quiet + 1 : 0;
  }
}

async function main(): Promise<number> {
  const flags = parseFlags();
  // The hub's own limits apply (QUERY_MAX_CELLS, QUERY_MAX_COST …): their defaults admit the bulk workload.
  const config = loadConfig();
  if (!config.databaseUrl) throw new UsageError('DATABASE_URL must name the database loaded by `npm run bench:data`');
  const database = await openDatabase(config, silentLogger);
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-bench-key-'));
  // The baselines get as many connections as each of the hub's pools (DATABASE_POOL_SIZE, default
  // 10); the public, as which the hub is asked, has a pool of its own (src/db/public-pool.ts).
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
  pool.on('error', () => undefined);
  const started: Baseline[] = [];
  let hub: Awaited<ReturnType<typeof createHub>> | undefined;
  try {
    const meta = (await pool.query('SELECT value FROM hub_meta WHERE key = $1', [SCALE_KEY])).rows[0];
    if (!meta) throw new UsageError(`${redactUrl(config.databaseUrl)} holds no scale data; run \`npm run bench:data\` first`);
    const scale: ScaleInfo = JSON.parse(meta.value);
    const version = (await pool.query('SHOW server_version')).rows[0].server_version;
    const cpus = os.cpus();
    console.log(`machine:  ${cpus[0].model}, ${cpus.length} cores (servers and load generator share them), node ${process.version}, PostgreSQL ${version}`);
    console.log(
      `data:     ${scale.regions.toLocaleString('en')} regions (${scale.lander} Länder, ${scale.kreise} Kreise, ${scale.gemeinden} Gemeinden) x ${scale.indicators} indicators x ` +
        `${scale.years} years = ${scale.observations.toLocaleString('en')} observations`,
    );
    console.log(`runs:     ${flags.rounds} rounds of ${flags.duration} s per side and concurrency (${flags.connections.join(', ')}); hub asked as the public (demo mode off)\n`);

    const raw = await startRawServer(pool);
    started.push(raw);
    const bare = await startBareApollo(pool);
    started.push(bare);
    const { auth } = await createAuthentication({ oidc: undefined, demoMode: false, dataDir: keyDir, db: database.db, log: silentLogger });
    hub = await createHub({ db: database.db, publicPool: database.publicPool, log: silentLogger, config, auth });
    const hubUrl = `http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}/graphql`;
    const sides: Side[] = [
      { name: 'hub', url: hubUrl, body: (w) => JSON.stringify(w.graphql) },
      { name: 'bare Apollo', url: bare.url, body: (w) => JSON.stringify(w.graphql) },
      { name: 'raw', url: raw.url, body: (w) => JSON.stringify(w.raw) },
    ];

    const all = await workloads(pool, scale);
    const chosen = flags.only ? all.filter((w) => flags.only!.includes(w.name)) : all;
    if (chosen.length === 0) throw new UsageError(`--only names none of: ${all.map((w) => w.name).join(', ')}`);
    const failures: string[] = [];
    const verdicts: string[] = [];
    for (const w of chosen) {
      console.log(`== ${w.name}: ${w.what}`);
      // Same work on every side: one request each, cells counted, statements counted at the driver.
      await drain(pool);
      const checks: Array<{ statements: number; roundTrips: number; cells: number; bytes: number }> = [];
      for (const side of sides) {
        // Once uncounted: the hub's public pool checks a new connection once, with a statement of its own.
        await post(side.url, side.body(w));
        let answer: any;
        const counted = await countStatements(async () => (answer = await post(side.url, side.body(w))));
        const cells = side.name === 'raw' ? w.rawCells(answer) : w.cells(answer);
        checks.push({ ...counted, cells, bytes: Buffer.byteLength(JSON.stringify(answer)) });
      }
      if (new Set(checks.map((c) => c.cells)).size !== 1 || checks[0].cells === 0) {
        failures.push(`${w.name}: cells differ or are none (${sides.map((s, i) => `${s.name} ${checks[i].cells}`).join(', ')})`);
        continue;
      }
      const rows: string[][] = [];
      const ratiosAt = new Map<number, Ratios>();
      const concurrencies = w.name === 'bulk' ? [...new Set(flags.connections.map((c) => Math.min(c, BULK_MAX_CONNECTIONS)))] : flags.connections;
      const duration = w.name === 'bulk' ? Math.max(flags.duration, BULK_MIN_DURATION) : flags.duration;
      for (const connections of concurrencies) {
        // Rounds of all three sides, each round in another order: a side's runs are spread over the
        // whole measurement, and each ratio compares runs seconds apart (README "Workloads at scale").
        const runs: LoadResult[][] = sides.map(() => []);
        for (let round = 0; round < flags.rounds; round++) {
          for (let k = 0; k < sides.length; k++) {
            const i = (k + round) % sides.length;
            runs[i].push(await load(sides[i].url, sides[i].body(w), connections, duration));
            await drain(pool);
          }
        }
        const [h, b, r] = runs;
        const ratios = roundRatios(h, b, r);
        ratiosAt.set(connections, ratios);
        for (const [i, side] of sides.entries()) {
          const l = runs[i];
          const requests = l.reduce((n, x) => n + x.requests, 0);
          const hub = side.name === 'hub';
          rows.push([
            `${side.name} @${connections}`,
            median(l.map((x) => x.p50)).toFixed(2),
            median(l.map((x) => x.p99)).toFixed(2),
            median(l.map((x) => x.rps)).toFixed(1),
            // Too few completions for a p99 worth the name: the requests queued for the whole run.
            `${requests}${requests < FEW * flags.rounds ? ' (few)' : ''}`,
            hub ? `${times(ratios.rawP50)} / ${times(ratios.rawP99)}` : '',
            hub ? `${times(ratios.bareP50)} / ${times(ratios.bareP99)} (${spread(ratios.bareP99s)})` : '',
            hub ? `${times(ratios.rawRps)} / ${times(ratios.bareRps)}` : '',
          ]);
        }
      }
      console.log(`cells ${checks[0].cells} on every side; bytes hub ${checks[0].bytes}, bare ${checks[1].bytes}, raw ${checks[2].bytes}`);
      console.log(
        `SQL statements / round trips per request: hub ${checks[0].statements} / ${checks[0].roundTrips}, bare Apollo ${checks[1].statements} / ${checks[1].roundTrips}, ` +
          `raw ${checks[2].statements} / ${checks[2].roundTrips}; list levels of the query ${w.listLevels}`,
      );
      console.log(
        table(
          ['side @connections', 'p50 ms', 'p99 ms', 'req/s', 'requests', 'hub/raw p50 / p99', 'hub/bare p50 / p99 (p99 by round)', 'req/s hub/raw / hub/bare'],
          rows,
        ),
      );
      const statementsOk = checks[0].statements <= w.listLevels;
      verdicts.push(`${w.name}: statements ${checks[0].statements} ≤ ${w.listLevels} list levels: ${statementsOk ? 'met' : 'NOT met'}`);
      for (const [connections, ratios] of ratiosAt) {
        if (w.name === 'bulk') {
          const ratio = ratios.rawP50;
          verdicts.push(`bulk @${connections}: p50 ${ratio.toFixed(2)}x raw (target ≤ ${BULK_TARGET}x): ${ratio <= BULK_TARGET ? 'met' : 'NOT met'}`);
        }
        if (w.name === 'dashboard') {
          const ratio = ratios.bareP99;
          verdicts.push(`dashboard @${connections}: p99 ${ratio.toFixed(2)}x bare Apollo (target ≤ ${DASHBOARD_TARGET}x): ${ratio <= DASHBOARD_TARGET ? 'met' : 'NOT met'}`);
        }
      }
      console.log('');
    }
    console.log('targets:');
    for (const v of verdicts) console.log(`  ${v}`);
    if (failures.length) {
      console.error(`\nFAIL: ${failures.join('; ')}`);
      return 1;
    }
    return 0;
  } finally {
    await hub?.close();
    for (const s of started.reverse()) await s.close();
    await pool.end();
    await database.close();
    fs.rmSync(keyDir, { recursive: true, force: true });
  }
}

runBench(main);
