import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createAuthentication } from '../src/access/auth';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/open';
import { DocumentGuard } from '../src/graphql/document-guard';
import * as limits from '../src/graphql/limits';
import { createLogger, silentLogger, type Logger } from '../src/logger';
import { createHub, type Hub, type OperationsSettings } from '../src/server';
import { seedDemoData } from '../seeds/seed';
import { loadOk as load, type LoadResult } from './load';
import { median, runBench, table, UsageError } from './support';

/**
 * `npm run bench:overhead [-- --duration S --connections 1,16 --rounds 9]`: what the production
 * guards cost (issue 6, benchmark). The hub's req/s for the dashboard query with everything on —
 * query limits (depth, aliases, directives, tokens, cost), rate limits (counted, set high enough
 * never to refuse), the request log (pino, one line per request, written to /dev/null) and the
 * Prometheus metrics — against the same hub with all of them off, on the same database in the
 * same run. Target: on ÷ off ≥ 0.9. The two sides take turns (`--rounds`, short runs back to
 * back), and the ratio is the median of the rounds' ratios: on a machine shared with other work
 * the pace changes from minute to minute, and only runs seconds apart compare fairly.
 * Then the same query one request at a time, round robin over five hubs (all on, each guard alone,
 * all off), `--sequential` requests each: the latency each guard adds, measured side by side.
 * The database is the one of DATABASE_URL (seeded with `npm run seed`), else an embedded one with
 * the demo data in a temporary DATA_DIR.
 */

const TARGET = 0.9;
const SERIES_FIELDS = 'region { code } indicator { code } periods values statuses';

async function main(): Promise<number> {
  let values: Record<string, string>;
  try {
    values = parseArgs({
      options: { duration: { type: 'string', default: '3' }, connections: { type: 'string', default: '1,16' }, rounds: { type: 'string', default: '9' }, sequential: { type: 'string', default: '300' } },
    })
      .values as Record<string, string>;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; usage: npm run bench:overhead -- [--duration S] [--connections 1,16] [--rounds 9] [--sequential 300]`);
  }
  const duration = Number(values.duration);
  const rounds = Number(values.rounds);
  const sequential = Number(values.sequential);
  const connections = values.connections.split(',').map(Number);
  if (![duration, rounds, sequential, ...connections].every((n) => Number.isInteger(n) && n >= 1)) throw new UsageError('--duration, --rounds, --sequential and --connections take positive integers');

  const config = loadConfig();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-bench-overhead-'));
  const database = await openDatabase(config.databaseUrl ? config : { ...config, dataDir: path.join(tmp, 'data') }, silentLogger);
  const hubs: Hub[] = [];
  try {
    if (database.embedded) await seedDemoData(database.db);
    const { auth } = await createAuthentication({ oidc: undefined, demoMode: false, dataDir: tmp, db: database.db, log: silentLogger });

    // Everything on, as `npm start` runs it (the rate limits counted but never reached); each guard
    // alone; everything off. Query limits are taken out of a hub by having the limits module
    // answer with no rules and no cost plugin while that hub is built.
    const devNull = () => createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));
    const counted = { rateLimitAnonymousPerMinute: 1e9, rateLimitAuthenticatedPerMinute: 1e9, redisKeyPrefix: 'kobi-bench' };
    const variants: Array<{ name: string; queryLimits: boolean; log: Logger; operations: Partial<OperationsSettings> }> = [
      { name: 'all on', queryLimits: true, log: devNull(), operations: { ...config, ...counted, observe: true } },
      { name: 'query limits only', queryLimits: true, log: silentLogger, operations: { observe: false } },
      { name: 'log + metrics only', queryLimits: false, log: devNull(), operations: { observe: true } },
      { name: 'rate limits only', queryLimits: false, log: silentLogger, operations: { ...counted, observe: false } },
      { name: 'all off', queryLimits: false, log: silentLogger, operations: { observe: false, rateLimitAnonymousPerMinute: 0, rateLimitAuthenticatedPerMinute: 0 } },
    ];
    const original = limits.queryLimits;
    const guarding = DocumentGuard.prototype.middleware;
    const variantUrls: string[] = [];
    try {
      for (const v of variants) {
        // Off: no cost plugin, and the document guard passes everything on (Apollo's parser keeps its token limit).
        (limits as { queryLimits: typeof limits.queryLimits }).queryLimits = v.queryLimits ? original : () => ({ plugin: {} });
        DocumentGuard.prototype.middleware = v.queryLimits ? guarding : () => (_req, _res, next) => next();
        const hub = await createHub({ db: database.db, publicPool: database.publicPool, log: v.log, config, auth, operations: v.operations });
        hubs.push(hub);
        variantUrls.push(`http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}/graphql`);
      }
    } finally {
      (limits as { queryLimits: typeof limits.queryLimits }).queryLimits = original;
      DocumentGuard.prototype.middleware = guarding;
    }
    const urls = { on: variantUrls[0], off: variantUrls[variantUrls.length - 1] };

    // The dashboard card (as in `npm run bench`): one Kreis and its Land × 5 indicators × 13 years.
    const catalogue = await fetch(urls.on, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ indicators(first: 5) { edges { node { code } } } }' }) });
    const codes = ((await catalogue.json()).data.indicators.edges as Array<{ node: { code: string } }>).map((e) => e.node.code);
    const body = JSON.stringify({
      operationName: 'Dashboard',
      query: `query Dashboard($codes: [String!]!, $regions: [String!]!) { series(indicatorCodes: $codes, regionCodes: $regions, latest: 13) { ${SERIES_FIELDS} } }`,
      variables: { codes, regions: ['15084', '15'] },
    });
    // Both sides answer the same, and the guards really are on one side only.
    const answers = await Promise.all([urls.on, urls.off].map(async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text()));
    if (answers[0] !== answers[1] || JSON.parse(answers[0]).errors) throw new Error(`the two hubs answer differently or with errors: ${answers[0].slice(0, 300)}`);
    const cells = (JSON.parse(answers[0]).data.series as Array<{ values: unknown[] }>).reduce((n, s) => n + s.values.length, 0);
    const metrics = await (await fetch(urls.on.replace('/graphql', '/metrics'))).text();
    if (!/kobi_http_requests_total\{[^}]*operation="Dashboard"/.test(metrics)) throw new Error('the "on" hub did not count the request');
    if ((await fetch(urls.off.replace('/graphql', '/metrics'))).status !== 404) throw new Error('the "off" hub serves metrics');

    console.log(
      `bench:overhead — dashboard query (${codes.length} indicators × 2 regions, latest 13 periods, ${cells} cells), ${config.databaseUrl ? 'PostgreSQL server' : 'embedded PGlite'}; ` +
        `${duration} s per run, ${rounds} rounds of both sides, connections ${connections.join(', ')}\n`,
    );
    const rows: string[][] = [];
    let worst = Infinity;
    for (const conn of connections) {
      await load(urls.off, body, conn, 1); // warm-up of both
      await load(urls.on, body, conn, 1);
      const runs: Record<'on' | 'off', LoadResult[]> = { on: [], off: [] };
      for (let r = 0; r < rounds; r++) {
        for (const side of r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) runs[side].push(await load(urls[side], body, conn, duration));
      }
      const figure = (side: 'on' | 'off') => ({ rps: median(runs[side].map((x) => x.rps)), p50: median(runs[side].map((x) => x.p50)), p99: median(runs[side].map((x) => x.p99)) });
      const [a, b] = [figure('on'), figure('off')];
      const ratio = median(runs.on.map((x, r) => x.rps / runs.off[r].rps));
      worst = Math.min(worst, ratio);
      rows.push([`@${conn}`, a.rps.toFixed(0), `${a.p50.toFixed(2)} / ${a.p99.toFixed(2)}`, b.rps.toFixed(0), `${b.p50.toFixed(2)} / ${b.p99.toFixed(2)}`, `${ratio.toFixed(2)}×`, runs.on.map((x) => x.rps.toFixed(0)).join(' ') + ' | ' + runs.off.map((x) => x.rps.toFixed(0)).join(' ')]);
    }
    console.log(table(['connections', 'on req/s', 'on p50 / p99 ms', 'off req/s', 'off p50 / p99 ms', 'on ÷ off (median of rounds)', 'req/s per round (on | off)'], rows));
    console.log(`\nTarget: on ÷ off at least ${TARGET}: ${worst >= TARGET ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`);

    // One request at a time, round robin over the five hubs: what each guard adds to a request.
    const times = variants.map(() => [] as number[]);
    for (let i = 0; i < sequential + 20; i++) {
      for (const [v, url] of variantUrls.entries()) {
        const started = performance.now();
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`${variants[v].name}: HTTP ${res.status}`);
        await res.text();
        if (i >= 20) times[v].push(performance.now() - started); // the first 20 rounds warm up
      }
    }
    const off = median(times[times.length - 1]);
    console.log(`\nOne request at a time, ${sequential} per hub, round robin (ms):\n`);
    console.log(
      table(
        ['hub', 'median', 'p25', 'min', 'median ÷ all off'],
        variants.map((v, i) => {
          const sorted = [...times[i]].sort((a, b) => a - b);
          return [v.name, median(sorted).toFixed(2), sorted[Math.floor(sorted.length / 4)].toFixed(2), sorted[0].toFixed(2), `${(median(sorted) / off).toFixed(2)}×`];
        }),
      ),
    );
    return 0;
  } finally {
    for (const hub of hubs) await hub.close();
    await database.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runBench(main, 'bench:overhead');
