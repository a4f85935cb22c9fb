import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';

// Data-sharing agreements (Datenbereitstellung, DESIGN §3, issue 3 item 4), end to end through the
// HTTP server with the demo identities. Organizations of the demo (DESIGN §5):
const HALLE = 'bildungsbuero-15002';
const LAND = 'ministerium-15';
const MAGDEBURG = 'bildungsbuero-15003';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

/** Runs a request that must fail with exactly one error; returns it. */
const failure = async (query: string, variables: Record<string, unknown> | undefined, as: string | undefined) => (await t.failure(query, variables, as)).error;

const AGREEMENT = `id state detail purpose legalBasis validFrom validTo effectiveNow proposedBy proposedAt decidedBy decidedAt decisionReason
  revokedBy revokedAt revokeReason provider { code } recipient { code } proposedByOrganization { code }
  scope { indicators { code } areas { code } regions { code } levels breakdowns }`;
const PROPOSE = `mutation($input: ProposeAgreementInput!) { proposeAgreement(input: $input) { ${AGREEMENT} } }`;
const APPROVE = `mutation($id: Int!, $reason: String) { approveAgreement(id: $id, reason: $reason) { ${AGREEMENT} } }`;
const REJECT = `mutation($id: Int!, $reason: String!) { rejectAgreement(id: $id, reason: $reason) { ${AGREEMENT} } }`;
const REVOKE = `mutation($id: Int!, $reason: String!) { revokeAgreement(id: $id, reason: $reason) { ${AGREEMENT} } }`;
const ONE = `query($id: Int!) { agreement(id: $id) { id state } }`;
const LIST = `query($as: AgreementParty, $state: AgreementState) { agreements(as: $as, state: $state) { id state } }`;
const READS = `query($id: Int!, $first: Int) { agreementReads(agreementId: $id, first: $first) { subject organization { code } readAt indicators { code } regions { code } cells purpose } }`;

/** A valid proposal from Halle (provider) to the Land (recipient); `over` replaces fields. */
const proposal = (over: Record<string, unknown> = {}) => ({
  providerCode: HALLE,
  recipientCode: LAND,
  indicatorCodes: ['C1'],
  regionCodes: ['15002'],
  levels: ['KREIS'],
  breakdowns: ['SEX'],
  detail: 'COUNTS',
  purpose: 'Bildungsbericht Sachsen-Anhalt 2025',
  legalBasis: '§ 3 Kooperationsvereinbarung Kommunales Bildungsmanagement',
  validFrom: '2024-01-01',
  ...over,
});

async function propose(as: string, over: Record<string, unknown> = {}): Promise<any> {
  return (await t.data(PROPOSE, { input: proposal(over) }, as)).proposeAgreement;
}

/** Ids of the agreements `as` lists on the given side (a fresh request). */
async function listed(as: string | undefined, variables: Record<string, unknown> = {}): Promise<number[]> {
  return (await t.data(LIST, variables, as)).agreements.map((a: any) => a.id);
}

/** Rows in the table, counted by the owner outside any request (sees every party). */
async function tableCount(): Promise<number> {
  const [{ n }] = await t.database.db.query(`SELECT count(*)::int AS n FROM data_sharing_agreement`);
  return n;
}

describe('agreement life cycle', () => {
  it('is proposed by one side, refused to the recipient and to strangers, approved by the provider admin, listed by both parties', async () => {
    const proposed = await propose('halle-editor');
    expect(proposed).toMatchObject({
      state: 'PROPOSED',
      detail: 'COUNTS',
      purpose: 'Bildungsbericht Sachsen-Anhalt 2025',
      validFrom: '2024-01-01',
      validTo: null,
      effectiveNow: false,
      proposedBy: 'demo:halle-editor',
      decidedBy: null,
      decidedAt: null,
      provider: { code: HALLE },
      recipient: { code: LAND },
      proposedByOrganization: { code: HALLE },
      scope: { indicators: [{ code: 'C1' }], areas: null, regions: [{ code: '15002' }], levels: ['KREIS'], breakdowns: ['SEX'] },
    });
    expect(Date.parse(proposed.proposedAt)).toBeGreaterThan(Date.now() - 60_000);
    const id = proposed.id;

    // The recipient's admin sees it but may not approve it: the data is Halle's.
    expect((await failure(APPROVE, { id }, 'land-admin')).extensions?.code).toBe('FORBIDDEN');
    expect((await failure(REJECT, { id, reason: 'nein' }, 'land-admin')).extensions?.code).toBe('FORBIDDEN');
    // The provider's editor may propose, not decide.
    expect((await failure(APPROVE, { id }, 'halle-editor')).extensions?.code).toBe('FORBIDDEN');
    // A third organization and the public cannot tell it exists.
    expect((await t.data(ONE, { id }, 'magdeburg-viewer')).agreement).toBeNull();
    expect(await listed('magdeburg-viewer')).not.toContain(id);
    expect((await failure(APPROVE, { id }, 'magdeburg-viewer')).extensions?.code).toBe('NOT_FOUND');
    expect((await failure(REVOKE, { id, reason: 'x' }, 'magdeburg-viewer')).extensions?.code).toBe('NOT_FOUND');
    expect((await failure(APPROVE, { id }, 'burgenlandkreis-editor')).extensions?.code).toBe('NOT_FOUND');
    expect((await t.data(ONE, { id })).agreement).toBeNull();
    expect(await listed(undefined)).toEqual([]);
    expect((await t.data(ONE, { id }, 'land-analyst')).agreement).toEqual({ id, state: 'PROPOSED' });

    const approved = (await t.data(APPROVE, { id, reason: 'passt' }, 'halle-admin')).approveAgreement;
    expect(approved).toMatchObject({ id, state: 'ACTIVE', effectiveNow: true, decidedBy: 'demo:halle-admin', decisionReason: 'passt' });
    expect(Date.parse(approved.decidedAt)).toBeGreaterThan(Date.now() - 60_000);

    // Both parties list it, each on its side, and filter by state.
    expect(await listed('halle-admin')).toContain(id);
    expect(await listed('halle-editor', { as: 'PROVIDER', state: 'ACTIVE' })).toContain(id);
    expect(await listed('halle-editor', { as: 'RECIPIENT' })).not.toContain(id);
    expect(await listed('land-analyst', { as: 'RECIPIENT' })).toContain(id);
    expect(await listed('land-analyst', { as: 'PROVIDER' })).not.toContain(id);
    expect(await listed('land-analyst', { state: 'PROPOSED' })).not.toContain(id);
    expect(await listed('magdeburg-viewer')).not.toContain(id);
    expect((await t.data(ONE, { id }, 'magdeburg-viewer')).agreement).toBeNull();
    expect((await t.data(ONE, { id }, 'land-analyst')).agreement).toEqual({ id, state: 'ACTIVE' });

    // Decided once: a second decision is a conflict, and nothing changed.
    expect((await failure(APPROVE, { id }, 'halle-admin')).extensions?.code).toBe('CONFLICT');
    expect((await failure(REJECT, { id, reason: 'doch nicht' }, 'halle-admin')).extensions?.code).toBe('CONFLICT');
    expect((await t.data(ONE, { id }, 'halle-admin')).agreement).toEqual({ id, state: 'ACTIVE' });
  });

  it('lets the recipient propose; the provider rejects with a reason; a rejected agreement is final', async () => {
    const { id, proposedBy, proposedByOrganization } = await propose('land-admin', { areaCodes: ['D'], indicatorCodes: null, regionCodes: null, levels: null, breakdowns: null });
    expect({ proposedBy, proposedByOrganization }).toEqual({ proposedBy: 'demo:land-admin', proposedByOrganization: { code: LAND } });
    expect((await failure(REJECT, { id, reason: '   ' }, 'halle-admin')).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    expect((await t.data(ONE, { id }, 'halle-admin')).agreement.state).toBe('PROPOSED');

    const rejected = (await t.data(REJECT, { id, reason: 'Zweck zu unbestimmt' }, 'halle-admin')).rejectAgreement;
    expect(rejected).toMatchObject({ state: 'REJECTED', decidedBy: 'demo:halle-admin', decisionReason: 'Zweck zu unbestimmt', effectiveNow: false });
    expect(rejected.scope).toEqual({ indicators: null, areas: [{ code: 'D' }], regions: null, levels: null, breakdowns: null });
    for (const [mutation, as] of [[APPROVE, 'halle-admin'], [REJECT, 'halle-admin'], [REVOKE, 'halle-admin'], [REVOKE, 'land-admin']] as const) {
      expect((await failure(mutation, { id, reason: 'nochmal' }, as)).extensions?.code).toBe('CONFLICT');
    }
    expect((await t.data(ONE, { id }, 'land-admin')).agreement.state).toBe('REJECTED');
  });

  it('is revoked by an admin of either side, with a reason, from PROPOSED or ACTIVE only', async () => {
    // A proposal withdrawn by the recipient's admin.
    const a = await propose('halle-editor');
    expect((await failure(REVOKE, { id: a.id, reason: 'x' }, 'halle-editor')).extensions?.code).toBe('FORBIDDEN');
    expect((await failure(REVOKE, { id: a.id, reason: '' }, 'land-admin')).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    expect((await t.data(ONE, { id: a.id }, 'land-admin')).agreement.state).toBe('PROPOSED');
    const revoked = (await t.data(REVOKE, { id: a.id, reason: 'nicht mehr benötigt' }, 'land-admin')).revokeAgreement;
    expect(revoked).toMatchObject({ state: 'REVOKED', revokedBy: 'demo:land-admin', revokeReason: 'nicht mehr benötigt', decidedBy: null, effectiveNow: false });
    expect(Date.parse(revoked.revokedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await failure(REVOKE, { id: a.id, reason: 'nochmal' }, 'halle-admin')).extensions?.code).toBe('CONFLICT');
    expect((await failure(APPROVE, { id: a.id }, 'halle-admin')).extensions?.code).toBe('CONFLICT');

    // An active agreement revoked by the provider's admin.
    const b = await propose('halle-editor');
    expect((await t.data(APPROVE, { id: b.id, reason: '  ' }, 'halle-admin')).approveAgreement).toMatchObject({ state: 'ACTIVE', decisionReason: null });
    expect((await t.data(REVOKE, { id: b.id, reason: 'Vereinbarung gekündigt' }, 'halle-admin')).revokeAgreement).toMatchObject({ state: 'REVOKED', revokedBy: 'demo:halle-admin', decidedBy: 'demo:halle-admin' });
    expect(await listed('land-analyst', { state: 'REVOKED' })).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(await listed('land-analyst', { state: 'ACTIVE' })).not.toContain(b.id);
  });
});

describe('bad proposals', () => {
  /** Proposes `over` as `as`; expects one error with `code` (and `extensions`), and no row written. */
  async function refused(as: string | undefined, over: Record<string, unknown>, code: string, extensions: Record<string, unknown> = {}) {
    const [tableBefore, halleBefore, blkBefore] = [await tableCount(), await listed('halle-admin'), await listed('burgenlandkreis-editor')];
    const error = await failure(PROPOSE, { input: proposal(over) }, as);
    expect(error.extensions).toMatchObject({ code, ...extensions });
    expect(await listed('halle-admin')).toEqual(halleBefore);
    expect(await listed('burgenlandkreis-editor')).toEqual(blkBefore);
    expect(await tableCount()).toBe(tableBefore);
  }

  it('names unknown codes', async () => {
    await refused('halle-editor', { indicatorCodes: ['C1', 'X99', 'Y1'] }, 'BAD_USER_INPUT', { argument: 'indicatorCodes', unknownCodes: ['X99', 'Y1'] });
    await refused('halle-editor', { areaCodes: ['Q'] }, 'BAD_USER_INPUT', { argument: 'areaCodes', unknownCodes: ['Q'] });
    await refused('halle-editor', { regionCodes: ['15002', '99999'] }, 'BAD_USER_INPUT', { argument: 'regionCodes', unknownCodes: ['99999'] });
    await refused('halle-editor', { recipientCode: 'ministerium-99' }, 'BAD_USER_INPUT', { argument: 'recipientCode', unknownCodes: ['ministerium-99'] });
    await refused('land-admin', { providerCode: 'bildungsbuero-99999' }, 'BAD_USER_INPUT', { argument: 'providerCode', unknownCodes: ['bildungsbuero-99999'] });
  });

  it('refuses an incomplete or contradictory scope, purpose, legal basis or validity', async () => {
    await refused('halle-editor', { recipientCode: HALLE }, 'BAD_USER_INPUT', { argument: 'recipientCode' });
    await refused('halle-editor', { indicatorCodes: null, areaCodes: null }, 'BAD_USER_INPUT', { argument: 'indicatorCodes' });
    await refused('halle-editor', { indicatorCodes: [] }, 'BAD_USER_INPUT', { argument: 'indicatorCodes' });
    await refused('halle-editor', { levels: [] }, 'BAD_USER_INPUT', { argument: 'levels' });
    await refused('halle-editor', { purpose: '  ' }, 'BAD_USER_INPUT', { argument: 'purpose' });
    await refused('halle-editor', { legalBasis: '' }, 'BAD_USER_INPUT', { argument: 'legalBasis' });
    await refused('halle-editor', { validFrom: '2025-01-01', validTo: '2024-12-31' }, 'BAD_USER_INPUT', { argument: 'validFrom' });
    await refused('halle-editor', { validFrom: null, validTo: '2020-12-31' }, 'BAD_USER_INPUT', { argument: 'validTo' });
    await refused('halle-editor', { validFrom: '2025-02-30' }, 'BAD_USER_INPUT');
    await refused('halle-editor', { detail: 'EVERYTHING' }, 'BAD_USER_INPUT');
  });

  it('needs a login, an editor or admin, and your own organization as one of the parties', async () => {
    await refused(undefined, {}, 'UNAUTHENTICATED');
    await refused('land-analyst', {}, 'FORBIDDEN');
    await refused('boerde-viewer', { providerCode: 'bildungsbuero-15083' }, 'FORBIDDEN');
    await refused('halle-editor', { providerCode: 'bildungsbuero-15084', recipientCode: 'bildungsbuero-15083' }, 'FORBIDDEN');
    await refused('halle-editor', { providerCode: MAGDEBURG }, 'FORBIDDEN');
  });

  it('pages the read log within 1…200', async () => {
    const { id } = await propose('halle-editor');
    // A small selection, so that the argument check, not the query cost limit, is what answers.
    const cheap = `query($id: Int!, $first: Int) { agreementReads(agreementId: $id, first: $first) { cells } }`;
    for (const first of [0, 201]) expect((await failure(cheap, { id, first }, 'halle-admin')).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    expect((await t.data(READS, { id, first: 200 }, 'halle-admin')).agreementReads).toEqual([]);
  });
});

describe('an active agreement opens data, at query time', () => {
  const SERIES = `query($from: String) { series(indicatorCodes: ["TST1"], regionCodes: ["15002"], from: $from) { points { period value status symbol numerator agreementId } } }`;
  let halleId: number;

  /** The points of TST1 in Halle as `as` sees them, with the errors of the response. */
  async function points(as: string | undefined, from?: string) {
    const res = await t.gql(SERIES, { from }, as);
    return { points: res.body.data!.series[0].points as any[], errors: res.body.errors ?? [] };
  }

  beforeAll(async () => {
    const db = t.database.db;
    [{ id: halleId }] = await db.query(`SELECT id FROM organization WHERE code = $1`, [HALLE]);
    // An area no agreement between Halle and the Land names (the demo data may bring some), so
    // that only the agreements of this test can open the new indicator.
    const [{ code: area }] = await db.query(
      `SELECT e.code FROM education_area e
       WHERE NOT EXISTS (SELECT 1 FROM data_sharing_agreement a JOIN organization r ON r.id = a.recipient_org_id
                         WHERE a.provider_org_id = $1 AND r.code = $2 AND e.code = ANY(a.area_codes))
       ORDER BY e.code LIMIT 1`,
      [halleId, LAND],
    );
    const [{ id: indicatorId }] = await db.query(
      `INSERT INTO indicator (code, name, name_en, definition, unit, decimals, area_code, period_type, aggregation, levels, source, owner_org_id, visibility)
       VALUES ('TST1', 'Testquote Halle', 'Test rate Halle', 'Anteil der Testfälle an allen Fällen', '%', 1, $1, 'YEAR', 'RATIO', '{KREIS}', 'Bildungsbüro Halle', $2, 'OWNER')
       RETURNING id`,
      [area, halleId],
    );
    const [{ id: regionId }] = await db.query(`SELECT id FROM region WHERE code = '15002' AND valid_to IS NULL`);
    // Released cells owned by Halle; 2021 holds a small count, suppressed for audiences without counts.
    await db.query(
      `INSERT INTO observation (indicator_id, region_id, period, period_start, value, numerator, denominator, owner_org_id, release_state, released_at, released_by, suppressed)
       SELECT $1, $2, p, (p || '-01-01')::date, v, n, d, $3, 'RELEASED', now() - interval '1 day', 'demo:halle-editor', s
       FROM unnest(ARRAY['2021', '2022', '2023'], ARRAY[2.0, 12.5, 15.0], ARRAY[2.0, 25.0, 30.0], ARRAY[100.0, 200.0, 200.0], ARRAY[true, false, false]) AS c(p, v, n, d, s)`,
      [indicatorId, regionId, halleId],
    );
  });

  it('is absent to the Land before the agreement, present with COUNTS after approval, absent after revocation', async () => {
    expect((await points('halle-editor')).points.map((p) => [p.period, p.value, p.numerator, p.agreementId])).toEqual([
      ['2021', 2, 2, null],
      ['2022', 12.5, 25, null],
      ['2023', 15, 30, null],
    ]);
    expect((await points('land-analyst')).points).toEqual([]);

    const { id } = await propose('halle-editor', { indicatorCodes: ['TST1'], breakdowns: null, purpose: 'Kita-Monitoring des Landes' });
    expect((await points('land-analyst')).points).toEqual([]);
    await t.data(APPROVE, { id }, 'halle-admin');

    await points('land-analyst', '2023'); // an earlier, smaller read: one cell
    const opened = await points('land-analyst');
    expect(opened.errors).toEqual([]);
    expect(opened.points).toEqual([
      { period: '2021', value: 2, status: 'A', symbol: '', numerator: 2, agreementId: id },
      { period: '2022', value: 12.5, status: 'A', symbol: '', numerator: 25, agreementId: id },
      { period: '2023', value: 15, status: 'A', symbol: '', numerator: 30, agreementId: id },
    ]);
    // Only the recipient: other organizations and the public still see nothing.
    expect((await points('magdeburg-viewer')).points).toEqual([]);
    expect((await points('burgenlandkreis-editor')).points).toEqual([]);
    expect((await points(undefined)).points).toEqual([]);

    // The provider sees who read what for which purpose, newest first; the recipient may not list it.
    const reads = (await t.data(READS, { id }, 'halle-admin')).agreementReads;
    expect(reads.map((r: any) => ({ ...r, readAt: typeof r.readAt }))).toEqual([
      { subject: 'demo:land-analyst', organization: { code: LAND }, readAt: 'string', indicators: [{ code: 'TST1' }], regions: [{ code: '15002' }], cells: 3, purpose: 'Kita-Monitoring des Landes' },
      { subject: 'demo:land-analyst', organization: { code: LAND }, readAt: 'string', indicators: [{ code: 'TST1' }], regions: [{ code: '15002' }], cells: 1, purpose: 'Kita-Monitoring des Landes' },
    ]);
    expect(Date.parse(reads[0].readAt)).toBeGreaterThanOrEqual(Date.parse(reads[1].readAt));
    expect((await t.data(READS, { id, first: 1 }, 'halle-editor')).agreementReads.map((r: any) => r.cells)).toEqual([3]);
    expect((await failure(READS, { id }, 'land-admin')).extensions?.code).toBe('FORBIDDEN');
    expect((await failure(READS, { id }, 'land-analyst')).extensions?.code).toBe('FORBIDDEN');
    expect((await failure(READS, { id }, 'magdeburg-viewer')).extensions?.code).toBe('NOT_FOUND');
    expect((await failure(READS, { id }, undefined)).extensions?.code).toBe('NOT_FOUND');
    expect((await failure(READS, { id: 999_999 }, 'halle-admin')).extensions?.code).toBe('NOT_FOUND');

    await t.data(REVOKE, { id, reason: 'Monitoring beendet' }, 'land-admin');
    expect((await points('land-analyst')).points).toEqual([]);
    // Reads that opened nothing are not logged.
    expect((await t.data(READS, { id }, 'halle-admin')).agreementReads).toHaveLength(2);
  });

  it('with RATES_DISCLOSURE_CONTROLLED keeps small counts suppressed and numerators FORBIDDEN', async () => {
    const { id } = await propose('land-admin', { indicatorCodes: ['TST1'], breakdowns: null, detail: 'RATES_DISCLOSURE_CONTROLLED' });
    await t.data(APPROVE, { id }, 'halle-admin');
    const { points: seen, errors } = await points('land-analyst');
    expect(seen).toEqual([
      { period: '2021', value: null, status: 'Q', symbol: '.', numerator: null, agreementId: id },
      { period: '2022', value: 12.5, status: 'A', symbol: '', numerator: null, agreementId: id },
      { period: '2023', value: 15, status: 'A', symbol: '', numerator: null, agreementId: id },
    ]);
    expect(errors.map((e: any) => [e.extensions.code, e.path.join('.')])).toEqual([0, 1, 2].map((i) => ['FORBIDDEN', `series.0.points.${i}.numerator`]));
    await t.data(REVOKE, { id, reason: 'ersetzt' }, 'halle-admin');
    expect((await points('land-analyst')).points).toEqual([]);
  });

  it('opens nothing outside its validity, with AGGREGATES_ONLY, or outside its regions', async () => {
    const expired = await propose('halle-editor', { indicatorCodes: ['TST1'], breakdowns: null, validFrom: '2020-01-01', validTo: '2020-12-31' });
    const future = await propose('halle-editor', { indicatorCodes: ['TST1'], breakdowns: null, validFrom: '2999-01-01' });
    const aggregates = await propose('halle-editor', { indicatorCodes: ['TST1'], breakdowns: null, detail: 'AGGREGATES_ONLY' });
    const elsewhere = await propose('halle-editor', { indicatorCodes: ['TST1'], breakdowns: null, regionCodes: ['15084'] });
    for (const { id } of [expired, future, aggregates, elsewhere]) {
      expect((await t.data(APPROVE, { id }, 'halle-admin')).approveAgreement.state).toBe('ACTIVE');
    }
    const effective = (await t.data(`{ agreements(as: RECIPIENT, state: ACTIVE) { id effectiveNow } }`, {}, 'land-analyst')).agreements;
    expect(effective).toEqual(expect.arrayContaining([
      { id: expired.id, effectiveNow: false },
      { id: future.id, effectiveNow: false },
      { id: aggregates.id, effectiveNow: true },
      { id: elsewhere.id, effectiveNow: true },
    ]));
    expect((await points('land-analyst')).points).toEqual([]);
    for (const { id } of [expired, future, aggregates, elsewhere]) expect((await t.data(READS, { id }, 'halle-admin')).agreementReads).toEqual([]);
  });
});
