import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config';
import { redactUrl } from '../src/db/data-source';
import { openDatabase } from '../src/db/open';
import { silentLogger } from '../src/logger';
import { createAuthentication } from '../src/access/auth';
import { createHub } from '../src/server';
import { seedDemoData } from '../seeds/seed';

/**
 * `npm run bench [-- --iterations N]`: the hot path of DESIGN §6 — the series of every Kreis of
 * Sachsen-Anhalt × every indicator × every year — through the real hub over HTTP, against a raw
 * baseline measured in the same run: the same SQL through plain `pg`, answered with
 * `JSON.stringify(rows)` by a bare `node:http` server. Both sides pay HTTP, SQL and serialization,
 * so the ratio is the cost of the GraphQL layer. Performance goals are judged by this ratio, never
 * by timed assertions in the test suite.
 *
 * Database: DATABASE_URL when given; otherwise embedded PGlite in BENCH_DATA_DIR, or in a throwaway
 * temp folder (removed at the end), so that the bench never contends for a running hub's DATA_DIR lock.
 */

const WARMUP = 5;
const LAND = '15';
/** What counts as a statement at the driver (not BEGIN/SET/SHOW or other session chatter). */
const STATEMENT = /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i;

/**
 * The statement of SeriesService.queryCells for the public viewer and no window: same columns,
 * same WHERE clause (total breakdown, current cells, released only), same order. The window's
 * `$3::date IS NULL OR …` conditions are left out: with no `from`/`to` they are constant true.
 */
const RAW_SQL = `SELECT o.indicator_id, o.region_id, o.breakdown_dimension, o.breakdown_code, o.period, o.period_start,
    o.value, o.numerator, o.denominator, o.status, o.symbol, o.release_state
  FROM observation o
  WHERE o.indicator_id = ANY($1::int[]) AND o.region_id = ANY($2::int[]) AND o.superseded_at IS NULL
    AND o.breakdown_dimension = '' AND o.breakdown_code = '_T'
    AND o.release_state = 'RELEASED'
  ORDER BY 1, 2, 3, 4, 6`;

const seriesQuery = (fields: string) =>
  `query Bench($codes: [String!]!) {
    series(indicatorCodes: $codes, regionLevel: KREIS, parentCode: "${LAND}") { region { code } indicator { code } ${fields} }
  }`;

/** One way of fetching the same cells; `cells` reads the cell count out of a response body. */
interface Side {
  name: string;
  url: string;
  body: string;
  cells(body: string): number;
}

interface Timing {
  ms: number;
  body: string;
}

/** A wrong command line: reported in one line, without a stack. */
class UsageError extends Error {}

function parseIterations(): number {
  let raw: string;
  try {
    raw = parseArgs({ options: { iterations: { type: 'string', default: '50' } } }).values.iterations!;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; usage: npm run bench [-- --iterations N]`);
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--iterations must be a positive integer, got "${raw}"`);
  return n;
}

/** Timed from sending the request to having the whole body, as a client would see it. */
async function timedPost(side: Side): Promise<Timing> {
  const start = performance.now();
  const res = await fetch(side.url, {
    method: 'POST',
    // identity: neither side should pay for compression in a comparison of the same work
    headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' },
    body: side.body,
  });
  const body = await res.text();
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`${side.name}: HTTP ${res.status}: ${body.slice(0, 500)}`);
  return { ms, body };
}

function graphqlCells(body: string, count: (s: Record<string, any>) => number): number {
  const json = JSON.parse(body);
  if (json.errors) throw new Error(`GraphQL errors: ${JSON.stringify(json.errors).slice(0, 500)}`);
  return (json.data.series as Array<Record<string, any>>).reduce((n, s) => n + count(s), 0);
}

/** Runs `fn` while counting the statements every pg client sends; the hook is gone afterwards. */
async function countStatements(fn: () => Promise<unknown>): Promise<number> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let count = 0;
  proto.query = function (this: unknown, config: unknown, ...rest: unknown[]) {
    const text = typeof config === 'string' ? config : (config as { text?: string } | null)?.text;
    if (text && STATEMENT.test(text)) count++;
    return original.call(this, config, ...rest);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return count;
}

/** The baseline server: read the ids, run the one statement, `JSON.stringify` the rows. */
async function startRawServer(pool: pg.Pool): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const { indicatorIds, regionIds } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const { rows } = await pool.query(RAW_SQL, [indicatorIds, regionIds]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/raw`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // fetch keeps connections alive; close would wait for them
      }),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0] };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const iterations = parseIterations();
  // Config is read only through loadConfig; the bench hands it a copy of the environment whose
  // DATA_DIR is BENCH_DATA_DIR or a throwaway folder, never the one a running hub may hold.
  const benchDataDir = process.env.BENCH_DATA_DIR;
  const tempDir = loadConfig().databaseUrl || benchDataDir ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-bench-'));
  try {
    return await run(iterations, loadConfig({ ...process.env, DATA_DIR: benchDataDir || tempDir }));
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

async function run(iterations: number, config: Config): Promise<number> {
  const cpus = os.cpus();
  console.log(`machine:  ${cpus[0].model}, ${cpus.length} cores, node ${process.version}`);

  const database = await openDatabase(config, silentLogger);
  let pool: pg.Pool | undefined;
  let raw: Awaited<ReturnType<typeof startRawServer>> | undefined;
  let hub: Awaited<ReturnType<typeof createHub>> | undefined;
  try {
    const seed = await seedDemoData(database.db);
    const url = database.embedded?.url ?? config.databaseUrl!;
    pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: config.connectTimeoutSeconds * 1000 });
    pool.on('error', () => undefined); // an idle client's error would otherwise crash the process (DESIGN §9)

    const version = (await pool.query('SHOW server_version')).rows[0].server_version;
    const where = database.embedded ? `embedded PGlite (PostgreSQL ${version}), ${config.dataDir}` : `server PostgreSQL ${version}, ${redactUrl(url)}`;
    console.log(`database: ${where}; demo data ${seed.seeded ? 'loaded now' : 'already present'}`);

    const indicators = (await pool.query('SELECT id, code FROM indicator ORDER BY code')).rows;
    const codes: string[] = indicators.map((r) => r.code);
    const indicatorIds: number[] = indicators.map((r) => r.id);
    // The regions the hub resolves for regionLevel KREIS under parentCode 15; the baseline gets
    // them up front, since looking ids up is part of the hub's work, not of the raw read.
    const regionIds: number[] = (
      await pool.query(
        `SELECT r.id FROM region r JOIN region p ON p.id = r.parent_id
         WHERE p.code = $1 AND p.valid_to IS NULL AND r.level = 'KREIS' AND r.valid_to IS NULL ORDER BY r.code`,
        [LAND],
      )
    ).rows.map((r) => r.id);

    raw = await startRawServer(pool);
    const { auth } = await createAuthentication({ oidc: undefined, demoMode: false, dataDir: config.dataDir, db: database.db, log: silentLogger });
    hub = await createHub({ db: database.db, log: silentLogger, config, auth });
    const graphqlUrl = `http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}/graphql`;

    const sides: Side[] = [
      { name: 'raw pg + JSON.stringify', url: raw.url, body: JSON.stringify({ indicatorIds, regionIds }), cells: (b) => JSON.parse(b).length },
      {
        name: 'graphql columnar',
        url: graphqlUrl,
        body: JSON.stringify({ query: seriesQuery('periods values statuses'), variables: { codes } }),
        cells: (b) => graphqlCells(b, (s) => s.periods.length),
      },
      {
        name: 'graphql points',
        url: graphqlUrl,
        body: JSON.stringify({ query: seriesQuery('points { period value status symbol }'), variables: { codes } }),
        cells: (b) => graphqlCells(b, (s) => s.points.length),
      },
    ];

    // Statements per request, counted once per side outside the timed runs (the hook costs time).
    const statements: number[] = [];
    for (const side of sides) statements.push(await countStatements(() => timedPost(side)));

    for (let i = 0; i < WARMUP; i++) for (const side of sides) await timedPost(side);

    // Interleaved, so that machine noise (other processes, CPU frequency) spreads over all sides.
    const samples = sides.map(() => [] as Timing[]);
    for (let i = 0; i < iterations; i++) {
      for (const [s, side] of sides.entries()) samples[s].push(await timedPost(side));
    }

    // Every response of a side must carry the same cells as the baseline: a benchmark that compares
    // different work is wrong. Checked after the timed runs, so that parsing does not disturb them.
    const cells = sides.map((side, s) => new Set(samples[s].map((t) => side.cells(t.body))));
    const expected = [...cells[0]][0];
    const mismatches = sides.filter((_, s) => cells[s].size !== 1 || !cells[s].has(expected));

    const stats = samples.map((ts) => summarize(ts.map((t) => t.ms)));
    const ratio = (s: number) => stats[s].median / stats[0].median;
    console.log(
      `workload: series of ${regionIds.length} Kreise x ${codes.length} indicators x all periods; ` +
        `${WARMUP} warm-up + ${iterations} timed requests per side, interleaved\n`,
    );
    console.log(
      table(
        ['side', 'median ms', 'p95 ms', 'min ms', 'cells', 'bytes', 'SQL/req', 'ratio'],
        sides.map((side, s) => [
          side.name,
          stats[s].median.toFixed(1),
          stats[s].p95.toFixed(1),
          stats[s].min.toFixed(1),
          [...cells[s]].join('/'),
          String(Buffer.byteLength(samples[s][0].body)),
          String(statements[s]),
          `${ratio(s).toFixed(2)}x`,
        ]),
      ),
    );
    console.log(
      `\nseries ${regionIds.length} Kreise x ${codes.length} indicators: graphql median ${stats[1].median.toFixed(1)} ms, ` +
        `raw ${stats[0].median.toFixed(1)} ms, ratio ${ratio(1).toFixed(2)}x (points: ${stats[2].median.toFixed(1)} ms, ${ratio(2).toFixed(2)}x)`,
    );
    if (expected === 0) {
      console.error('\nFAIL: the baseline returned no cells; is the demo data loaded?');
      return 1;
    }
    if (mismatches.length) {
      console.error(`\nFAIL: cell counts differ from the baseline (${expected}) for: ${mismatches.map((s) => s.name).join(', ')}`);
      return 1;
    }
    return 0;
  } finally {
    await hub?.close();
    await raw?.close();
    await pool?.end();
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench failed: ${err instanceof UsageError ? err.message : (err as Error).stack || String(err)}`);
    process.exit(1);
  },
);
