import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createAuthentication } from '../src/access/auth';
import { DEMO_IDENTITIES } from '../src/access/demo';
import type { observationFilter } from '../src/access/observation-access';
import { ANONYMOUS } from '../src/access/viewer';
import { loadConfig, type Config } from '../src/config';
import { redactUrl } from '../src/db/data-source';
import { openDatabase } from '../src/db/open';
import type { RequestContext } from '../src/graphql/context';
import { createErrorFormatter } from '../src/graphql/errors';
import { createLoaders } from '../src/graphql/loaders';
import { hubSchema } from '../src/graphql/schema';
import { selectsPointsPlugin } from '../src/modules/series/series.resolver';
import { silentLogger } from '../src/logger';
import { createHub } from '../src/server';
import { seedDemoData } from '../seeds/seed';
import { percentile } from './load';
import { countStatements, listen, runBench, table, UsageError } from './support';

/**
 * `npm run bench [-- --iterations N]`: the hot path of DESIGN §6 — the series of every Kreis of
 * Sachsen-Anhalt × every indicator × every year — through the real hub over HTTP, measured in one
 * run against two baselines:
 * - raw: the same SQL through plain `pg`, answered with `JSON.stringify(rows)` by a bare
 *   `node:http` server. Both sides pay HTTP, SQL and serialization, so the ratio is the cost of
 *   the GraphQL layer.
 * - no access rules (issue 3, "Performance"): the hub's own schema, resolvers, loaders and series
 *   SQL, served by the same Apollo set-up, with the access rules taken out (see
 *   `startNoRulesServer` for exactly what). The hub is asked as the public and as the Land
 *   analyst (a demo token); the ratios to this baseline are the cost of the access rules, target
 *   at most 1.25x.
 * Performance goals are judged by these ratios, never by timed assertions in the test suite.
 *
 * Database: DATABASE_URL when given; otherwise embedded PGlite in BENCH_DATA_DIR, or in a throwaway
 * temp folder (removed at the end), so that the bench never contends for a running hub's DATA_DIR
 * lock. The demo signing key always lives in a throwaway folder of its own.
 */

const WARMUP = 5;
const LAND = '15';
/** The identity of the analyst sides (DESIGN §5): a viewer of the Land's ministry. */
const ANALYST = 'land-analyst';
/** The issue's target for the cost of the access rules: hub / no-rules baseline, median to median. */
const ACCESS_TARGET = 1.25;

/**
 * The rows SeriesService.queryCells reads for the public viewer and no window: same columns, the
 * same WHERE clause as far as the public is concerned (total breakdown, current cells, released
 * and past their embargo, indicators of PUBLIC visibility: $3), same order. The window's
 * `$3::date IS NULL OR …` conditions are left out: with no `from`/`to` they are constant true.
 */
const RAW_SQL = `SELECT o.indicator_id, o.region_id, o.breakdown_dimension, o.breakdown_code, o.period, o.period_start,
    o.value, o.numerator, o.denominator, o.status, o.symbol, o.release_state
  FROM observation o
  WHERE o.indicator_id = ANY($1::int[]) AND o.region_id = ANY($2::int[]) AND o.superseded_at IS NULL
    AND o.breakdown_dimension = '' AND o.breakdown_code = '_T'
    AND o.release_state = 'RELEASED' AND o.released_at <= now() AND o.indicator_id = ANY($3::int[])
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
  /** Extra request headers, e.g. the analyst's `Authorization`. */
  headers?: Record<string, string>;
  cells(body: string): number;
}

interface Timing {
  ms: number;
  body: string;
}

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
    headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', ...side.headers },
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

/** The baseline server: read the ids, run the one statement, `JSON.stringify` the rows. */
async function startRawServer(pool: pg.Pool): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const { indicatorIds, regionIds, publicIds } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const { rows } = await pool.query(RAW_SQL, [indicatorIds, regionIds, publicIds]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  return listen(server, '/raw');
}

/** The two exports of src/access/observation-access.ts that the no-rules baseline takes out. */
type AccessModule = { observationFilter: typeof observationFilter };

/**
 * The "same query without access rules" baseline: the hub's schema, resolvers, loaders and
 * SeriesService — so the same statements, row mapping and serialization — behind the same Apollo
 * and Express set-up as src/server.ts, minus exactly the access rules:
 * - no authentication and no request transaction: no BEGIN, `SET LOCAL ROLE`, `set_config` or
 *   COMMIT, so row-level security is not evaluated either (statements run on the pool as the
 *   connecting user, who owns the tables);
 * - the series statement is the hub's own text with `observationFilter` replaced by TRUE: no
 *   owner/release/embargo/visibility condition, no agreements (so no grants lookup, no join, no
 *   read log);
 * - every cell counts as the viewer's own (owner and counts): the stored suppression pattern is
 *   not applied.
 * What it returns is therefore every current cell, drafts and OWNER-only indicators included;
 * the cell counts of the table show the difference.
 * The two functions are swapped on the module object (compiled CommonJS calls them through it)
 * and act differently only for this server's contexts, marked in `NO_RULES`; for the hub, the
 * wrapper costs one set lookup per statement.
 */
async function startNoRulesServer(db: DataSource, config: Config): Promise<{ url: string; close(): Promise<void> }> {
  const NO_RULES = new WeakSet<RequestContext>();
  // TypeORM's pool, for the rows-as-arrays statements (RequestTransaction.queryArrays without a transaction).
  const pool = (db.driver as PostgresDriver).master as pg.Pool;
  // The module object itself (not an import binding), so that its two exports can be swapped.
  const access: AccessModule = require('../src/access/observation-access');
  const { observationFilter: filter } = access;
  const everything = { join: '', where: 'TRUE', owner: 'TRUE', counts: 'TRUE', flags: '3', agreement: 'NULL::int' };
  access.observationFilter = (ctx, indicators, regions, dimensions, params) =>
    NO_RULES.has(ctx) ? Promise.resolve(everything) : filter(ctx, indicators, regions, dimensions, params);

  const apollo = new ApolloServer<RequestContext>({
    schema: hubSchema(),
    csrfPrevention: true,
    formatError: createErrorFormatter(silentLogger),
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), selectsPointsPlugin],
  });
  await apollo.start();
  const app = express();
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async () => {
        // No `tx`: there is no request transaction to end.
        const ctx = {
          viewer: ANONYMOUS,
          requestId: randomUUID(),
          log: silentLogger,
          config,
          selects: { points: true },
          query: (sql: string, params?: unknown[]) => db.query(sql, params),
          queryArrays: async (sql: string, params?: unknown[]) => (await pool.query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows,
        } as Omit<
          RequestContext,
          'loaders' | 'tx'
        > as RequestContext;
        ctx.loaders = createLoaders(ctx);
        NO_RULES.add(ctx);
        return ctx;
      },
    }),
  );
  const server = await listen(http.createServer(app), '/graphql');
  return {
    url: server.url,
    async close() {
      await server.close();
      await apollo.stop();
      Object.assign(access, { observationFilter: filter });
    },
  };
}

function summarize(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), min: sorted[0] };
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
  // The hub runs in demo mode for the analyst's token; its signing key goes to a folder of its own.
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-bench-key-'));
  let pool: pg.Pool | undefined;
  let raw: Awaited<ReturnType<typeof startRawServer>> | undefined;
  let noRules: Awaited<ReturnType<typeof startNoRulesServer>> | undefined;
  let hub: Awaited<ReturnType<typeof createHub>> | undefined;
  try {
    const seed = await seedDemoData(database.db);
    const url = database.embedded?.url ?? config.databaseUrl!;
    pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: config.connectTimeoutSeconds * 1000 });
    pool.on('error', () => undefined); // an idle client's error would otherwise crash the process (DESIGN §9)

    const version = (await pool.query('SHOW server_version')).rows[0].server_version;
    const where = database.embedded ? `embedded PGlite (PostgreSQL ${version}), ${config.dataDir}` : `server PostgreSQL ${version}, ${redactUrl(url)}`;
    console.log(`database: ${where}; demo data ${seed.seeded ? 'loaded now' : 'already present'}`);

    const indicators = (await pool.query('SELECT id, code, visibility FROM indicator ORDER BY code')).rows;
    const codes: string[] = indicators.map((r) => r.code);
    const indicatorIds: number[] = indicators.map((r) => r.id);
    // Which of them the public may see: the hub reads visibility with the indicators, the raw read gets it up front.
    const publicIds: number[] = indicators.filter((r) => r.visibility === 'PUBLIC').map((r) => r.id);
    // The regions the hub resolves for regionLevel KREIS under parentCode 15; the baseline gets
    // them up front, since looking ids up is part of the hub's work, not of the raw read.
    const regionIds: number[] = (
      await pool.query(
        `SELECT r.id FROM region r JOIN region p ON p.id = r.parent_id
         WHERE p.code = $1 AND p.valid_to IS NULL AND r.level = 'KREIS' AND r.valid_to IS NULL ORDER BY r.code`,
        [LAND],
      )
    ).rows.map((r) => r.id);
    // What the no-rules baseline must return: every current total cell, whoever owns it.
    const allCells: number = (
      await pool.query(
        `SELECT count(*)::int AS n FROM observation o WHERE o.indicator_id = ANY($1::int[]) AND o.region_id = ANY($2::int[])
         AND o.superseded_at IS NULL AND o.breakdown_dimension = '' AND o.breakdown_code = '_T'`,
        [indicatorIds, regionIds],
      )
    ).rows[0].n;

    raw = await startRawServer(pool);
    noRules = await startNoRulesServer(database.db, config);
    const { auth, demo } = await createAuthentication({ oidc: undefined, demoMode: true, dataDir: keyDir, db: database.db, log: silentLogger });
    hub = await createHub({ db: database.db, publicPool: database.publicPool, log: silentLogger, config, auth, demo });
    const graphqlUrl = `http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}/graphql`;
    const analyst = { authorization: `Bearer ${await demo!.sign(DEMO_IDENTITIES.find((i) => i.name === ANALYST)!)}` };

    const shapes = [
      { shape: 'columnar', body: JSON.stringify({ query: seriesQuery('periods values statuses'), variables: { codes } }), cells: (b: string) => graphqlCells(b, (s) => s.periods.length) },
      { shape: 'points', body: JSON.stringify({ query: seriesQuery('points { period value status symbol }'), variables: { codes } }), cells: (b: string) => graphqlCells(b, (s) => s.points.length) },
    ];
    const audiences = [
      { audience: 'public', url: graphqlUrl, headers: undefined },
      { audience: ANALYST, url: graphqlUrl, headers: analyst },
      { audience: 'no access rules', url: noRules.url, headers: undefined },
    ];
    const sides: Array<Side & { shape?: string; audience?: string }> = [
      { name: 'raw pg + JSON.stringify', url: raw.url, body: JSON.stringify({ indicatorIds, regionIds, publicIds }), cells: (b) => JSON.parse(b).length },
      ...audiences.flatMap((a) => shapes.map((sh) => ({ ...a, ...sh, name: `graphql ${sh.shape}, ${a.audience}` }))),
    ];
    const sideOf = (shape: string, audience: string) => sides.findIndex((side) => side.shape === shape && side.audience === audience);

    // Statements per request, counted once per side outside the timed runs (the hook costs time).
    const statements: Array<{ statements: number; roundTrips: number }> = [];
    for (const side of sides) statements.push(await countStatements(() => timedPost(side)));

    for (let i = 0; i < WARMUP; i++) for (const side of sides) await timedPost(side);

    // Interleaved, so that machine noise (other processes, CPU frequency) spreads over all sides.
    const samples = sides.map(() => [] as Timing[]);
    for (let i = 0; i < iterations; i++) {
      for (const [s, side] of sides.entries()) samples[s].push(await timedPost(side));
    }

    // Each side must carry the cells it should: a benchmark that compares different work unknowingly
    // is wrong. The public sees what the raw baseline reads, the no-rules baseline every current
    // cell, the analyst something in between. Checked after the timed runs, so that parsing does
    // not disturb them.
    const cells = sides.map((side, s) => new Set(samples[s].map((t) => side.cells(t.body))));
    const publicCells = [...cells[0]][0];
    const expected = (side: (typeof sides)[number], n: number) =>
      side.audience === ANALYST ? n >= publicCells && n <= allCells : n === (side.audience === 'no access rules' ? allCells : publicCells);
    const mismatches = sides.filter((side, s) => cells[s].size !== 1 || !expected(side, [...cells[s]][0]));

    const stats = samples.map((ts) => summarize(ts.map((t) => t.ms)));
    const ratio = (s: number, to: number) => stats[s].median / stats[to].median;
    const accessRatio = (s: number) => (sides[s].shape && sides[s].audience !== 'no access rules' ? ratio(s, sideOf(sides[s].shape!, 'no access rules')) : null);
    console.log(
      `workload: series of ${regionIds.length} Kreise x ${codes.length} indicators x all periods; ` +
        `${WARMUP} warm-up + ${iterations} timed requests per side, interleaved\n`,
    );
    console.log(
      table(
        ['side', 'median ms', 'p95 ms', 'min ms', 'cells', 'bytes', 'SQL/req', 'round trips/req', 'vs raw', 'vs no rules'],
        sides.map((side, s) => [
          side.name,
          stats[s].median.toFixed(1),
          stats[s].p95.toFixed(1),
          stats[s].min.toFixed(1),
          [...cells[s]].join('/'),
          String(Buffer.byteLength(samples[s][0].body)),
          String(statements[s].statements),
          String(statements[s].roundTrips),
          `${ratio(s, 0).toFixed(2)}x`,
          accessRatio(s) === null ? '' : `${accessRatio(s)!.toFixed(2)}x`,
        ]),
      ),
    );
    const [columnar, points] = [sideOf('columnar', 'public'), sideOf('points', 'public')];
    console.log(
      `\nseries ${regionIds.length} Kreise x ${codes.length} indicators: graphql median ${stats[columnar].median.toFixed(1)} ms, ` +
        `raw ${stats[0].median.toFixed(1)} ms, ratio ${ratio(columnar, 0).toFixed(2)}x (points: ${stats[points].median.toFixed(1)} ms, ${ratio(points, 0).toFixed(2)}x)`,
    );
    console.log(`access rules, median / median of the no-rules baseline of the same shape (target at most ${ACCESS_TARGET.toFixed(2)}x):`);
    for (const audience of ['public', ANALYST]) {
      const figures = shapes.map(({ shape }) => {
        const r = accessRatio(sideOf(shape, audience))!;
        return `${shape} ${r.toFixed(2)}x${r > ACCESS_TARGET ? ' (above target)' : ''}`;
      });
      console.log(`  ${audience.padEnd(12)}  ${figures.join('   ')}`);
    }
    if (publicCells === 0) {
      console.error('\nFAIL: the baseline returned no cells; is the demo data loaded?');
      return 1;
    }
    if (mismatches.length) {
      console.error(
        `\nFAIL: unexpected cell counts (public ${publicCells}, all ${allCells}) for: ${mismatches.map((side) => `${side.name} (${[...cells[sides.indexOf(side)]].join('/')})`).join(', ')}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await hub?.close();
    await noRules?.close();
    await raw?.close();
    await pool?.end();
    await database.close();
    fs.rmSync(keyDir, { recursive: true, force: true });
  }
}

runBench(main);
