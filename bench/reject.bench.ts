import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createAuthentication } from '../src/access/auth';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/open';
import { silentLogger } from '../src/logger';
import { BODY_LIMIT_BYTES, createHub } from '../src/server';
import { load as generate, type LoadResult } from './load';
import { countStatements, listen, median, runBench, table, UsageError } from './support';

/**
 * `npm run bench:reject [-- --duration S --connections 1,16]`: rejected queries are cheap (issue 6,
 * benchmark). The p99 latency of abusive requests that the hub refuses, against `{ __typename }`
 * (a request that runs but needs no database) measured in the same run, with the load generator of
 * bench/load.ts like `npm run bench`. Target: each refusal within 2× the baseline's p99. Every request is checked
 * once beforehand for its status and code, and counted at the driver: a refusal sends no SQL.
 * Each kind runs twice: with the same text every time (as a script in a loop sends it), and with a
 * text of its own each time (a comment with a random id), which neither Apollo's document cache nor
 * the guard's memory has seen; each against the baseline sent the same way. The baseline runs
 * before every case and once more at the end, and each case's ratio uses the mean p99 of the two
 * baseline runs beside it: not one run alone (its p99 moves with whatever else the machine does
 * in those seconds), nor the whole pass (its pace drifts over the minutes a pass takes).
 * The database is the one of DATABASE_URL, else an embedded one in a temporary DATA_DIR; it is
 * not used by any of these requests.
 */

const TARGET = 2;

/** Milliseconds with two decimals (the load generator measures microseconds). */
const ms = (x: number) => x.toFixed(2);

interface Case {
  name: string;
  body: string;
  /** The same request with a query text of its own each time (a comment with a random id), or none where there is no document to vary. */
  fresh?: string;
  status: number;
  code?: string;
}

/**
 * A case from its document: `fresh` appends a comment that the load generator fills with a new id
 * per request. Not for a body refused from its `Content-Length` (413): the hub never reads that
 * text, and a new one each time would only measure the load generator rebuilding it.
 */
const doc = (name: string, query: string, status: number, code?: string, variables?: Record<string, unknown>): Case => ({
  name,
  status,
  code,
  body: JSON.stringify({ query, variables }),
  fresh: status === 413 ? undefined : JSON.stringify({ query: `${query}\n# [<id>]`, variables }),
});
const CASES: Case[] = [
  doc('{ __typename } (baseline)', '{ __typename }', 200),
  doc('depth 50', `{ region(code: "15") { ${'parent { '.repeat(50)} code ${'}'.repeat(50)} } }`, 400, 'QUERY_TOO_COMPLEX'),
  doc('31 aliases', `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: region(code: "15") { name }`).join(' ')} }`, 400, 'QUERY_TOO_COMPLEX'),
  doc('10,000 aliases', `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: region(code: "15") { name }`).join(' ')} }`, 413, 'QUERY_TOO_COMPLEX'),
  doc('the same field 1,000 times', `{ region(code: "15") { ${'name '.repeat(1_000)} } }`, 400, 'QUERY_TOO_COMPLEX'),
  doc('cost 31,000 (nested lists)', '{ regions { children { children { children { code name } } } } }', 400, 'QUERY_TOO_COMPLEX'),
  doc('circular fragments', '{ ...A } fragment A on Query { __typename ...B } fragment B on Query { __typename ...A }', 400, 'GRAPHQL_VALIDATION_FAILED'),
  doc('6,000 tokens', `{ ${'__typename @aa '.repeat(3_000)} }`, 400, 'GRAPHQL_PARSE_FAILED'),
  doc('a 1 MB document', `{ ${'a '.repeat((BODY_LIMIT_BYTES - 100) / 2)} }`, 413, 'QUERY_TOO_COMPLEX'),
  { name: 'a 2 MB body', body: JSON.stringify({ query: '{ __typename }', variables: { x: 'x'.repeat(2 * BODY_LIMIT_BYTES) } }), status: 413, code: 'QUERY_TOO_COMPLEX' },
  { name: 'a batch of 100', body: JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ regions { code } }' }))), status: 400, code: 'BAD_REQUEST' },
  doc('NUL in a variable', 'query($c: String!) { region(code: $c) { name } }', 400, 'BAD_USER_INPUT', { c: '15\u0000' }),
];

/** The figures of a run that the table shows (the baseline's row holds the medians of its runs). */
type Load = Pick<LoadResult, 'p50' | 'p99' | 'rps' | 'requests'>;

/** A fixed-duration run; every answer must have the case's status. */
async function load(url: string, c: Case, connections: number, duration: number, fresh = false): Promise<Load> {
  try {
    return await generate({ url, body: fresh ? c.fresh! : c.body, fresh, connections, duration, status: c.status });
  } catch (err) {
    throw new Error(`${c.name}: ${(err as Error).message}`);
  }
}

async function main(): Promise<number> {
  let values: Record<string, string>;
  try {
    values = parseArgs({ options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '1,16' } } }).values as Record<string, string>;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; usage: npm run bench:reject -- [--duration S] [--connections 1,16]`);
  }
  const duration = Number(values.duration);
  const connections = values.connections.split(',').map(Number);
  if (!Number.isInteger(duration) || duration < 1 || connections.some((c) => !Number.isInteger(c) || c < 1)) throw new UsageError('--duration and --connections take positive integers');

  const config = loadConfig();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-bench-reject-'));
  const database = await openDatabase(config.databaseUrl ? config : { ...config, dataDir: path.join(tmp, 'data') }, silentLogger);
  let hub: Awaited<ReturnType<typeof createHub>> | undefined;
  try {
    const { auth } = await createAuthentication({ oidc: undefined, demoMode: false, dataDir: tmp, db: database.db, log: silentLogger });
    hub = await createHub({ db: database.db, publicPool: database.publicPool, log: silentLogger, config, auth });
    const url = `http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}/graphql`;

    // Each case answers as expected, and a refusal sends nothing to the database.
    for (const c of CASES) {
      let answer: { status: number; body: any } | undefined;
      const { roundTrips } = await countStatements(async () => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: c.body });
        answer = { status: res.status, body: await res.json() };
      });
      const code = answer!.body.errors?.[0]?.extensions?.code;
      if (answer!.status !== c.status || code !== c.code) throw new Error(`${c.name}: expected HTTP ${c.status} ${c.code ?? ''}, got ${answer!.status} ${code ?? ''}`);
      if (roundTrips !== 0) throw new Error(`${c.name}: ${roundTrips} round trips to the database`);
    }

    console.log(`bench:reject — ${duration} s per run, connections ${connections.join(', ')}; ${config.databaseUrl ? 'PostgreSQL server' : 'embedded PGlite'} (unused by these requests)\n`);
    const rows: string[][] = [];
    const worst = { repeated: 0, fresh: 0 };
    const baseline = CASES[0];
    for (const conn of connections) {
      await load(url, baseline, conn, 1); // warm-up
      // Each kind twice: the same text again and again (the baseline then comes from Apollo's
      // document cache, a refusal from the guard's memory), and a text of its own each time
      // (parsed and judged anew on both sides).
      // A case's ratio is taken against the baseline runs right before and after it (their mean
      // p99): the machine's pace drifts over a pass of several minutes, and a ratio against the
      // whole pass's median once put a case at 2.45× that was 0.9–1.0× in turns with the baseline.
      const runs = async (fresh: boolean) => {
        const baselines: Load[] = [];
        const loads: Load[] = [];
        const cases = CASES.filter((c) => c !== baseline && (!fresh || c.fresh));
        for (const c of cases) {
          baselines.push(await load(url, baseline, conn, duration, fresh));
          loads.push(await load(url, c, conn, duration, fresh));
        }
        baselines.push(await load(url, baseline, conn, duration, fresh));
        const results = new Map<Case, Load & { base: number }>(cases.map((c, k) => [c, { ...loads[k], base: (baselines[k].p99 + baselines[k + 1].p99) / 2 }]));
        const p99s = baselines.map((b) => b.p99);
        results.set(baseline, { p50: median(baselines.map((b) => b.p50)), p99: median(p99s), rps: median(baselines.map((b) => b.rps)), requests: 0, base: NaN });
        return { results, range: `${ms(Math.min(...p99s))}–${ms(Math.max(...p99s))}`, runs: baselines.length };
      };
      const repeated = await runs(false);
      const fresh = await runs(true);
      for (const c of CASES) {
        const cells = [repeated, fresh].map((run, i) => {
          const r = run.results.get(c);
          if (!r) return ['', '', ''];
          const ratio = r.p99 / r.base;
          if (c !== baseline) worst[i === 0 ? 'repeated' : 'fresh'] = Math.max(worst[i === 0 ? 'repeated' : 'fresh'], ratio);
          return [`${ms(r.p50)} / ${ms(r.p99)}`, r.rps.toFixed(0), c === baseline ? `(median of ${run.runs}; p99 ${run.range})` : `${ratio.toFixed(2)}×`];
        });
        rows.push([`${c.name} @${conn}`, c.code ? `${c.status} ${c.code}` : String(c.status), `${Math.round(c.body.length / 1024)} KB`, ...cells.flat()]);
      }
    }
    const head = (what: string) => [`${what} p50 / p99 ms`, `${what} req/s`, `${what} p99 ÷ baseline`];
    console.log(table(['request @connections', 'answer', 'body', ...head('same text'), ...head('new text')], rows));
    const verdict = (w: number) => `${w <= TARGET ? 'met' : 'NOT met'} (worst ${w.toFixed(2)}×)`;
    console.log(`\nTarget: every refusal's p99 within ${TARGET}× the baseline's — the same text repeated: ${verdict(worst.repeated)}; a new text each time: ${verdict(worst.fresh)}`);

    // The floor of a refusal from Content-Length: a bare node:http server that does nothing but
    // answer 413 at once and read off the body, as the hub does. Side by side, in turns.
    const floorServer = http.createServer((req, res) => {
      req.resume();
      res.writeHead(413, { 'content-type': 'application/json' }).end('{"errors":[{"message":"too large","extensions":{"code":"QUERY_TOO_COMPLEX"}}]}');
    });
    const floor = await listen(floorServer, '/graphql');
    try {
      const floorRows: string[][] = [];
      for (const conn of connections) {
        for (const c of CASES.filter((x) => x.status === 413)) {
          const hubRuns: Load[] = [];
          const floorRuns: Load[] = [];
          for (let round = 0; round < 3; round++) {
            floorRuns.push(await load(floor.url, c, conn, duration));
            hubRuns.push(await load(url, c, conn, duration));
          }
          const ratio = median(hubRuns.map((h, i) => h.p99 / floorRuns[i].p99));
          const fig = (runs: Load[]) => `${ms(median(runs.map((r) => r.p50)))} / ${ms(median(runs.map((r) => r.p99)))}`;
          floorRows.push([`${c.name} @${conn}`, `${Math.round(c.body.length / 1024)} KB`, fig(hubRuns), fig(floorRuns), `${ratio.toFixed(2)}×`]);
        }
      }
      console.log(`\nBodies refused from their Content-Length against the floor (a bare node:http server answering 413 and reading off the body), 3 rounds each:\n`);
      console.log(table(['request @connections', 'body', 'hub p50 / p99 ms', 'floor p50 / p99 ms', 'hub ÷ floor p99 (median of rounds)'], floorRows));
    } finally {
      await floor.close();
    }
    return 0;
  } finally {
    await hub?.close();
    await database.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runBench(main, 'bench:reject');
