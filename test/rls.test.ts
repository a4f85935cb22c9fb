import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthentication } from '../src/access/auth';
import { Role, type Credentials } from '../src/access/viewer';
import { loadConfig } from '../src/config';
import { createDataSource } from '../src/db/data-source';
import { isDatabaseUnavailable } from '../src/db/faults';
import { openDatabase } from '../src/db/open';
import { PublicPool } from '../src/db/public-pool';
import { GENERIC_PLAN_MAX_ELEMENTS, needsCustomPlan } from '../src/db/request-transaction';
import { createContext, type RequestContext } from '../src/graphql/context';
import { silentLogger } from '../src/logger';
import { createHub } from '../src/server';
import { createTestDatabase, type TestDatabase } from './support/database';
import { TEST_SETTINGS } from './support/hub';
import { insertCell, insertIndicator, orgId } from './support/scenario';

/*
 * The second lock (DESIGN §4, issue 3 item 7): whatever a service forgets to filter, the request's
 * own connection — role kobi_app, `kobi.org_id` set, inside its transaction — shows a draft or
 * an embargoed cell only to its owner. These tests bypass every service and send raw SQL through
 * `ctx.query`. In the server pass the public's requests run on the public's pool (autocommit, the
 * connection itself kobi_app with no organization), as in the hub; in the embedded pass in a
 * transaction like a member's.
 */

let database: TestDatabase;
let boerde: number;
let halle: number;
/** Scenario cells by name → id. */
const cells: Record<string, number> = {};

const BOERDE: Credentials = { subject: 'demo:boerde-viewer', orgCode: 'bildungsbuero-15083', role: Role.VIEWER, via: 'demo' };

beforeAll(async () => {
  database = await createTestDatabase();
  const db = database.db;
  boerde = await orgId(db, 'bildungsbuero-15083');
  halle = await orgId(db, 'bildungsbuero-15002');
  // PUBLIC on purpose: indicator visibility is the service layer's rule, not the lock's; the
  // lock alone must keep drafts and embargoed cells with their owner.
  await insertIndicator(db, { code: 'RLS1', owner: 'bildungsbuero-15002', visibility: 'PUBLIC' });
  const base = { indicator: 'RLS1', value: 41.5, internalNote: 'interne Notiz', uploadedBy: 'test' };
  cells.halleDraft = await insertCell(db, { ...base, region: '15002', period: '2023', owner: 'bildungsbuero-15002', state: 'DRAFT' });
  cells.halleEmbargoed = await insertCell(db, { ...base, region: '15002', period: '2022', owner: 'bildungsbuero-15002', state: 'embargoed' });
  cells.halleReleased = await insertCell(db, { ...base, region: '15002', period: '2021', owner: 'bildungsbuero-15002', state: 'RELEASED' });
  cells.boerdeDraft = await insertCell(db, { ...base, region: '15083', period: '2023', owner: 'bildungsbuero-15083', state: 'DRAFT' });
  cells.boerdeEmbargoed = await insertCell(db, { ...base, region: '15083', period: '2022', owner: 'bildungsbuero-15083', state: 'embargoed' });
  cells.statistikDraft = await insertCell(db, { ...base, region: '15', period: '2023', owner: 'statistik-15', state: 'DRAFT' });
});
afterAll(async () => {
  await database?.close();
});

/** Runs `fn` in a request context of `credentials` (null: the public) and always ends its transaction. */
async function inRequest<T>(credentials: Credentials | null, fn: (ctx: RequestContext) => Promise<T>, commit = false, publicPool = database.publicPool): Promise<T> {
  const ctx = await createContext({ db: database.db, publicPool, log: silentLogger, config: TEST_SETTINGS }, credentials);
  try {
    return await fn(ctx);
  } finally {
    await ctx.tx.finish(commit);
  }
}

describe('row-level security on the request connection', () => {
  it('runs the request as kobi_app with the viewer organization set', async () => {
    const [who] = await inRequest(BOERDE, (ctx) => ctx.query(`SELECT current_user AS role, current_setting('kobi.org_id', true) AS org`));
    expect(who).toEqual({ role: 'kobi_app', org: String(boerde) });
  });

  it("a raw SELECT of drafts returns Börde's own drafts only, none of another organization", async () => {
    const [others] = await database.db.query(`SELECT count(*)::int AS n FROM observation WHERE release_state = 'DRAFT' AND owner_org_id <> $1`, [boerde]);
    expect(others.n).toBeGreaterThanOrEqual(2); // there is something to hide: Halle's and the statistical office's drafts
    const rows: Array<{ id: number; owner_org_id: number }> = await inRequest(BOERDE, (ctx) =>
      ctx.query(`SELECT id, owner_org_id FROM observation WHERE release_state = 'DRAFT'`),
    );
    expect(rows.map((r) => r.id)).toContain(cells.boerdeDraft);
    expect(rows.filter((r) => r.owner_org_id !== boerde)).toEqual([]);
  });

  it("a raw SELECT of embargoed cells returns Börde's own only", async () => {
    const rows: Array<{ id: number; owner_org_id: number }> = await inRequest(BOERDE, (ctx) => ctx.query(`SELECT id, owner_org_id FROM observation WHERE released_at > now()`));
    expect(rows.map((r) => r.id)).toEqual([cells.boerdeEmbargoed]);
  });

  it('of the scenario cells, a raw SELECT without any filter sees exactly what the lock admits', async () => {
    const ids = Object.values(cells);
    const visible = async (credentials: Credentials | null) =>
      (await inRequest(credentials, (ctx) => ctx.query(`SELECT id FROM observation WHERE id = ANY($1) ORDER BY id`, [ids]))).map((r: { id: number }) => r.id);
    expect(await visible(BOERDE)).toEqual([cells.halleReleased, cells.boerdeDraft, cells.boerdeEmbargoed].sort((a, b) => a - b));
    expect(await visible(null)).toEqual([cells.halleReleased]);
    expect(await visible({ subject: 'demo:halle-editor', orgCode: 'bildungsbuero-15002', role: Role.EDITOR, via: 'demo' })).toEqual(
      [cells.halleDraft, cells.halleEmbargoed, cells.halleReleased].sort((a, b) => a - b),
    );
    expect(await visible({ subject: 'demo:land-admin', orgCode: 'ministerium-15', role: Role.ADMIN, via: 'demo' })).toEqual([cells.halleReleased]);
  });

  it("an UPDATE of another organization's cell changes 0 rows, drafts and released cells alike; an INSERT for another organization fails", async () => {
    const changed = await inRequest(
      BOERDE,
      async (ctx) =>
        (await ctx.query(`WITH u AS (UPDATE observation SET value = 0, internal_note = 'overwritten' WHERE id = ANY($1) RETURNING id) SELECT count(*)::int AS n FROM u`, [
          [cells.halleDraft, cells.halleEmbargoed, cells.halleReleased, cells.statistikDraft],
        ]))[0].n,
      true,
    );
    expect(changed).toBe(0);
    const after = await database.db.query(`SELECT value, internal_note FROM observation WHERE id = ANY($1)`, [[cells.halleDraft, cells.halleReleased, cells.statistikDraft]]);
    expect(after.every((r: any) => r.value === 41.5 && r.internal_note === 'interne Notiz')).toBe(true);

    await expect(
      inRequest(BOERDE, (ctx) =>
        ctx.query(
          `INSERT INTO observation (indicator_id, region_id, period, period_start, value, owner_org_id)
           SELECT indicator_id, region_id, '2019', '2019-01-01', 1, $1 FROM observation WHERE id = $2`,
          [halle, cells.halleReleased],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    const [{ n }] = await database.db.query(`SELECT count(*)::int AS n FROM observation WHERE period = '2019' AND owner_org_id = $1`, [halle]);
    expect(n).toBe(0);
  });

  it('the public sees no draft and no embargoed cell at all', async () => {
    const [row] = await inRequest(null, (ctx) => ctx.query(`SELECT count(*)::int AS n FROM observation WHERE release_state = 'DRAFT' OR released_at > now()`));
    expect(row.n).toBe(0);
  });

  it('after the request the connection is back as the owner role with no organization set', async () => {
    const [owner] = await database.db.query(`SELECT current_user AS role`);
    expect(owner.role).not.toBe('kobi_app');
    const ctx = await createContext({ db: database.db, log: silentLogger, config: TEST_SETTINGS }, BOERDE);
    const [inside] = await ctx.query(`SELECT pg_backend_pid() AS pid, current_user AS role`);
    expect(inside.role).toBe('kobi_app');
    await ctx.tx.finish(true);
    // The pool hands out the connection released last first; whatever it hands out, no
    // connection of the pool may still carry the request's role or organization.
    const [fresh] = await database.db.query(`SELECT pg_backend_pid() AS pid, current_user AS role, current_setting('kobi.org_id', true) AS org`);
    expect(fresh.pid).toBe(inside.pid);
    expect(fresh.role).toBe(owner.role);
    expect(fresh.org ?? '').toBe('');
    const [drafts] = await database.db.query(`SELECT count(DISTINCT owner_org_id)::int AS n FROM observation WHERE release_state = 'DRAFT'`);
    expect(drafts.n).toBeGreaterThanOrEqual(3); // the owner sees everything again
  });
});

describe("the public's connection", () => {
  it('runs every statement of a public request as kobi_app with no organization; in the server pass read-only, in autocommit', async () => {
    const rows = await inRequest(null, async (ctx) => [
      ...(await ctx.query(`SELECT current_user AS role, current_setting('kobi.org_id', true) AS org, current_setting('transaction_read_only') AS ro, pg_backend_pid() AS pid`)),
      ...(await ctx.query(`SELECT current_user AS role, current_setting('kobi.org_id', true) AS org, current_setting('transaction_read_only') AS ro, pg_backend_pid() AS pid`)),
    ]);
    for (const r of rows) {
      expect(r.role).toBe('kobi_app');
      expect(r.org ?? '').toBe('');
    }
    expect(rows[1].pid).toBe(rows[0].pid); // one connection per request, whichever pool
    if (database.mode === 'server') {
      expect(rows.map((r) => r.ro)).toEqual(['on', 'on']);
      // The public's pool, not the request pool: its connection is kobi_app outside any transaction too.
      const [app] = await database.db.query(`SELECT usename, application_name FROM pg_stat_activity WHERE pid = $1`, [rows[0].pid]);
      expect(app.application_name).toBe('kobi-data-hub (public)');
    }
  });

  it('a draft or an embargoed cell stays invisible to the public, a write fails', async () => {
    const ids = Object.values(cells);
    const seen = await inRequest(null, (ctx) => ctx.query(`SELECT id FROM observation WHERE id = ANY($1) ORDER BY id`, [ids]));
    expect(seen.map((r: { id: number }) => r.id)).toEqual([cells.halleReleased]);
    const write = inRequest(null, (ctx) => ctx.query(`UPDATE observation SET value = 0 WHERE id = $1 RETURNING id`, [cells.halleReleased]), true);
    if (database.mode === 'server') {
      await expect(write).rejects.toMatchObject({ code: '25006' }); // read-only transaction
    } else {
      expect(await write).toEqual([]); // the lock: kobi_app with no organization updates no row
    }
    const [{ value }] = await database.db.query(`SELECT value FROM observation WHERE id = $1`, [cells.halleReleased]);
    expect(value).toBe(41.5);
  });
});

describe.skipIf(!process.env.DATABASE_URL)("the public's prepared statements (server pass)", () => {
  it('are prepared once per connection; one that a schema change made stale runs again unprepared, and its connection is closed', async () => {
    await database.db.query(`CREATE TABLE prepared_probe (v varchar(10)); INSERT INTO prepared_probe VALUES ('eins'); GRANT SELECT ON prepared_probe TO kobi_app`);
    const pool = new PublicPool({ url: database.url, connectTimeoutSeconds: 10, poolSize: 1 }); // one connection: each request gets the same
    const probe = `SELECT v, pg_backend_pid() AS pid FROM prepared_probe`;
    const ask = () =>
      inRequest(
        null,
        async (ctx) => {
          const [row] = await ctx.query(probe);
          const [{ n }] = await ctx.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`, [probe]);
          return { ...row, prepared: n };
        },
        false,
        pool,
      );
    try {
      const first = await ask();
      expect(first).toMatchObject({ v: 'eins', prepared: 1 });
      expect(await ask(), 'the same connection, the statement still prepared').toEqual(first);
      // A migration under the running hub changes the statement's result type (varchar(10) → varchar(20)).
      await database.db.query(`ALTER TABLE prepared_probe ALTER COLUMN v TYPE varchar(20)`);
      const after = await ask();
      expect(after).toMatchObject({ v: 'eins', pid: first.pid });
      // That connection still holds the stale statement: it was closed, the next request gets a new one.
      const next = await ask();
      expect(next).toMatchObject({ v: 'eins', prepared: 1 });
      expect(next.pid).not.toBe(first.pid);
    } finally {
      await pool.end();
      await database.db.query(`DROP TABLE prepared_probe`);
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)("the public's plans (server pass)", () => {
  it('are generic, made once per connection; a statement with an array over 100 elements is planned for its parameters, and the connection is generic again after it', async () => {
    const pool = new PublicPool({ url: database.url, connectTimeoutSeconds: 10, poolSize: 1 });
    const mode = `SELECT current_setting('plan_cache_mode') AS mode, cardinality($1::int[]) AS n, pg_backend_pid() AS pid`;
    const ask = (n: number) => inRequest(null, async (ctx) => (await ctx.query(mode, [Array.from({ length: n }, (_, i) => i)]))[0], false, pool);
    try {
      const small = await ask(GENERIC_PLAN_MAX_ELEMENTS);
      expect(small).toMatchObject({ mode: 'force_generic_plan', n: 100 });
      expect(await ask(GENERIC_PLAN_MAX_ELEMENTS + 1)).toEqual({ mode: 'force_custom_plan', n: 101, pid: small.pid });
      expect(await ask(2)).toEqual({ mode: 'force_generic_plan', n: 2, pid: small.pid });
      expect(needsCustomPlan(['a', [1, 2], null])).toBe(false);
      expect(needsCustomPlan([5, Array.from({ length: 101 }, () => 'x')])).toBe(true);
      expect(needsCustomPlan(undefined)).toBe(false);
    } finally {
      await pool.end();
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('the session settings of both pools (server pass)', () => {
  /** `jit` and the role of a connection of each pool made from `url`. */
  async function settings(url: string) {
    const show = `SELECT current_setting('jit') AS jit, current_user AS role`;
    const db = createDataSource({ url, connectTimeoutSeconds: 10, poolSize: 1 });
    const pool = new PublicPool({ url, connectTimeoutSeconds: 10, poolSize: 1 });
    await db.initialize();
    try {
      return { request: (await db.query(show))[0], public: (await inRequest(null, (ctx) => ctx.query(show), false, pool))[0] };
    } finally {
      await db.destroy();
      await pool.end();
    }
  }

  it('JIT compilation is off on every connection; the URL\'s own options may turn it on, not change the public\'s role', async () => {
    const u = new URL(database.url);
    const [{ login }] = await database.db.query(`SELECT current_user AS login`); // the request pool's role outside a request
    expect(await settings(database.url)).toEqual({ request: { jit: 'off', role: login }, public: { jit: 'off', role: 'kobi_app' } });
    u.searchParams.set('options', `-c jit=on -c role=${login}`);
    expect(await settings(u.toString())).toEqual({ request: { jit: 'on', role: login }, public: { jit: 'on', role: 'kobi_app' } });
  });
});

describe.skipIf(!process.env.DATABASE_URL)("the public's pool refuses a connection that is not the public's (server pass)", () => {
  /** The URL's own start-up options put an organization into every connection. */
  const withOrg = () => {
    const u = new URL(database.url);
    u.searchParams.set('options', `-c kobi.org_id=${halle}`);
    return u.toString();
  };

  it('a public request on such a connection fails as SERVICE_UNAVAILABLE before any statement runs', async () => {
    const bad = new PublicPool({ url: withOrg(), connectTimeoutSeconds: 10 });
    try {
      await expect(bad.check()).rejects.toThrow(/kobi.org_id/);
      const err = await inRequest(null, (ctx) => ctx.query(`SELECT id FROM observation WHERE id = $1`, [cells.halleDraft]), false, bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as Error).name).toBe('PublicConnectionRefused');
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(bad.figures.totalCount).toBe(0); // closed, not kept for the next request
    } finally {
      await bad.end();
    }
  });

  it('the hub answers the public SERVICE_UNAVAILABLE (HTTP 503) and /readyz 503; it does not start so', async () => {
    const bad = new PublicPool({ url: withOrg(), connectTimeoutSeconds: 10 });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-rls-'));
    const { auth } = await createAuthentication({ demoMode: false, dataDir, db: database.db, log: silentLogger });
    const hub = await createHub({ db: database.db, publicPool: bad, log: silentLogger, config: TEST_SETTINGS, auth });
    try {
      const base = `http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}`;
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ series(indicatorCodes: ["RLS1"], regionCodes: ["15002"]) { periods values } }' }),
      });
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.errors.map((e: any) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(body.data?.series ?? null).toBeNull();
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'public connections refused' });
    } finally {
      await hub.close();
      await bad.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(openDatabase(loadConfig({ DATABASE_URL: withOrg() }), silentLogger)).rejects.toThrow(/cannot use the database.*kobi\.org_id/);
  });
});
