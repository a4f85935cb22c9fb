import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubMetrics, MAX_OPERATION_NAMES } from '../src/http/metrics';
import { createLogger } from '../src/logger';
import { startTestHub, type TestHub } from './support/hub';

// Issue 6, item 4: one structured log line per request (request id, operation, duration, status,
// organization; never a credential) and Prometheus metrics at /metrics.
const lines: string[] = [];
const log = createLogger('debug', { write: (line: string) => void lines.push(line) });
const METRICS_TOKEN = 'scrape-me-0123456789abcdef';
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({}, { log, operations: { metricsToken: METRICS_TOKEN } });
});
afterAll(() => t?.close());

const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const requestLines = () => entries().filter((e) => e.msg === 'request');

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { res, body: await res.json() };
}

async function scrape(): Promise<string> {
  const res = await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample of the exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (m && m[1] === name && wanted.every((l) => m[2].split(',').includes(l))) return Number(m[3]);
  }
  return undefined;
}

describe('request log', () => {
  it('one line per request: the caller’s request id echoed, operation, status, duration, organization', async () => {
    const { res } = await post({ query: 'query Dashboard { regions(level: KREIS) { code } }', operationName: 'Dashboard' }, { authorization: `Bearer ${t.tokens['land-analyst']}`, 'x-request-id': 'dash-42.a' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('dash-42.a');
    const line = requestLines().find((e) => e.reqId === 'dash-42.a');
    expect(line).toMatchObject({ level: 'info', method: 'POST', route: '/graphql', operation: 'Dashboard', status: 200, org: 'ministerium-15' });
    expect(typeof line!.ms).toBe('number');
    expect(typeof line!.time).toBe('string');
    expect(requestLines().filter((e) => e.reqId === 'dash-42.a')).toHaveLength(1);
  });

  it('a missing or malformed request id is replaced by a new UUID; errors are listed by code', async () => {
    const { res } = await post({ query: '{ nope }' }, { 'x-request-id': 'bad id\twith spaces' });
    expect(res.status).toBe(400);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(requestLines().find((e) => e.reqId === id)).toMatchObject({ status: 400, errors: ['GRAPHQL_VALIDATION_FAILED'] });
    expect(requestLines().find((e) => e.reqId === id)).not.toHaveProperty('org');

    const exp = await fetch(`${t.baseUrl}/export/series.csv?indicatorCodes=C1&regionCodes=15&from=2020`, { headers: { authorization: `Bearer ${t.tokens['halle-editor']}` } });
    expect(exp.status).toBe(200);
    await exp.text();
    expect(requestLines().find((e) => e.reqId === exp.headers.get('x-request-id'))).toMatchObject({ route: '/export/series.csv', status: 200, org: 'bildungsbuero-15002' });
  });

  it('never logs a token, an API key or a password, whatever the request or a careless caller', async () => {
    const token = t.tokens['halle-admin'];
    const apiKey = t.tokens['demo-report-key'];
    const forged = `${token.slice(0, -4)}AAAA`; // a token whose signature does not check out
    const unknownKey = 'kobi_abcdefgh_0123456789abcdef0123456789abcdef';
    await post({ query: '{ organizations { code } }' }, { authorization: `Bearer ${token}` });
    await post({ query: 'query Report { indicators(first: 5) { edges { node { code } } } }' }, { authorization: `Bearer ${apiKey}` });
    expect((await post({ query: '{ __typename }' }, { authorization: `Bearer ${forged}` })).res.status).toBe(401);
    expect((await post({ query: '{ __typename }' }, { authorization: `Bearer ${unknownKey}` })).res.status).toBe(401);
    await fetch(`${t.baseUrl}/export/series.csv?indicatorCodes=C1&regionCodes=15`, { headers: { authorization: `Bearer ${apiKey}` } }).then((r) => r.text());
    // A caller that passes secrets in fields by mistake: the redaction catches the known names.
    log.warn('careless', { authorization: `Bearer ${token}`, headers: { authorization: apiKey }, password: 'hunter2-secret', token: forged });

    const all = lines.join('\n');
    expect(requestLines().filter((e) => e.status === 401)).toHaveLength(2);
    for (const secret of [token, apiKey, forged, unknownKey, apiKey.replace(/^kobi_[a-z0-9]+_/, ''), 'hunter2-secret']) expect(all).not.toContain(secret);
    expect(entries().find((e) => e.msg === 'careless')).toMatchObject({ authorization: '[redacted]', headers: { authorization: '[redacted]' }, password: '[redacted]', token: '[redacted]' });
  });
});

describe('GET /metrics', () => {
  it('counts requests and latency by route and operation, errors by code, the pool and the process', async () => {
    const before = await scrape();
    const count = (text: string, labels: Record<string, string>) => sample(text, 'kobi_http_requests_total', labels) ?? 0;
    for (let i = 0; i < 3; i++) await post({ query: 'query Catalogue { indicators(first: 2) { totalCount } }' });
    await post({ query: '{ regions(level: LAND) { code } }' }); // anonymous operation
    await post({ query: 'query Broken { nope }' }); // never a valid operation: counted as anonymous
    await fetch(`${t.baseUrl}/export/series.csv?indicatorCodes=XX&regionCodes=15`).then((r) => r.text()); // BAD_USER_INPUT, 400
    await fetch(`${t.baseUrl}/no/such/path`).then((r) => r.text());
    const after = await scrape();

    expect(count(after, { route: '/graphql', operation: 'Catalogue', status: '200' }) - count(before, { route: '/graphql', operation: 'Catalogue', status: '200' })).toBe(3);
    expect(count(after, { route: '/graphql', operation: 'anonymous', status: '200' }) - count(before, { route: '/graphql', operation: 'anonymous', status: '200' })).toBe(1);
    expect(count(after, { route: '/graphql', operation: 'anonymous', status: '400' }) - count(before, { route: '/graphql', operation: 'anonymous', status: '400' })).toBe(1);
    expect(after).not.toContain('operation="Broken"');
    expect(count(after, { route: '/export/series.csv', operation: 'none', status: '400' })).toBeGreaterThanOrEqual(1);
    expect(count(after, { route: 'unmatched', operation: 'none', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'kobi_http_request_duration_seconds_count', { route: '/graphql', operation: 'Catalogue' })).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'kobi_http_request_duration_seconds_bucket', { route: '/graphql', operation: 'Catalogue', le: '+Inf' })).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'kobi_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })! - (sample(before, 'kobi_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' }) ?? 0)).toBe(1);
    expect(sample(after, 'kobi_errors_total', { code: 'BAD_USER_INPUT' })).toBeGreaterThanOrEqual(1);
    // The requests above are the public's: on a server they ran on the public's pool, so the
    // request pool may have closed its idle connections by now.
    const server = t.database.mode === 'server';
    for (const [pool, used] of [['kobi_db_pool_connections', !server], ['kobi_db_public_pool_connections', server]] as const) {
      const total = sample(after, pool, { state: 'total' })!;
      if (!server && pool === 'kobi_db_public_pool_connections') {
        expect(total).toBeUndefined(); // no such pool on the embedded database
        continue;
      }
      expect(total).toBeGreaterThanOrEqual(used ? 1 : 0);
      expect(total).toBeLessThanOrEqual(10);
      expect(sample(after, pool, { state: 'idle' })).toBeLessThanOrEqual(total);
      expect(sample(after, pool, { state: 'waiting' })).toBe(0);
    }
    expect(after).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('with METRICS_TOKEN, a scrape without it or with another is 401', async () => {
    expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN.replace(/.$/, 'x')}` } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('operation names are bounded: past the first names every new one counts as "other"', () => {
    const metrics = new HubMetrics(t.database.db);
    for (let i = 0; i < MAX_OPERATION_NAMES; i++) expect(metrics.operationLabel(`Op${i}`)).toBe(`Op${i}`);
    expect(metrics.operationLabel('OneTooMany')).toBe('other');
    expect(metrics.operationLabel('Op7')).toBe('Op7');
    expect(metrics.operationLabel(undefined)).toBe('anonymous');
    expect(metrics.operationLabel(null)).toBe('anonymous');
  });
});
