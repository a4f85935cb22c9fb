import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';

// Demo facts (seeds/demo-data.ts), written here independently: Halle's own indicator K15002-SSA
// (visibility PARTNERS; by school type) has the school years 2020/21–2023/24 released (releases
// 3, 7, 10, 13) and 2024/25 as a draft of 7 cells, in which 2 of 8 Gymnasien have school social
// work: a count below the threshold, so a release must suppress it and one more school type.
// The Burgenlandkreis' K15084-KITA has 2025 as a draft (Kreis and 33 Gemeinden); Börde's release
// 12 is of K15083-VHS 2023.
const SSA = 'K15002-SSA';
const SCHOOL_TYPES = ['FOES', 'GMS', 'GS', 'GYM', 'IGS', 'SEK', '_T'];

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

const RELEASE = `mutation($input: ReleaseDataInput!) {
  releaseData(input: $input) { id cells effectiveAt releasedAt releasedBy reason periodFrom periodTo withdrawnAt indicator { code } regions { code } }
}`;
const WITHDRAW = `mutation($id: Int!, $reason: String!) { withdrawRelease(id: $id, reason: $reason) { id cells withdrawnAt withdrawnBy withdrawReason } }`;
const SSA_2024 = { indicatorCode: SSA, regionCodes: ['15002'], from: '2024/25', to: '2024/25', reason: 'Schuljahr 2024/25 mit dem Landesschulamt abgestimmt' };

/** Everything a release or withdrawal could write, read as the table owner (past row-level security). */
async function snapshot() {
  const [row] = await t.database.db.query(`
    SELECT (SELECT count(*) FROM data_release)::int AS releases,
           (SELECT count(*) FROM data_release WHERE withdrawn_at IS NOT NULL)::int AS withdrawn,
           (SELECT md5(string_agg(concat_ws('|', id, release_state, released_at, released_by, suppressed), ',' ORDER BY id)) FROM observation) AS cells`);
  return row;
}

/** Expects the request to fail with `code` and to leave the database as it was. */
async function expectRefused(query: string, variables: Record<string, unknown>, as: string | undefined, code: string, argument?: string) {
  const before = await snapshot();
  const res = await t.gql(query, variables, as);
  expect(res.body.errors?.map((e) => e.extensions?.code), JSON.stringify(res.body.errors)).toEqual([code]);
  if (argument) expect(res.body.errors![0].extensions?.argument).toBe(argument);
  expect(res.body.data ?? null).toBeNull();
  expect(await snapshot()).toEqual(before);
}

/** Halle's SSA cells of one school year as `as` sees them: school type → [value, status], or undefined when absent. */
async function ssaYear(period: string, as?: string): Promise<Record<string, [number | null, string]> | undefined> {
  const d = await t.data(
    `query($p: String!) { series(indicatorCodes: ["${SSA}"], regionCodes: ["15002"], from: $p, to: $p, breakdown: { dimension: SCHOOL_TYPE }) { breakdown { code } periods values statuses } }`,
    { p: period },
    as,
  );
  const present = d.series.filter((s: any) => s.periods.length > 0);
  if (present.length === 0) return undefined;
  return Object.fromEntries(present.map((s: any) => [s.breakdown.code, [s.values[0], s.statuses[0]]]));
}

/** The stored state of Halle's 2024/25 cells, read as the table owner, by school type. */
async function ssaDraftRows() {
  const rows: Array<{ code: string }> = await t.database.db.query(
    `SELECT o.breakdown_code AS code, o.release_state AS state, o.released_at AS "releasedAt", o.released_by AS "releasedBy", o.suppressed
     FROM observation o JOIN indicator i ON i.id = o.indicator_id WHERE i.code = $1 AND o.period = '2024/25'`,
    [SSA],
  );
  return rows.sort((a, b) => (a.code < b.code ? -1 : 1));
}

describe('releaseData: refusals write nothing', () => {
  const input = (change: Record<string, unknown>) => ({ input: { ...SSA_2024, ...change } });
  it.each([
    ['the public', undefined, {}, 'UNAUTHENTICATED', undefined],
    ['a viewer role', 'boerde-viewer', { indicatorCode: 'K15083-VHS', regionCodes: ['15083'], from: '2024', to: '2024' }, 'FORBIDDEN', undefined],
    ['an unknown indicator', 'halle-editor', { indicatorCode: 'K99999-NOPE' }, 'BAD_USER_INPUT', 'indicatorCode'],
    ['an unknown region', 'halle-editor', { regionCodes: ['15002', '99999'] }, 'BAD_USER_INPUT', 'regionCodes'],
    ['no region', 'halle-editor', { regionCodes: [] }, 'BAD_USER_INPUT', 'regionCodes'],
    ['a malformed period', 'halle-editor', { from: '2024/26' }, 'BAD_USER_INPUT', 'from'],
    ['a malformed end', 'halle-editor', { to: '24/25' }, 'BAD_USER_INPUT', 'to'],
    ['from after to', 'halle-editor', { from: '2024/25', to: '2020/21' }, 'BAD_USER_INPUT', 'from'],
    ['a blank reason', 'halle-editor', { reason: '  \n ' }, 'BAD_USER_INPUT', 'reason'],
    ['an effectiveAt in the past', 'halle-editor', { effectiveAt: '2020-01-01T00:00:00Z' }, 'BAD_USER_INPUT', 'effectiveAt'],
    ['nothing to release: already released', 'halle-editor', { from: '2020/21', to: '2023/24' }, 'BAD_USER_INPUT', 'input'],
    ["nothing to release: another organization's draft", 'halle-editor', { indicatorCode: 'K15083-VHS', regionCodes: ['15083'], from: '2024', to: '2024' }, 'BAD_USER_INPUT', 'input'],
    ['nothing to release: official figures', 'statistik-editor', { indicatorCode: 'C1', regionCodes: ['15', '15084'], from: '2012', to: '2024' }, 'BAD_USER_INPUT', 'input'],
  ])('%s → %s', async (_name, as, change, code, argument) => {
    await expectRefused(RELEASE, input(change), as, code, argument);
  });
});

describe('release now, list, withdraw', () => {
  let releaseId: number;

  it('releases the draft at once: others see it with the stored pattern, the owner sees every value', async () => {
    expect(await ssaYear('2024/25', 'magdeburg-viewer')).toBeUndefined();
    const started = Date.now();
    const { releaseData: r } = await t.data(RELEASE, { input: SSA_2024 }, 'halle-editor');
    releaseId = r.id;
    expect(r).toMatchObject({
      cells: 7,
      releasedBy: 'demo:halle-editor',
      reason: SSA_2024.reason,
      periodFrom: '2024-08-01',
      periodTo: '2025-07-31',
      withdrawnAt: null,
      indicator: { code: SSA },
      regions: [{ code: '15002' }],
    });
    expect(Date.parse(r.effectiveAt)).toBeGreaterThanOrEqual(started - 1000);
    expect(Date.parse(r.effectiveAt)).toBeLessThanOrEqual(Date.now() + 1000);

    // 2 of 8 Gymnasien: hidden, and one more school type so that the total does not give it away.
    const seen = (await ssaYear('2024/25', 'magdeburg-viewer'))!;
    expect(Object.keys(seen).sort()).toEqual(SCHOOL_TYPES);
    expect(seen.GYM).toEqual([null, 'Q']);
    expect(Object.values(seen).filter(([, status]) => status === 'Q')).toHaveLength(2);
    expect(seen._T).toEqual([expect.any(Number), 'A']);
    const owner = (await ssaYear('2024/25', 'halle-editor'))!;
    expect(owner.GYM).toEqual([25, 'A']);
    expect(Object.values(owner).every(([value, status]) => value !== null && status === 'A')).toBe(true);
    // The public does not see a PARTNERS indicator at all.
    expect(await ssaYear('2024/25')).toBeUndefined();

    const rows = await ssaDraftRows();
    expect(rows.every((row: any) => row.state === 'RELEASED' && row.releasedBy === 'demo:halle-editor' && row.releasedAt.getTime() === Date.parse(r.effectiveAt))).toBe(true);
    expect(rows.filter((row: any) => row.suppressed).map((row: any) => row.code)).toContain('GYM');
  });

  it("lists the organization's releases newest first, for any role of it; others and the public get none of them", async () => {
    const q = `query($code: String) { releases(indicatorCode: $code) { id cells effectiveAt releasedBy reason withdrawnAt indicator { code } } }`;
    const halle = await t.data(q, { code: SSA }, 'halle-admin');
    expect(halle.releases.map((r: any) => r.id)).toEqual([releaseId, 13, 10, 7, 3]);
    expect(halle.releases[0]).toMatchObject({ cells: 7, releasedBy: 'demo:halle-editor', reason: SSA_2024.reason, withdrawnAt: null });
    expect(halle.releases.every((r: any) => r.indicator.code === SSA)).toBe(true);
    const boerde = await t.data(q, {}, 'boerde-viewer');
    expect(boerde.releases.map((r: any) => r.id)).toEqual([12, 9, 6, 2]);
    expect(boerde.releases.map((r: any) => r.indicator.code)).toEqual(['K15083-VHS', 'K15083-VHS', 'K15083-VHS', 'K15083-VHS']);
    expect((await t.data(q, { code: SSA }, 'magdeburg-viewer')).releases).toEqual([]);
    expect((await t.data(q, {}, 'land-admin')).releases).toEqual([]);
    expect((await t.data(q, {})).releases).toEqual([]);
    expect((await t.data(`{ releases(first: 2) { id } }`, {}, 'halle-editor')).releases.map((r: any) => r.id)).toEqual([releaseId, 13]);
    const bad = await t.gql(`{ releases(indicatorCode: "NOPE") { id } }`, {}, 'halle-editor');
    expect(bad.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const page = await t.gql(`{ releases(first: 0) { id } }`, {}, 'halle-editor');
    expect(page.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a withdrawal by the public, by other organizations (NOT_FOUND), by a viewer role (FORBIDDEN) and without a reason', async () => {
    const reason = 'Meldung fehlerhaft';
    await expectRefused(WITHDRAW, { id: releaseId, reason }, undefined, 'UNAUTHENTICATED');
    await expectRefused(WITHDRAW, { id: releaseId, reason }, 'magdeburg-viewer', 'NOT_FOUND');
    await expectRefused(WITHDRAW, { id: releaseId, reason }, 'burgenlandkreis-editor', 'NOT_FOUND');
    await expectRefused(WITHDRAW, { id: releaseId, reason }, 'land-admin', 'NOT_FOUND');
    await expectRefused(WITHDRAW, { id: 9999, reason }, 'halle-editor', 'NOT_FOUND');
    await expectRefused(WITHDRAW, { id: 12, reason }, 'boerde-viewer', 'FORBIDDEN');
    await expectRefused(WITHDRAW, { id: 12, reason }, 'halle-admin', 'NOT_FOUND');
    await expectRefused(WITHDRAW, { id: releaseId, reason: ' ' }, 'halle-editor', 'BAD_USER_INPUT', 'reason');
  });

  it('withdraws: the cells become drafts again, the pattern is cleared, a second withdrawal is CONFLICT', async () => {
    const { withdrawRelease: w } = await t.data(WITHDRAW, { id: releaseId, reason: 'Zahl der Gymnasien falsch gemeldet' }, 'halle-admin');
    expect(w).toMatchObject({ id: releaseId, cells: 7, withdrawnBy: 'demo:halle-admin', withdrawReason: 'Zahl der Gymnasien falsch gemeldet' });
    expect(w.withdrawnAt).not.toBeNull();
    expect(await ssaYear('2024/25', 'magdeburg-viewer')).toBeUndefined();
    expect(Object.keys((await ssaYear('2024/25', 'halle-editor'))!)).toHaveLength(7);
    expect(await ssaDraftRows()).toEqual(SCHOOL_TYPES.map((code) => ({ code, state: 'DRAFT', releasedAt: null, releasedBy: null, suppressed: false })));
    await expectRefused(WITHDRAW, { id: releaseId, reason: 'noch einmal' }, 'halle-editor', 'CONFLICT');
  });

  it('withdraws a seeded release: exactly the cells it released', async () => {
    expect(Object.keys((await ssaYear('2023/24', 'magdeburg-viewer'))!)).toHaveLength(7);
    await t.data(WITHDRAW, { id: 13, reason: 'Nachmeldung einer Förderschule' }, 'halle-editor');
    expect(await ssaYear('2023/24', 'magdeburg-viewer')).toBeUndefined();
    expect(Object.keys((await ssaYear('2022/23', 'magdeburg-viewer'))!)).toHaveLength(7);
    const [{ drafts }] = await t.database.db.query(
      `SELECT count(*)::int AS drafts FROM observation o JOIN indicator i ON i.id = o.indicator_id WHERE i.code = $1 AND o.release_state = 'DRAFT'`,
      [SSA],
    );
    expect(drafts).toBe(14);
  });
});

describe('release with an embargo', () => {
  it('keeps the cells from others until effectiveAt, then shows them', async () => {
    const effectiveAt = new Date(Date.now() + 3000).toISOString();
    const { releaseData: r } = await t.data(RELEASE, { input: { ...SSA_2024, effectiveAt } }, 'halle-editor');
    expect(r.cells).toBe(7);
    expect(r.effectiveAt).toBe(effectiveAt);
    expect(Date.parse(r.effectiveAt)).toBeGreaterThan(Date.parse(r.releasedAt));
    expect(await ssaYear('2024/25', 'magdeburg-viewer')).toBeUndefined();
    const owner = await t.data(`{ series(indicatorCodes: ["${SSA}"], regionCodes: ["15002"], from: "2024/25") { points { period releaseState } } }`, {}, 'halle-editor');
    expect(owner.series[0].points).toEqual([{ period: '2024/25', releaseState: 'RELEASED' }]);

    while (Date.now() < Date.parse(effectiveAt) + 200) await new Promise((resolve) => setTimeout(resolve, 250));
    const seen = (await ssaYear('2024/25', 'magdeburg-viewer'))!;
    expect(Object.keys(seen).sort()).toEqual(SCHOOL_TYPES);
    expect(seen.GYM).toEqual([null, 'Q']);
  });

  it('refuses a second release of the indicator at the same instant (CONFLICT): withdrawal could not tell them apart', async () => {
    const effectiveAt = new Date(Date.now() + 3_600_000).toISOString();
    const kita = { indicatorCode: 'K15084-KITA', from: '2025', to: '2025', effectiveAt, reason: 'Bedarfsplan 2025 beschlossen' };
    const { releaseData: first } = await t.data(RELEASE, { input: { ...kita, regionCodes: ['15084'] } }, 'burgenlandkreis-editor');
    expect(first.cells).toBe(1);
    await expectRefused(RELEASE, { input: { ...kita, regionCodes: ['15084355'] } }, 'burgenlandkreis-editor', 'CONFLICT');
    const { releaseData: second } = await t.data(RELEASE, { input: { ...kita, regionCodes: ['15084355'], effectiveAt: new Date(Date.parse(effectiveAt) + 1000).toISOString() } }, 'burgenlandkreis-editor');
    expect(second.cells).toBe(1);
  });
});

describe('official figures', () => {
  it('keep the status their source gave them: no release or recomputation ever flags a source-cleared cell', async () => {
    const [row] = await t.database.db.query(
      `SELECT count(*) FILTER (WHERE suppressed)::int AS flagged, count(*) FILTER (WHERE status = 'Q')::int AS confidential FROM observation WHERE source_cleared`,
    );
    expect(row.flagged).toBe(0);
    expect(row.confidential).toBeGreaterThan(100);
  });
});
