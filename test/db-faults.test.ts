import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateClusterUnavailable, startHubProcess, startPrivateCluster, type HubProcess, type PrivateCluster } from './support/private-postgres';

// Issue 6, item 2: the hub survives a Postgres restart under load. A cluster of the test's own is
// stopped (fast, then immediate) and started again while reads, writes and exports run against
// the real `npm start` process. The cluster ignores DATABASE_URL, so the file runs in the
// embedded pass of CI only (running it twice would test the same thing twice).
const skip = privateClusterUnavailable() ?? (process.env.DATABASE_URL ? 'runs in the embedded pass only (it starts a cluster of its own)' : undefined);
if (skip) console.warn(`test/db-faults.test.ts skipped: ${skip}`);

/** "Fail fast": an answer during the outage comes within this (the connect timeout would be 10 s). */
const FAST_MS = 2_000;
/** Issue 6: full service within 15 seconds after Postgres is back. */
const RECOVERY_MS = 15_000;

interface Outcome {
  kind: 'read' | 'member-read' | 'write' | 'export' | 'import';
  status: number;
  code?: string;
  ms: number;
  /** For an acknowledged write: the indicator it created. */
  created?: string;
  /** For an acknowledged upload: its import id. */
  imported?: string;
}

let cluster: PrivateCluster;
let hub: HubProcess;
let url: string;
let dataDir: string;
let tokens: Record<string, string>;
let writes = 0;

beforeAll(async () => {
  if (skip) return;
  cluster = await startPrivateCluster();
  url = cluster.url;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-faults-'));
  hub = await startHubProcess({ DATABASE_URL: url, DEMO_MODE: '1', DATA_DIR: dataDir, DATABASE_CONNECT_TIMEOUT: '10', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0', RATE_LIMIT_AUTHENTICATED_PER_MINUTE: '0' });
  tokens = await (await fetch(`${hub.baseUrl}/demo/tokens`)).json();
});

afterAll(async () => {
  if (skip) return;
  if (hub && hub.child.exitCode === null) {
    hub.child.kill('SIGTERM');
    await hub.exited;
  }
  cluster?.destroy();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const INDICATOR = (code: string) => ({
  code,
  name: 'Testindikator Ausfall',
  nameEn: 'Test indicator outage',
  source: 'test/db-faults.test.ts',
  definition: 'Angelegt während eines Neustarts der Datenbank.',
  unit: 'persons',
  decimals: 0,
  areaCode: 'C',
  periodType: 'YEAR',
  aggregation: 'SUM',
  levels: ['KREIS'],
  ownerCode: 'statistik-15',
});

/** One request of the given kind; never throws: a response the hub cut off is an outcome too (status 0). */
async function request(kind: Outcome['kind']): Promise<Outcome> {
  const started = Date.now();
  const gql = (query: string, variables: Record<string, unknown> | undefined, as?: string) =>
    fetch(`${hub.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${tokens[as]}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  const created = kind === 'write' ? `FAULT_${++writes}` : undefined;
  let res: Response;
  let text: string;
  try {
    if (kind === 'import') {
      // A new value of the Burgenlandkreis' own Kita indicator each time: a revision of one cell.
      const csv = `indicator,region,period,value\nK15084-KITA,15084015,2026,${1000 + ++writes}\n`;
      res = await fetch(`${hub.baseUrl}/import?format=plain`, { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${tokens['burgenlandkreis-editor']}` }, body: csv });
    } else if (kind === 'export') res = await fetch(`${hub.baseUrl}/export/series.csv?format=plain&indicatorCodes=C1&regionLevel=KREIS`);
    else if (created) res = await gql('mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { code } }', { input: INDICATOR(created) }, 'land-admin');
    else res = await gql('{ regions(level: KREIS) { code series(indicatorCodes: ["C1"], latest: 1) { values } } }', undefined, kind === 'member-read' ? 'land-analyst' : undefined);
    text = await res.text();
  } catch (err) {
    return { kind, status: 0, code: `cut off: ${(err as Error).message}`, ms: Date.now() - started };
  }
  const ms = Date.now() - started;
  if (!res.headers.get('content-type')?.includes('json')) return { kind, status: res.status, ms };
  const body = JSON.parse(text);
  const acknowledged = res.status === 200 && !body.errors && body.data?.createIndicator?.code === created;
  const imported = kind === 'import' && res.status === 200 && body.status === 'COMMITTED' ? String(body.importId) : undefined;
  return { kind, status: res.status, code: body.errors?.[0]?.extensions?.code, ms, created: created && acknowledged ? created : undefined, imported };
}

/**
 * Runs `workers` loops of mixed requests until `stop()` is called; resolves with every outcome.
 * `atLeast(n)` waits until n answers are in (the machine may be slow; a count, not a duration).
 */
function load(workers = 4): { stop(): Promise<Outcome[]>; atLeast(n: number): Promise<void> } {
  const outcomes: Outcome[] = [];
  let running = true;
  const kinds: Outcome['kind'][] = ['read', 'write', 'member-read', 'export', 'import'];
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = w; running; i++) outcomes.push(await request(kinds[i % kinds.length]));
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
    async atLeast(n) {
      while (outcomes.length < n) await sleep(20);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (o: Outcome) => o.status === 200 && o.code === undefined;

/** Every kind answers successfully, and /readyz says ready: returns the ms it took from `since`. */
async function untilFullService(since: number): Promise<number> {
  for (;;) {
    const results = await Promise.all((['read', 'member-read', 'write', 'export', 'import'] as const).map(request));
    note(results);
    const ready = (await fetch(`${hub.baseUrl}/readyz`)).status === 200;
    if (ready && results.every(ok)) return Date.now() - since;
    if (Date.now() - since > RECOVERY_MS + 5_000) throw new Error(`no full service ${RECOVERY_MS + 5_000} ms after the restart: ${JSON.stringify(results)}`);
    await sleep(100);
  }
}

const acknowledged: string[] = [];
const importsAcknowledged: string[] = [];
/** Remembers the writes and uploads that answered success. */
const note = (outcomes: Outcome[]) => {
  acknowledged.push(...outcomes.filter((o) => o.created).map((o) => o.created!));
  importsAcknowledged.push(...outcomes.filter((o) => o.imported).map((o) => o.imported!));
};

describe.skipIf(skip)('a Postgres restart under load', () => {
  for (const mode of ['fast', 'immediate'] as const) {
    it(`pg_ctl stop -m ${mode}: fails fast with SERVICE_UNAVAILABLE, recovers within 15 s, loses no acknowledged write`, async () => {
      const before = load();
      await before.atLeast(12);
      const healthy = await before.stop();
      expect(healthy.filter((o) => !ok(o)), 'all succeed before the outage').toEqual([]);
      note(healthy);

      const during = load();
      await sleep(300);
      cluster.stop(mode);
      await sleep(300); // requests that raced the stop are done; what follows meets a closed port
      const racing = await during.stop();
      note(racing);
      // Those in flight when the server went: answered, or refused as unavailable; never a 500
      // nor a wrong "bad input". An export whose first bytes were out can only be cut off. An
      // upload whose connection broke mid-way answers 503 like any other request.
      for (const o of racing) {
        if (ok(o) || (o.kind === 'export' && o.status === 0)) continue;
        expect(o, 'a request that raced the stop').toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      }
      const outage = load();
      await outage.atLeast(15);
      const ready = await fetch(`${hub.baseUrl}/readyz`);
      const duringOutage = await outage.stop();

      expect(ready.status, '/readyz while the database is down').toBe(503);
      expect(racing.length).toBeGreaterThan(0);
      for (const o of duringOutage) {
        expect(o, 'every request during the outage: 503 SERVICE_UNAVAILABLE').toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
        expect(o.ms, `${o.kind} answered fast`).toBeLessThan(FAST_MS);
      }
      expect(new Set(duringOutage.map((o) => o.kind))).toEqual(new Set(['read', 'member-read', 'write', 'export', 'import']));

      const restarted = Date.now();
      cluster.start();
      const recoveryMs = await untilFullService(restarted);
      console.info(`db-faults (${mode}): ${duringOutage.length} requests during the outage, slowest ${Math.max(...duringOutage.map((o) => o.ms))} ms; full service ${recoveryMs} ms after pg_ctl start returned`);
      expect(recoveryMs).toBeLessThan(RECOVERY_MS);
      expect(hub.child.exitCode, 'the hub process is still running').toBeNull();
    });
  }

  it('every acknowledged write and upload is in the database after the restarts; the lost connections were logged, not fatal', async () => {
    expect(acknowledged.length).toBeGreaterThan(3);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT code FROM indicator WHERE code = ANY($1)', [acknowledged]);
    expect(rows.map((r) => r.code).sort()).toEqual([...acknowledged].sort());
    expect(importsAcknowledged.length).toBeGreaterThan(1);
    const uploads = await client.query(`SELECT DISTINCT import_id::text AS id FROM observation_audit WHERE import_id::text = ANY($1)`, [importsAcknowledged]);
    await client.end();
    expect(uploads.rows.map((r) => r.id).sort()).toEqual([...importsAcknowledged].sort());

    const metrics = await (await fetch(`${hub.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/kobi_errors_total\{code="SERVICE_UNAVAILABLE"\} [1-9]/);
    expect(hub.stderr()).toMatch(/"level":"warn".*"msg":"database unavailable"/);
    expect(hub.stderr()).toMatch(/"level":"warn".*"msg":"an idle database connection was lost/);
    expect(hub.stderr()).not.toMatch(/"level":"(error|fatal)"/);
    expect(hub.child.exitCode).toBeNull();
  });
});
