import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';

// Organizations and the indicator catalogue (issue 3 item 2): Land admins manage both; a Kommune's
// admins define the indicators their own organization owns; an indicator's visibility is its
// owner's to set. End to end through the HTTP server with the demo identities (DESIGN §5).

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

/** Runs a request that must fail with exactly one error and no data; returns the error. */
async function failure(query: string, variables: Record<string, unknown>, as: string | undefined) {
  const res = await t.failure(query, variables, as);
  expect(res.body.data ?? null).toBeNull();
  return res.error;
}

/** Every row of a table, read by the owner outside any request: what "nothing was written" compares. */
async function rows(table: 'organization' | 'indicator'): Promise<unknown[]> {
  return t.database.db.query(`SELECT * FROM ${table} ORDER BY id`);
}

/** Runs a refused request and checks its error code and that the table is as it was. */
async function refused(table: 'organization' | 'indicator', query: string, variables: Record<string, unknown>, as: string | undefined, code: string) {
  const before = await rows(table);
  const error = await failure(query, variables, as);
  expect(error.extensions?.code, JSON.stringify(error)).toBe(code);
  expect(await rows(table)).toEqual(before);
  return error;
}

const ORG_FIELDS = `code name kind region { code level }`;
const CREATE_ORG = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { ${ORG_FIELDS} } }`;

const INDICATOR_FIELDS = `code name nameEn definition unit decimals area { code } periodType referenceDay aggregation weightIndicator { code }
  levels breakdowns validMin validMax source owner { code } visibility version`;
const CREATE_INDICATOR = `mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { ${INDICATOR_FIELDS} } }`;
const UPDATE_INDICATOR = `mutation($code: String!, $input: UpdateIndicatorInput!) { updateIndicator(code: $code, input: $input) { ${INDICATOR_FIELDS} } }`;
const ONE_INDICATOR = `query($code: String!) { indicator(code: $code) { ${INDICATOR_FIELDS} } }`;

/** A valid new indicator (a Kommune's own figure); `over` replaces fields. */
const indicator = (code: string, over: Record<string, unknown> = {}) => ({
  code,
  name: 'Kita-Plätze laut Bedarfsplanung',
  nameEn: 'Day-care places in the demand plan',
  definition: 'Genehmigte Plätze in Kindertageseinrichtungen laut Kita-Bedarfsplanung am 01.03.',
  unit: 'persons',
  decimals: 0,
  areaCode: 'C',
  periodType: 'YEAR',
  referenceDay: '01.03.',
  aggregation: 'SUM',
  levels: ['KREIS', 'GEMEINDE'],
  validMin: 0,
  source: 'Jugendamt, Kita-Bedarfsplanung',
  ...over,
});

describe('createOrganization', () => {
  const newOrg = { code: 'landesschulamt-15', name: 'Landesschulamt Sachsen-Anhalt', kind: 'LAND', regionCode: '15' };

  it('lets a Land admin create an organization, which is listed from then on', async () => {
    const created = (await t.data(CREATE_ORG, { input: newOrg }, 'land-admin')).createOrganization;
    expect(created).toEqual({ code: 'landesschulamt-15', name: 'Landesschulamt Sachsen-Anhalt', kind: 'LAND', region: { code: '15', level: 'LAND' } });
    const listed = (await t.data(`{ organizations { code } }`)).organizations.map((o: any) => o.code);
    expect(listed).toContain('landesschulamt-15');

    // A Kommune's organization at Gemeinde level, name trimmed.
    const gemeinde = (await t.data(CREATE_ORG, { input: { code: 'bildungsbuero-15084590', name: '  Bildungsbüro Zeitz ', kind: 'KOMMUNE', regionCode: '15084590' } }, 'land-admin'))
      .createOrganization;
    expect(gemeinde).toEqual({ code: 'bildungsbuero-15084590', name: 'Bildungsbüro Zeitz', kind: 'KOMMUNE', region: { code: '15084590', level: 'GEMEINDE' } });
  });

  it('refuses everyone but Land admins, and writes nothing', async () => {
    const input = { ...newOrg, code: 'refused-org' };
    await refused('organization', CREATE_ORG, { input }, 'halle-admin', 'FORBIDDEN');
    await refused('organization', CREATE_ORG, { input }, 'land-analyst', 'FORBIDDEN');
    await refused('organization', CREATE_ORG, { input }, 'statistik-editor', 'FORBIDDEN');
    await refused('organization', CREATE_ORG, { input }, 'demo-report-key', 'FORBIDDEN');
    await refused('organization', CREATE_ORG, { input }, undefined, 'UNAUTHENTICATED');
  });

  it('refuses bad input with BAD_USER_INPUT naming the argument, and writes nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ code: 'Landesschulamt' }, 'input.code'],
      [{ code: 'ab' }, 'input.code'],
      [{ code: 'schulamt 15' }, 'input.code'],
      [{ name: '   ' }, 'input.name'],
      [{ regionCode: '99999' }, 'input.regionCode'],
      // a Kommune belongs to a Kreis or Gemeinde, a Land body to the Land
      [{ kind: 'KOMMUNE', regionCode: '15' }, 'input.regionCode'],
      [{ kind: 'LAND', regionCode: '15084' }, 'input.regionCode'],
      [{ kind: 'FEDERAL', regionCode: '15' }, 'input.regionCode'],
    ];
    for (const [over, argument] of cases) {
      const error = await refused('organization', CREATE_ORG, { input: { ...newOrg, code: 'valid-but-refused', ...over } }, 'land-admin', 'BAD_USER_INPUT');
      expect(error.extensions?.argument, JSON.stringify(over)).toBe(argument);
    }
    const unknown = await refused('organization', CREATE_ORG, { input: { ...newOrg, code: 'valid-but-refused', regionCode: '99999' } }, 'land-admin', 'BAD_USER_INPUT');
    expect(unknown.extensions?.unknownCodes).toEqual(['99999']);
  });

  it('answers CONFLICT for a code in use, and changes nothing', async () => {
    await refused('organization', CREATE_ORG, { input: { ...newOrg, code: 'statistik-15', name: 'Another name' } }, 'land-admin', 'CONFLICT');
  });
});

describe('createIndicator', () => {
  it('lets a Land admin add an indicator for any owner; visibility defaults to the owner only', async () => {
    const official = (await t.data(CREATE_INDICATOR, { input: indicator('C7', { ownerCode: 'statistik-15', visibility: 'PUBLIC' }) }, 'land-admin')).createIndicator;
    expect(official).toEqual({
      code: 'C7',
      name: 'Kita-Plätze laut Bedarfsplanung',
      nameEn: 'Day-care places in the demand plan',
      definition: 'Genehmigte Plätze in Kindertageseinrichtungen laut Kita-Bedarfsplanung am 01.03.',
      unit: 'persons',
      decimals: 0,
      area: { code: 'C' },
      periodType: 'YEAR',
      referenceDay: '01.03.',
      aggregation: 'SUM',
      weightIndicator: null,
      levels: ['KREIS', 'GEMEINDE'],
      breakdowns: [],
      validMin: 0,
      validMax: null,
      source: 'Jugendamt, Kita-Bedarfsplanung',
      owner: { code: 'statistik-15' },
      visibility: 'PUBLIC',
      version: 1,
    });
    expect((await t.data(ONE_INDICATOR, { code: 'C7' })).indicator).toEqual(official);

    // Without ownerCode: the admin's own organization; without visibility: OWNER.
    const own = (await t.data(CREATE_INDICATOR, { input: indicator('A9', { areaCode: 'A' }) }, 'land-admin')).createIndicator;
    expect(own).toMatchObject({ owner: { code: 'ministerium-15' }, visibility: 'OWNER', area: { code: 'A' } });

    // For a Kommune as owner, the Land may define the entry but not open the Kommune's data.
    const forHalle = (await t.data(CREATE_INDICATOR, { input: indicator('K15002_A', { ownerCode: 'bildungsbuero-15002' }) }, 'land-admin')).createIndicator;
    expect(forHalle).toMatchObject({ owner: { code: 'bildungsbuero-15002' }, visibility: 'OWNER' });
    await refused('indicator', CREATE_INDICATOR, { input: indicator('K15002_B', { ownerCode: 'bildungsbuero-15002', visibility: 'PARTNERS' }) }, 'land-admin', 'FORBIDDEN');
  });

  it("lets a Kommune's admin add indicators its own organization owns, and nothing else", async () => {
    const created = (await t.data(CREATE_INDICATOR, { input: indicator('K15002_KITA', { visibility: 'PARTNERS', breakdowns: ['AGE_GROUP', 'AGE_GROUP'] }) }, 'halle-admin')).createIndicator;
    expect(created).toMatchObject({ code: 'K15002_KITA', owner: { code: 'bildungsbuero-15002' }, visibility: 'PARTNERS', breakdowns: ['AGE_GROUP'], version: 1 });
    const named = (await t.data(CREATE_INDICATOR, { input: indicator('K15002_VHS', { ownerCode: 'bildungsbuero-15002', areaCode: 'G', visibility: 'PUBLIC' }) }, 'halle-admin'))
      .createIndicator;
    expect(named).toMatchObject({ owner: { code: 'bildungsbuero-15002' }, area: { code: 'G' }, visibility: 'PUBLIC' });

    await refused('indicator', CREATE_INDICATOR, { input: indicator('K15002_X', { ownerCode: 'statistik-15' }) }, 'halle-admin', 'FORBIDDEN');
    await refused('indicator', CREATE_INDICATOR, { input: indicator('K15002_X', { ownerCode: 'bildungsbuero-15003' }) }, 'halle-admin', 'FORBIDDEN');
  });

  it('refuses editors, viewers, API keys and the public, and writes nothing', async () => {
    const input = indicator('K15002_Y');
    await refused('indicator', CREATE_INDICATOR, { input }, 'halle-editor', 'FORBIDDEN');
    await refused('indicator', CREATE_INDICATOR, { input }, 'statistik-editor', 'FORBIDDEN');
    await refused('indicator', CREATE_INDICATOR, { input }, 'land-analyst', 'FORBIDDEN');
    await refused('indicator', CREATE_INDICATOR, { input }, 'demo-report-key', 'FORBIDDEN');
    await refused('indicator', CREATE_INDICATOR, { input }, undefined, 'UNAUTHENTICATED');
  });

  it('refuses bad input with BAD_USER_INPUT naming the argument (and unknown codes), and writes nothing', async () => {
    const cases: Array<[Record<string, unknown>, string, string[]?]> = [
      [{ areaCode: 'Z' }, 'input.areaCode', ['Z']],
      [{ ownerCode: 'no-such-org' }, 'input.ownerCode', ['no-such-org']],
      [{ aggregation: 'WEIGHTED_MEAN', weightIndicatorCode: 'NOPE' }, 'input.weightIndicatorCode', ['NOPE']],
      [{ aggregation: 'WEIGHTED_MEAN' }, 'input.weightIndicatorCode'],
      [{ aggregation: 'SUM', weightIndicatorCode: 'A1' }, 'input.weightIndicatorCode'],
      [{ validMin: 10, validMax: 5 }, 'input.validMin'],
      [{ code: '1abc' }, 'input.code'],
      [{ code: 'K15002 KITA' }, 'input.code'],
      [{ code: 'K15002_TOO_LONG_CODE' }, 'input.code'],
      [{ name: '' }, 'input.name'],
      [{ definition: '  ' }, 'input.definition'],
      [{ decimals: 7 }, 'input.decimals'],
      [{ levels: [] }, 'input.levels'],
      [{ referenceDay: '1.3.' }, 'input.referenceDay'],
      [{ periodType: 'STICHTAG', referenceDay: '15.05.' }, 'input.referenceDay'],
    ];
    for (const [over, argument, unknownCodes] of cases) {
      const error = await refused('indicator', CREATE_INDICATOR, { input: indicator('K_REFUSED', over) }, 'land-admin', 'BAD_USER_INPUT');
      expect(error.extensions?.argument, JSON.stringify(over)).toBe(argument);
      if (unknownCodes) expect(error.extensions?.unknownCodes).toEqual(unknownCodes);
    }
  });

  it('takes a weight indicator with WEIGHTED_MEAN', async () => {
    const created = (await t.data(CREATE_INDICATOR, { input: indicator('B9', { areaCode: 'B', unit: '%', decimals: 1, aggregation: 'WEIGHTED_MEAN', weightIndicatorCode: 'A1', validMax: 100 }) }, 'land-admin'))
      .createIndicator;
    expect(created).toMatchObject({ aggregation: 'WEIGHTED_MEAN', weightIndicator: { code: 'A1' }, validMin: 0, validMax: 100 });
  });

  it('answers CONFLICT for a code in use, and changes nothing', async () => {
    await refused('indicator', CREATE_INDICATOR, { input: indicator('C1', { ownerCode: 'statistik-15' }) }, 'land-admin', 'CONFLICT');
  });
});

describe('updateIndicator', () => {
  it('versions the definition: a new text increments version, the same text does not', async () => {
    const before = (await t.data(ONE_INDICATOR, { code: 'C2' })).indicator;
    const changed = (await t.data(UPDATE_INDICATOR, { code: 'C2', input: { definition: 'Neue Definition ab 2025', name: 'Betreuungsquote 3 bis unter 6 Jahre' } }, 'land-admin'))
      .updateIndicator;
    expect(changed).toEqual({ ...before, definition: 'Neue Definition ab 2025', name: 'Betreuungsquote 3 bis unter 6 Jahre', version: before.version + 1 });
    const same = (await t.data(UPDATE_INDICATOR, { code: 'C2', input: { definition: 'Neue Definition ab 2025', unit: '%' } }, 'land-admin')).updateIndicator;
    expect(same.version).toBe(before.version + 1);
    const other = (await t.data(UPDATE_INDICATOR, { code: 'C2', input: { nameEn: 'Childcare rate 3 to 6', decimals: 2, source: 'Statistisches Landesamt' } }, 'land-admin'))
      .updateIndicator;
    expect(other).toMatchObject({ nameEn: 'Childcare rate 3 to 6', decimals: 2, source: 'Statistisches Landesamt', version: before.version + 1 });
    // Later reads see the committed change.
    expect((await t.data(ONE_INDICATOR, { code: 'C2' })).indicator).toEqual(other);
  });

  it('changes and removes plausibility bounds, and refuses validMin above validMax against the stored bound', async () => {
    const before = (await t.data(ONE_INDICATOR, { code: 'C3' })).indicator;
    expect(before).toMatchObject({ validMin: 0, validMax: 100 });
    await refused('indicator', UPDATE_INDICATOR, { code: 'C3', input: { validMin: 150 } }, 'land-admin', 'BAD_USER_INPUT');
    await refused('indicator', UPDATE_INDICATOR, { code: 'C3', input: { validMin: 5, validMax: 4 } }, 'land-admin', 'BAD_USER_INPUT');
    const unbounded = (await t.data(UPDATE_INDICATOR, { code: 'C3', input: { validMin: 150, validMax: null } }, 'land-admin')).updateIndicator;
    expect(unbounded).toMatchObject({ validMin: 150, validMax: null, version: before.version });
  });

  it('lets Land admins set the visibility of Land indicators, and only the owner that of a Kommune indicator', async () => {
    const c4 = (await t.data(UPDATE_INDICATOR, { code: 'C4', input: { visibility: 'PARTNERS' } }, 'land-admin')).updateIndicator;
    expect(c4.visibility).toBe('PARTNERS');

    await t.data(CREATE_INDICATOR, { input: indicator('K15002_UPD') }, 'halle-admin');
    // The Land may edit the entry of a Kommune's indicator, but not open its data.
    const renamed = (await t.data(UPDATE_INDICATOR, { code: 'K15002_UPD', input: { name: 'Kita-Plätze (Bedarfsplan)' } }, 'land-admin')).updateIndicator;
    expect(renamed).toMatchObject({ name: 'Kita-Plätze (Bedarfsplan)', visibility: 'OWNER' });
    await refused('indicator', UPDATE_INDICATOR, { code: 'K15002_UPD', input: { visibility: 'PUBLIC' } }, 'land-admin', 'FORBIDDEN');
    // Repeating the current visibility is no change of it.
    expect((await t.data(UPDATE_INDICATOR, { code: 'K15002_UPD', input: { visibility: 'OWNER', unit: 'places' } }, 'land-admin')).updateIndicator.unit).toBe('places');

    const opened = (await t.data(UPDATE_INDICATOR, { code: 'K15002_UPD', input: { visibility: 'PUBLIC' } }, 'halle-admin')).updateIndicator;
    expect(opened.visibility).toBe('PUBLIC');
  });

  it('refuses whoever may not change the entry with FORBIDDEN (the public UNAUTHENTICATED), and writes nothing', async () => {
    const input = { name: 'Refused' };
    await refused('indicator', UPDATE_INDICATOR, { code: 'C1', input }, 'halle-admin', 'FORBIDDEN');
    await refused('indicator', UPDATE_INDICATOR, { code: 'C1', input }, 'statistik-editor', 'FORBIDDEN');
    await refused('indicator', UPDATE_INDICATOR, { code: 'C1', input }, 'land-analyst', 'FORBIDDEN');
    await refused('indicator', UPDATE_INDICATOR, { code: 'C1', input }, 'demo-report-key', 'FORBIDDEN');
    await refused('indicator', UPDATE_INDICATOR, { code: 'C1', input }, undefined, 'UNAUTHENTICATED');
    await t.data(CREATE_INDICATOR, { input: indicator('K15003_OWN') }, 'land-admin');
    await refused('indicator', UPDATE_INDICATOR, { code: 'K15003_OWN', input }, 'halle-admin', 'FORBIDDEN');
  });

  it('answers NOT_FOUND for an unknown code and BAD_USER_INPUT for null, blank or empty changes, and writes nothing', async () => {
    await refused('indicator', UPDATE_INDICATOR, { code: 'NOPE', input: { name: 'x' } }, 'land-admin', 'NOT_FOUND');
    for (const input of [{}, { name: null }, { definition: ' ' }, { decimals: -1 }, { visibility: null }, { decimals: null }]) {
      await refused('indicator', UPDATE_INDICATOR, { code: 'C5', input }, 'land-admin', 'BAD_USER_INPUT');
    }
  });
});
