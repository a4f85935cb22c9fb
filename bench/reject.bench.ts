import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createAuthentication } from '../src/access/auth';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/open';
import { silentLogger } from '../src/logger';
import { BODY_LIMIT_BYTES, createHub } from '../src/server';
import { countStatements, runBench, table, UsageError } from './support';

/**
 * `npm run bench:reject [-- --duration S --connections 1,16]`: rejected queries are cheap (issue 6,
 * benchmark). The p99 latency of abusive requests that the hub refuses, against `{ __typename }`
 * (a request that runs but needs no database) measured in the same run, with autocannon like
 * `npm run bench`. Target: each refusal within 2× the baseline's p99. Every request is checked
 * once beforehand for its status and code, and counted at the driver: a refusal sends no SQL.
 * Refusals of big bodies are also compared with an accepted request of the same size, which pays
 * the same transport and JSON parsing.
 * The database is the one of DATABASE_URL, else an embedded one in a temporary DATA_DIR; it is
 * not used by any of these requests.
 */

const TARGET = 2;

interface Case {
  name: string;
  body: string;
  status: number;
  code?: string;
}

const json = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const CASES: Case[] = [
  { name: '{ __typename } (baseline)', body: json('{ __typename }'), status: 200 },
  { name: 'depth 50', body: json(`{ region(code: "15") { ${'parent { '.repeat(50)} code ${'}'.repeat(50)} } }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: '31 aliases', body: json(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: region(code: "15") { name }`).join(' ')} }`), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: '10,000 aliases', body: json(`{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: region(code: "15") { name }`).join(' ')} }`), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: 'the same field 1,000 times', body: json(`{ region(code: "15") { ${'name '.repeat(1_000)} } }`), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'cost 31,000 (nested lists)', body: json('{ regions { children { children { children { code name } } } } }'), status: 400, code: 'QUERY_TOO_COMPLEX' },
  { name: 'circular fragments', body: json('{ ...A } fragment A on Query { __typename ...B } fragment B on Query { __typename ...A }'), status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  { name: 'a 1 MB document', body: json(`{ ${'a '.repeat((BODY_LIMIT_BYTES - 100) / 2)} }`), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { name: 'a 2 MB body', body: json('{ __typename }', { x: 'x'.repeat(2 * BODY_LIMIT_BYTES) }), status: 413, code: 'QUERY_TOO_COMPLEX' },
  { name: 'a batch of 100', body: JSON.stringify(Array.from({ length: 100 }, () => ({ query: '{ regions { code } }' }))), status: 400, code: 'BAD_REQUEST' },
  { name: 'NUL in a variable', body: json('query($c: String!) { region(code: $c) { name } }', { c: '15\u0000' }), status: 400, code: 'BAD_USER_INPUT' },
];

interface Load {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
}

/** A fixed-duration autocannon run in a worker thread; every answer must have the case's status. */
async function load(url: string, c: Case, connections: number, duration: number): Promise<Load> {
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: c.body, connections, duration, workers: 1, timeout: 30 });
  const expected = c.status === 200 ? result['2xx'] : c.status === 413 || c.status === 400 ? result['4xx'] : 0;
  if (result.errors || result.timeouts || expected !== result.requests.total) {
    throw new Error(`${c.name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.requests.total - expected} answers other than HTTP ${c.status} at ${connections} connections`);
  }
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, requests: result.requests.total };
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
    hub = await createHub({ db: database.db, log: silentLogger, config, auth });
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

    // Big bodies cost their bytes before anything can be decided (the socket, JSON.parse): a
    // request that runs, of the same size (`{ __typename }` and an ignored padding field),
    // tells the transport from the refusal.
    const sameSize = (c: Case): Case => ({ name: `same-size { __typename } (${c.name})`, status: 200, body: JSON.stringify({ query: '{ __typename }', padding: 'p'.repeat(Math.max(c.body.length - 40, 0)) }) });
    const big = CASES.filter((c) => c.body.length > 100_000 && c.status !== 413);
    for (const c of big) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sameSize(c).body });
      if (res.status !== 200) throw new Error(`${sameSize(c).name}: HTTP ${res.status}`);
    }

    console.log(`bench:reject — ${duration} s per run, connections ${connections.join(', ')}; ${config.databaseUrl ? 'PostgreSQL server' : 'embedded PGlite'} (unused by these requests)\n`);
    const rows: string[][] = [];
    let worst = 0;
    for (const conn of connections) {
      await load(url, CASES[0], conn, 1); // warm-up
      const results = new Map<Case, Load>();
      for (const c of CASES) results.set(c, await load(url, c, conn, duration));
      // the baseline again at the end: the machine may have changed pace during the run
      const again = await load(url, CASES[0], conn, duration);
      const first = results.get(CASES[0])!;
      const base = { p50: (first.p50 + again.p50) / 2, p99: (first.p99 + again.p99) / 2 };
      const matched = new Map<Case, Load>();
      for (const c of big) matched.set(c, await load(url, sameSize(c), conn, duration));
      for (const c of CASES) {
        const r = results.get(c)!;
        const ratio = r.p99 / Math.max(base.p99, 1); // autocannon's resolution is 1 ms
        if (c !== CASES[0]) worst = Math.max(worst, ratio);
        const m = matched.get(c);
        rows.push([
          `${c.name} @${conn}`,
          c.code ? `${c.status} ${c.code}` : String(c.status),
          `${Math.round(c.body.length / 1024)} KB`,
          `${r.p50} / ${r.p99}`,
          r.rps.toFixed(0),
          c === CASES[0] ? `(2nd run ${again.p50} / ${again.p99})` : `${ratio.toFixed(2)}×`,
          m ? `${m.p50} / ${m.p99} → ${(r.p99 / Math.max(m.p99, 1)).toFixed(2)}×` : '',
        ]);
      }
    }
    console.log(table(['request @connections', 'answer', 'body', 'p50 / p99 ms', 'req/s', 'p99 ÷ baseline p99', 'same-size baseline p50 / p99, ratio'], rows));
    console.log(`\nTarget: every refusal's p99 within ${TARGET}× the baseline's: ${worst <= TARGET ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`);
    return 0;
  } finally {
    await hub?.close();
    await database.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runBench(main, 'bench:reject');
