import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE } from '../src/db/migrations/1764100000000-access';
import { startTestHub, type TestHub } from './support/hub';
import { dataSnapshot, plainCsv, upload } from './support/uploads';

// Demo facts (seeds/demo-data.ts), written here independently: the Burgenlandkreis owns
// K15084-KITA for the Kreis 15084 and its 33 Gemeinden, 2021–2024 released, 2025 a draft; Halle
// owns K15002-SSA (%, one decimal, by SCHOOL_TYPE), 2020/21–2023/24 released, 2024/25 a draft.
const KITA = 'K15084-KITA';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

async function exported(query: string, as: string): Promise<string> {
  const res = await fetch(`${t.baseUrl}/export/series.csv?${query}`, { headers: { authorization: `Bearer ${t.tokens[as]}` } });
  expect(res.status).toBe(200);
  return res.text();
}

/** Every version of one cell, oldest first, read as the table owner. */
async function versions(indicator: string, region: string, period: string) {
  return t.database.db.query(
    `SELECT o.value, o.status, o.symbol, o.version, o.release_state, o.recorded_at, o.superseded_at, o.previous_id::text, o.id::text
     FROM observation o JOIN indicator i ON i.id = o.indicator_id JOIN region r ON r.id = o.region_id
     WHERE i.code = $1 AND r.code = $2 AND o.period = $3 AND o.breakdown_dimension = '' ORDER BY o.version`,
    [indicator, region, period],
  );
}

describe('an export uploaded again', () => {
  it('unchanged, in both formats: every row reported unchanged, nothing written', async () => {
    for (const [query, as] of [
      [`indicatorCodes=${KITA}&regionLevel=GEMEINDE&parentCode=15084`, 'burgenlandkreis-editor'],
      ['indicatorCodes=K15002-SSA&regionCodes=15002&breakdownDimension=SCHOOL_TYPE', 'halle-editor'],
      // G2 has a series break (status B, derived when read) on the Zensus 2022 basis from 2022
      ['indicatorCodes=G2,C6&regionCodes=15,15084&breakdownDimension=SEX', 'statistik-editor'],
    ]) {
      for (const format of ['de', 'plain'] as const) {
        const csv = await exported(`${query}&format=${format}`, as);
        const rows = csv.split(/\r?\n/).filter((l) => l && !l.startsWith('#')).length - 1;
        expect(rows).toBeGreaterThan(20);
        if (query.includes('G2') && format === 'plain') expect(csv).toMatch(/,B,/); // the break is in the file
        const before = await dataSnapshot(t);
        const res = await upload(t, csv, { as, format });
        expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
        expect(res.body).toMatchObject({ status: 'COMMITTED', rows, unchanged: rows, inserted: 0, revised: 0, written: 0, errorCount: 0 });
        expect(await dataSnapshot(t)).toEqual(before);
      }
    }
  });

  it('edited: exactly the edited cell gets a new version; the old one is kept and closed at the same instant', async () => {
    const csv = await exported(`indicatorCodes=${KITA}&regionLevel=GEMEINDE&parentCode=15084&from=2025&to=2025&format=plain`, 'burgenlandkreis-editor');
    const records: string[][] = parse(csv);
    const edited = records.findIndex((r) => r[1] === '15084015');
    const old = Number(records[edited][5]);
    records[edited][5] = String(old + 7);
    const res = await upload(t, records.map((r) => r.join(',')).join('\n'), { as: 'burgenlandkreis-editor' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'COMMITTED', revised: 1, inserted: 0, unchanged: records.length - 2, written: 1 });
    const [v1, v2] = await versions(KITA, '15084015', '2025');
    expect(v1).toMatchObject({ value: old, version: 1, release_state: 'DRAFT' });
    expect(v2).toMatchObject({ value: old + 7, version: 2, release_state: 'DRAFT', status: 'A', symbol: '', superseded_at: null, previous_id: v1.id });
    expect(v1.superseded_at).toEqual(v2.recorded_at);
    const audit = await t.database.db.query(`SELECT action, old_value, new_value, old_version, new_version, changed_by FROM observation_audit WHERE import_id = $1`, [res.body.importId]);
    expect(audit).toEqual([{ action: 'REVISE', old_value: old, new_value: old + 7, old_version: 1, new_version: 2, changed_by: 'demo:burgenlandkreis-editor' }]);
  });

  it('a released cell, revised with release: a new released version marked r, recorded as a release that can be withdrawn', async () => {
    const [before] = (await versions(KITA, '15084013', '2024')).slice(-1);
    expect(before.release_state).toBe('RELEASED');
    const res = await upload(t, plainCsv([{ indicator: KITA, region: '15084013', period: '2024', value: String(before.value + 1), status: 'A' }]), {
      as: 'burgenlandkreis-editor',
      release: true,
      query: '&releaseReason=' + encodeURIComponent('Korrektur nach Rückmeldung des Jugendamts'),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'COMMITTED', revised: 1, released: 1 });
    const [, now] = (await versions(KITA, '15084013', '2024')).slice(-2);
    expect(now).toMatchObject({ value: before.value + 1, status: 'R', symbol: 'r', release_state: 'RELEASED', version: before.version + 1 });
    // Others see the revision at once (the indicator is the owner's alone: the owner's view is checked).
    const seen = await t.data(`{ series(indicatorCodes: ["${KITA}"], regionCodes: ["15084013"], from: "2024", to: "2024") { values statuses symbols } }`, {}, 'burgenlandkreis-editor');
    expect(seen.series[0]).toEqual({ values: [before.value + 1], statuses: ['R'], symbols: ['r'] });
    const releases = await t.data(`{ releases(indicatorCode: "${KITA}", first: 1) { id cells reason periodFrom periodTo regions { code } } }`, {}, 'burgenlandkreis-editor');
    expect(releases.releases[0]).toMatchObject({ cells: 1, reason: 'Korrektur nach Rückmeldung des Jugendamts', periodFrom: '2024-01-01', periodTo: '2024-12-31', regions: [{ code: '15084013' }] });
    const withdrawn = await t.data(`mutation($id: Int!) { withdrawRelease(id: $id, reason: "zurück") { cells withdrawnAt } }`, { id: releases.releases[0].id }, 'burgenlandkreis-editor');
    expect(withdrawn.withdrawRelease.withdrawnAt).not.toBeNull();
    const [, after] = (await versions(KITA, '15084013', '2024')).slice(-2);
    expect(after.release_state).toBe('DRAFT');
    const audit = await t.database.db.query(`SELECT action FROM observation_audit WHERE observation_id = $1 ORDER BY id`, [now.id]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['REVISE', 'WITHDRAW']);
  });

  it('an unchanged draft uploaded with release is released, without a new version', async () => {
    const [draft] = await versions(KITA, '15084012', '2025');
    expect(draft).toMatchObject({ release_state: 'DRAFT', version: 1 });
    const res = await upload(t, plainCsv([{ indicator: KITA, region: '15084012', period: '2025', value: String(draft.value), status: draft.status, symbol: draft.symbol }]), { as: 'burgenlandkreis-editor', release: true });
    expect(res.body).toMatchObject({ status: 'COMMITTED', unchanged: 1, written: 0, released: 1 });
    const all = await versions(KITA, '15084012', '2025');
    expect(all).toHaveLength(1);
    expect(all[0].release_state).toBe('RELEASED');
  });
});

describe('conditional updates (version)', () => {
  it('two edits from the same version: the first wins, the second is CONFLICT and writes nothing', async () => {
    const [current] = (await versions(KITA, '15084015', '2025')).slice(-1);
    const edit = (value: number) => plainCsv([{ indicator: KITA, region: '15084015', period: '2025', value: String(value), version: String(current.version) }], ['version']);
    const first = await upload(t, edit(current.value + 1), { as: 'burgenlandkreis-editor' });
    expect(first.body).toMatchObject({ status: 'COMMITTED', revised: 1 });
    const before = await dataSnapshot(t);
    const second = await upload(t, edit(current.value + 2), { as: 'burgenlandkreis-editor' });
    expect(second.status).toBe(422);
    expect(second.body.errors).toEqual([expect.objectContaining({ code: 'CONFLICT', row: 2, column: 'version' })]);
    expect(await dataSnapshot(t)).toEqual(before);
  });

  it('concurrent edits from the same version: exactly one wins', async () => {
    const [current] = (await versions(KITA, '15084013', '2025')).slice(-1);
    const edit = (value: number) => plainCsv([{ indicator: KITA, region: '15084013', period: '2025', value: String(value), version: String(current.version) }], ['version']);
    const answers = await Promise.all([upload(t, edit(1001), { as: 'burgenlandkreis-editor' }), upload(t, edit(1002), { as: 'burgenlandkreis-editor' })]);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['COMMITTED', 'REJECTED']);
    const all = await versions(KITA, '15084013', '2025');
    expect(all.map((v: { version: number }) => v.version)).toEqual([...Array(current.version + 1).keys()].map((i) => i + 1));
    expect([1001, 1002]).toContain(all[all.length - 1].value);
  });

  it('concurrent uploads of overlapping cells without versions: both committed, versions sequential, nothing lost', async () => {
    const regions = ['15084012', '15084013', '15084015'];
    const file = (value: number) => plainCsv(regions.map((region) => ({ indicator: KITA, region, period: '2027', value: String(value) })));
    const answers = await Promise.all([upload(t, file(501), { as: 'burgenlandkreis-editor' }), upload(t, file(502), { as: 'burgenlandkreis-editor' })]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body.inserted + a.body.revised)).toEqual([3, 3]);
    for (const region of regions) {
      const all = await versions(KITA, region, '2027');
      expect(all.map((v: { version: number }) => v.version)).toEqual([1, 2]);
      expect(all.map((v: { value: number }) => v.value).sort()).toEqual([501, 502]);
      expect(all[0].superseded_at).toEqual(all[1].recorded_at);
    }
  });
});

describe('idempotency', () => {
  const csv = plainCsv([{ indicator: KITA, region: '15084015', period: '2028', value: '44' }]);

  it('a replay with the same key returns the first report and writes nothing; another payload with it is CONFLICT', async () => {
    const first = await upload(t, csv, { as: 'burgenlandkreis-editor', key: 'upload-2028-a' });
    expect(first.body).toMatchObject({ status: 'COMMITTED', inserted: 1, replayed: false });
    const before = await dataSnapshot(t);
    const again = await upload(t, csv, { as: 'burgenlandkreis-editor', key: 'upload-2028-a' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, replayed: true });
    const other = await upload(t, csv.replace(',44,', ',45,'), { as: 'burgenlandkreis-editor', key: 'upload-2028-a' });
    expect(other.status).toBe(409);
    expect(other.body.errors[0].extensions.code).toBe('CONFLICT');
    const released = await upload(t, csv, { as: 'burgenlandkreis-editor', key: 'upload-2028-a', release: true });
    expect(released.status).toBe(409);
    expect(await dataSnapshot(t)).toEqual(before);
  });

  it('the key is the uploader\'s own; the mutation takes it too', async () => {
    const rows = [{ indicator: 'K15002-SSA', region: '15002', period: '2029/30', breakdownDimension: 'SCHOOL_TYPE', breakdownCode: 'GS', value: 12.5 }];
    const mutation = `mutation($input: ImportObservationsInput!) { importObservations(input: $input) { importId status replayed inserted } }`;
    const first = await t.data(mutation, { input: { rows, idempotencyKey: 'upload-2028-a' } }, 'halle-editor');
    expect(first.importObservations).toMatchObject({ status: 'COMMITTED', inserted: 1, replayed: false });
    const again = await t.data(mutation, { input: { rows, idempotencyKey: 'upload-2028-a' } }, 'halle-editor');
    expect(again.importObservations).toEqual({ ...first.importObservations, replayed: true });
  });

  it('concurrent requests with one key: one writes, the other replays', async () => {
    const twin = plainCsv([{ indicator: KITA, region: '15084012', period: '2028', value: '9' }]);
    const answers = await Promise.all([upload(t, twin, { as: 'burgenlandkreis-editor', key: 'twin' }), upload(t, twin, { as: 'burgenlandkreis-editor', key: 'twin' })]);
    expect(answers.map((a) => a.body.replayed).sort()).toEqual([false, true]);
    expect(answers[0].body.importId).toBe(answers[1].body.importId);
    expect(await versions(KITA, '15084012', '2028')).toHaveLength(1);
  });
});

describe('audit trail', () => {
  const AUDIT = `query($i: String) { auditTrail(indicatorCode: $i, first: 100) { entries { action changedBy importId indicator { code } region { code } period oldValue newValue newVersion } endCursor } }`;

  it('the owner organization reads it; others, Land admins included, see nothing of it', async () => {
    const own = await t.data(AUDIT, { i: KITA }, 'burgenlandkreis-editor');
    expect(own.auditTrail.entries.some((e: any) => e.action === 'REVISE' && e.changedBy === 'demo:burgenlandkreis-editor' && e.importId !== null)).toBe(true);
    // Its entries hold draft values and uploaders, which DESIGN §4 keeps from Land bodies.
    expect(own.auditTrail.entries.some((e: any) => e.newValue !== null)).toBe(true);
    for (const as of ['land-admin', 'statistik-editor', 'halle-editor', 'land-analyst', undefined]) {
      const other = await t.data(AUDIT, { i: KITA }, as);
      expect(other.auditTrail.entries, String(as)).toEqual([]);
    }
    // A Land body reads its own trail: the statistical office its official figures.
    const land = await t.data(`{ auditTrail(first: 5) { entries { changedBy newValue } } }`, {}, 'statistik-editor');
    expect(land.auditTrail.entries).toHaveLength(5);
  });

  it('row-level security lets the request role read only its own organization\'s entries, also for a Land body', async () => {
    const db = t.database.db;
    const [ministry] = await db.query(`SELECT id FROM organization WHERE code = 'ministerium-15'`);
    const [kita] = await db.query(`SELECT count(*)::int AS n FROM observation_audit a JOIN indicator i ON i.id = a.indicator_id WHERE i.code = $1`, [KITA]);
    expect(kita.n).toBeGreaterThan(0); // as the table owner: the Kommune's entries are there
    const runner = db.createQueryRunner();
    try {
      await runner.query('BEGIN');
      await runner.query(`SET LOCAL ROLE ${APP_ROLE}`);
      await runner.query(`SELECT set_config('kobi.org_id', $1, true)`, [String(ministry.id)]);
      const seen = await runner.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE owner_org_id <> $1)::int AS foreign FROM observation_audit`, [ministry.id]);
      expect(seen[0]).toEqual({ n: 0, foreign: 0 });
      await runner.query('ROLLBACK');
    } finally {
      await runner.release();
    }
  });

  it('pages newest first', async () => {
    const page1 = await t.data(`{ auditTrail(indicatorCode: "${KITA}", first: 2) { entries { id } endCursor } }`, {}, 'burgenlandkreis-editor');
    const page2 = await t.data(`query($a: String) { auditTrail(indicatorCode: "${KITA}", first: 2, after: $a) { entries { id } } }`, { a: page1.auditTrail.endCursor }, 'burgenlandkreis-editor');
    const ids = [...page1.auditTrail.entries, ...page2.auditTrail.entries].map((e: { id: string }) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(4);
  });

  it('the role requests run as cannot write, change or delete it', async () => {
    const runner = t.database.db.createQueryRunner();
    try {
      for (const sql of [`UPDATE observation_audit SET changed_by = 'someone else'`, `DELETE FROM observation_audit`, `INSERT INTO observation_audit (changed_at, changed_by, action, observation_id, owner_org_id, indicator_id, region_id, period, breakdown_dimension, breakdown_code, new_status, new_symbol, new_version, new_release_state) VALUES (now(), 'x', 'INSERT', 1, 1, 1, 1, '2020', '', '_T', 'A', '', 1, 'DRAFT')`, `TRUNCATE observation_audit`]) {
        await runner.query('BEGIN');
        await runner.query(`SET LOCAL ROLE ${APP_ROLE}`);
        await expect(runner.query(sql), sql).rejects.toThrow(/permission denied/);
        await runner.query('ROLLBACK');
      }
    } finally {
      await runner.release();
    }
  });
});
