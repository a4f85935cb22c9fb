import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthentication } from '../src/access/auth';
import { ConfigError, loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { createHub, type OperationsSettings } from '../src/server';
import { createTestDatabase, type TestDatabase } from './support/database';
import { TEST_SETTINGS } from './support/hub';

// Issue 6, item 5: rate limits per API key or login, and per IP for the public; in memory, and
// shared by several instances through Redis (127.0.0.1:6379 here and in CI).
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let database: TestDatabase;
let dataDir: string;
let tokens: Record<string, string>;
const hubs: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-rate-'));
});
afterAll(async () => {
  for (const hub of hubs) await hub.close();
  await database?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A hub over this file's database with the given operations settings; resolves with its base URL. */
async function hubWith(operations: Partial<OperationsSettings>): Promise<string> {
  const { auth, demo } = await createAuthentication({ demoMode: true, dataDir, db: database.db, log: silentLogger });
  tokens ??= await demo!.tokens();
  const hub = await createHub({ db: database.db, log: silentLogger, config: TEST_SETTINGS, auth, demo, operations });
  hubs.push(hub);
  return `http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}`;
}

async function ask(base: string, as?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${tokens[as] ?? as}` } : {}), ...headers },
    body: JSON.stringify({ query: '{ regions(level: LAND) { code } }' }),
  });
  const body = await res.json();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.errors?.[0]?.extensions?.code as string | undefined, body };
}

const statuses = async (n: number, one: () => Promise<{ status: number }>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await one()).status);
  return out;
};

describe('in memory', () => {
  let base: string;
  beforeAll(async () => {
    base = await hubWith({ rateLimitAnonymousPerMinute: 4, rateLimitAuthenticatedPerMinute: 6 });
  });

  it('the public per IP: past the limit 429 with Retry-After and RATE_LIMITED, on /graphql and the exports alike', async () => {
    expect(await statuses(4, () => ask(base))).toEqual([200, 200, 200, 200]);
    const refused = await ask(base);
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('RATE_LIMITED');
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({ errors: [{ message: expect.stringMatching(/at most 4 a minute/), extensions: { code: 'RATE_LIMITED', retryAfter: Number(refused.retryAfter) } }] });

    const exp = await fetch(`${base}/export/series.csv?indicatorCodes=C1&regionCodes=15`);
    expect(exp.status).toBe(429);
    expect(exp.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await exp.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
    // Health and metrics are never limited: a load balancer must still see the hub.
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('each API key and each login has a limit of its own, apart from the IP it comes from', async () => {
    expect(await statuses(6, () => ask(base, 'land-analyst'))).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await ask(base, 'land-analyst')).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(await statuses(6, () => ask(base, 'demo-report-key'))).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await ask(base, 'demo-report-key')).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((await ask(base, 'halle-editor')).status).toBe(200);
  });

  it('a credential that does not check out counts against the IP: guessing keys is limited like the public', async () => {
    const other = await hubWith({ rateLimitAnonymousPerMinute: 3, rateLimitAuthenticatedPerMinute: 100 });
    const guess = () => ask(other, `kobi_guessing_${randomBytes(16).toString('hex')}`);
    expect(await statuses(3, guess)).toEqual([401, 401, 401]);
    expect(await guess()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((await ask(other)).status).toBe(429);
    expect((await ask(other, 'boerde-viewer')).status).toBe(200);
  });

  it('X-Forwarded-For counts only with TRUST_PROXY', async () => {
    const direct = await hubWith({ rateLimitAnonymousPerMinute: 2 });
    const from = (ip: string) => () => ask(direct, undefined, { 'x-forwarded-for': ip });
    expect(await statuses(3, from('203.0.113.1'))).toEqual([200, 200, 429]);
    expect((await from('203.0.113.2')()).status).toBe(429); // the header is ignored: same client

    const proxied = await hubWith({ rateLimitAnonymousPerMinute: 2, trustProxy: ['loopback'] });
    const via = (ip: string) => () => ask(proxied, undefined, { 'x-forwarded-for': ip });
    expect(await statuses(3, via('203.0.113.1'))).toEqual([200, 200, 429]);
    expect(await statuses(2, via('203.0.113.2'))).toEqual([200, 200]);
  });
});

/** Is anything listening on the Redis port? */
const redisReachable = () =>
  new Promise<boolean>((resolve) => {
    const url = new URL(REDIS_URL);
    const socket = net.connect(Number(url.port || 6379), url.hostname);
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });

describe('shared through Redis', () => {
  const prefix = `kobi-test-rl-${randomBytes(6).toString('hex')}`;
  let redis: Redis | undefined;
  beforeAll(async () => {
    if (await redisReachable()) redis = new Redis(REDIS_URL);
    else console.warn(`test/rate-limit.test.ts: the Redis test is skipped: nothing listens at ${REDIS_URL}`);
  });
  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('two instances share one limit', async (ctx) => {
    if (!redis) return ctx.skip();
    const settings = { rateLimitAnonymousPerMinute: 5, rateLimitAuthenticatedPerMinute: 5, redisUrl: REDIS_URL, redisKeyPrefix: prefix };
    const [a, b] = [await hubWith(settings), await hubWith(settings)];
    expect(await statuses(3, () => ask(a))).toEqual([200, 200, 200]);
    expect(await statuses(3, () => ask(b))).toEqual([200, 200, 429]);
    expect((await ask(a)).status).toBe(429);
    expect(await statuses(3, () => ask(a, 'land-admin'))).toEqual([200, 200, 200]);
    expect(await statuses(3, () => ask(b, 'land-admin'))).toEqual([200, 200, 429]);
    // The counters are in Redis under the run's prefix (so other runs and instances do not mix).
    expect((await redis.keys(`${prefix}:ip:*`)).length).toBe(1);
    expect((await redis.keys(`${prefix}:sub:*`)).length).toBe(1);
  });
});

describe('Redis unreachable', () => {
  it('the hub serves and still limits, counting in memory', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const base = await hubWith({ rateLimitAnonymousPerMinute: 3, redisUrl: `redis://127.0.0.1:${closed}`, redisKeyPrefix: 'kobi-test-unreachable' });
    expect(await statuses(4, () => ask(base))).toEqual([200, 200, 200, 429]);
  });
});

describe('settings', () => {
  it('TRUST_PROXY, REDIS_URL and METRICS_TOKEN are checked at start-up, with a message naming them', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY=true would let any client choose its IP/);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.example' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL must start with redis:\/\//);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 16 characters/);
    expect(() => loadConfig({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_ANONYMOUS_PER_MINUTE must be an integer/);
    expect(loadConfig({})).toMatchObject({ rateLimitAnonymousPerMinute: 600, rateLimitAuthenticatedPerMinute: 3000, shutdownDrainSeconds: 25, statementTimeoutSeconds: 30, idleInTransactionTimeoutSeconds: 60 });
  });
});
