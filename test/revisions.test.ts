import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionVersionJoin } from '../src/modules/indicators/indicator.service';
import { startTestHub, type TestHub } from './support/hub';

/*
 * Revisions, read side (issue 5 item 4): `asOf` on series and exports, the cell's `version`,
 * definition versions and the series break `B`.
 *
 * Versions are written two ways: through the upload pipeline's mutation `importObservations`
 * (issue 5 items 1–3), and — where a test needs versions at chosen instants in the past — as the
 * table owner, exactly as the data model says a revision does (close the current row with
 * `superseded_at`, add `version + 1` recorded at the same instant, status R / symbol r).
 *
 * Demo facts used (seeds/demo-data.ts): C1 is a public official indicator recorded and released
 * at 2025-06-30; K15083-VHS (Börde, PUBLIC) 2023 was recorded 2024-02-10 and released with an
 * embargo until 2024-04-15T06:00Z; K15084-KITA (Burgenlandkreis, OWNER; the Land sees it through
 * agreement 2 on area C) 2022 was recorded 2022-03-02, released 03-10, withdrawn 03-14 and
 * released again 03-24; G2 changes its definition (population basis Zensus 2022) from 2022.
 */
let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

const owner = (sql: string, params?: unknown[]) => t.database.db.query(sql, params);

/**
 * Revises the current row of a cell as the data model says: closes it at `at` and adds version + 1
 * recorded at `at`. A percentage's numerator follows the new value (value × denominator / 100).
 */
async function revise(id: number, at: string, change: { value: number | null; status?: string; symbol?: string; releaseState?: 'DRAFT' | 'RELEASED' }): Promise<number> {
  const [row] = await owner(
    `WITH old AS (UPDATE observation SET superseded_at = $2::timestamptz WHERE id = $1 AND superseded_at IS NULL RETURNING *)
     INSERT INTO observation (indicator_id, region_id, period, period_start, breakdown_dimension, breakdown_code, value, numerator, denominator,
       status, symbol, owner_org_id, release_state, released_at, released_by, version, definition_version, recorded_at, source_note, source_cleared, uploaded_by)
     SELECT indicator_id, region_id, period, period_start, breakdown_dimension, breakdown_code, $3::float8, CASE WHEN denominator IS NULL THEN numerator ELSE round($3::float8 * denominator / 100) END, denominator,
       $4, $5, owner_org_id, $6::text, CASE WHEN $6::text = 'RELEASED' THEN $2::timestamptz END, CASE WHEN $6::text = 'RELEASED' THEN 'test' END,
       version + 1, definition_version, $2::timestamptz, source_note, source_cleared, 'test'
     FROM old RETURNING id`,
    [id, at, change.value, change.status ?? 'R', change.symbol ?? 'r', change.releaseState ?? 'RELEASED'],
  );
  expect(row, `cell ${id} has a current row`).toBeDefined();
  return row.id;
}

async function currentId(indicator: string, region: string, period: string, code = '_T'): Promise<number> {
  const [row] = await owner(
    `SELECT o.id FROM observation o JOIN indicator i ON i.id = o.indicator_id JOIN region r ON r.id = o.region_id
     WHERE i.code = $1 AND r.code = $2 AND o.period = $3 AND o.breakdown_code = $4 AND o.superseded_at IS NULL`,
    [indicator, region, period, code],
  );
  return row.id;
}

const POINTS = `query($codes: [String!]!, $regions: [String!]!, $from: String, $to: String, $asOf: DateTimeISO) {
  series(indicatorCodes: $codes, regionCodes: $regions, from: $from, to: $to, asOf: $asOf) {
    indicator { code } region { code } periods statuses
    points { period value status symbol version definitionVersion recordedAt releaseState }
  }
}`;

async function points(codes: string[], regions: string[], opts: { from?: string; to?: string; asOf?: string } = {}, as?: string) {
  const d = await t.data(POINTS, { codes, regions, ...opts }, as);
  return d.series as Array<{ indicator: { code: string }; region: { code: string }; periods: string[]; statuses: string[]; points: Array<Record<string, any>> }>;
}

async function plainCsv(query: string, as?: string): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${t.baseUrl}/export/series.csv?format=plain&${query}`, { headers: as ? { authorization: `Bearer ${t.tokens[as]}` } : {} });
  expect(res.status, await res.clone().text()).toBe(200);
  return parse(await res.text(), { columns: true });
}

describe('asOf across three versions of a cell', () => {
  // C1 Burgenlandkreis 2023: version 1 from the seed (2025-06-30), two revisions after it.
  const T2 = '2025-09-01T08:00:00.000Z';
  const T3 = '2026-01-15T08:00:00.000Z';
  let v1: { value: number; recordedAt: string };
  /** The Land's C1 2023 computed from its Kreise before the revisions. */
  let computedBefore: number;
  const LAND_AGGREGATE = `query($asOf: DateTimeISO) { aggregate(indicatorCodes: ["C1"], regionCodes: ["15"], from: "2023", to: "2023", asOf: $asOf) { points { computedValue } } }`;

  beforeAll(async () => {
    computedBefore = (await t.data(LAND_AGGREGATE, {}, 'statistik-editor')).aggregate[0].points[0].computedValue;
    expect(computedBefore).toBeGreaterThan(0);
    const [first] = (await points(['C1'], ['15084'], { from: '2023', to: '2023' }))[0].points;
    v1 = { value: first.value, recordedAt: first.recordedAt };
    expect(first).toMatchObject({ version: 1, status: 'A', symbol: '' });
    const id1 = await currentId('C1', '15084', '2023');
    const id2 = await revise(id1, T2, { value: 61.2 });
    await revise(id2, T3, { value: 61.7 });
  });

  it('each instant gets the version known then, in GraphQL', async () => {
    const at = async (asOf?: string) => (await points(['C1'], ['15084'], { from: '2023', to: '2023', asOf }))[0].points;
    expect(await at('2025-01-01T00:00:00Z')).toEqual([]); // before any data: an empty series
    expect(await at('2025-07-01T00:00:00Z')).toEqual([expect.objectContaining({ value: v1.value, version: 1, status: 'A', symbol: '', recordedAt: v1.recordedAt })]);
    expect(await at('2025-10-01T00:00:00+02:00')).toEqual([expect.objectContaining({ value: 61.2, version: 2, status: 'R', symbol: 'r', recordedAt: T2 })]);
    // The instant of a revision already shows it (recorded_at <= T < superseded_at).
    expect(await at(T2)).toEqual([expect.objectContaining({ value: 61.2, version: 2 })]);
    expect(await at('2026-02-01T00:00:00Z')).toEqual([expect.objectContaining({ value: 61.7, version: 3, recordedAt: T3 })]);
    expect(await at()).toEqual([expect.objectContaining({ value: 61.7, version: 3 })]);
    // Not in the past: the current values.
    expect(await at('2099-01-01T00:00:00Z')).toEqual([expect.objectContaining({ value: 61.7, version: 3 })]);
  });

  it('each instant gets the version known then, in the CSV export with its version column', async () => {
    const row = async (asOf?: string) => {
      const rows = await plainCsv(`indicatorCodes=C1&regionCodes=15084&from=2023&to=2023${asOf ? `&asOf=${encodeURIComponent(asOf)}` : ''}`);
      return rows.map((r) => ({ value: r.value, status: r.status, symbol: r.symbol, version: r.version }));
    };
    expect(await row('2025-01-01T00:00:00Z')).toEqual([]);
    expect(await row('2025-07-01T00:00:00Z')).toEqual([{ value: String(v1.value), status: 'A', symbol: '', version: '1' }]);
    expect(await row('2025-10-01T00:00:00Z')).toEqual([{ value: '61.2', status: 'R', symbol: 'r', version: '2' }]);
    expect(await row('2026-02-01T00:00:00Z')).toEqual([{ value: '61.7', status: 'R', symbol: 'r', version: '3' }]);
    expect(await row()).toEqual([{ value: '61.7', status: 'R', symbol: 'r', version: '3' }]);

    // format=de: the same version column, and the instant in the notes.
    const res = await fetch(`${t.baseUrl}/export/series.csv?indicatorCodes=C1&regionCodes=15084&from=2023&to=2023&asOf=2025-10-01T00:00:00Z`);
    const text = await res.text();
    const rows: Array<Record<string, string>> = parse(text, { columns: true, delimiter: ';', bom: true, comment: '#', comment_no_infix: true });
    expect(rows.map((r) => [r.Wert, r.version])).toEqual([['61,2 r', '2']]);
    expect(text).toContain('# Stand: 2025-10-01T00:00:00.000Z');
  });

  it('asOf reaches nested series, aggregates and the JSON-stat export alike', async () => {
    const d = await t.data(`{ region(code: "15084") { series(indicatorCodes: ["C1"], from: "2023", to: "2023", asOf: "2025-10-01T00:00:00Z") { values } } }`);
    expect(d.region.series[0].values).toEqual([61.2]);
    // A comparison reads the other periods and regions as of the same instant: 2024's change is
    // taken from version 2 of 2023 then, from version 3 now.
    const COMPARE = `query($asOf: DateTimeISO) { series(indicatorCodes: ["C1"], regionCodes: ["15084"], from: "2024", to: "2024", asOf: $asOf) { values comparison(periods: 1) { changeFrom change } } }`;
    const then = (await t.data(COMPARE, { asOf: '2025-10-01T00:00:00Z' })).series[0];
    const now = (await t.data(COMPARE)).series[0];
    expect(then.comparison.changeFrom).toBe('2023');
    expect(then.comparison.change).toBeCloseTo(then.values[0] - 61.2, 5);
    expect(now.comparison.change).toBeCloseTo(now.values[0] - 61.7, 5);
    // The Land computed from its Kreise: as of before the revisions, the figure it had then.
    // (Computed from numerators and denominators: read as the owner of the official figures.)
    expect((await t.data(LAND_AGGREGATE, { asOf: '2025-07-01T00:00:00Z' }, 'statistik-editor')).aggregate[0].points[0].computedValue).toBe(computedBefore);
    expect((await t.data(LAND_AGGREGATE, {}, 'statistik-editor')).aggregate[0].points[0].computedValue).not.toBe(computedBefore);
    const json = await (await fetch(`${t.baseUrl}/export/series.json?indicatorCodes=C1&regionCodes=15084&from=2023&to=2023&asOf=2025-10-01T00:00:00Z`)).json();
    expect(json.value).toEqual([61.2]);
    expect(json.extension.version).toEqual({ 0: 2 });
    expect(json.extension.asOf).toBe('2025-10-01T00:00:00.000Z');
  });
});

describe('asOf across three versions written through the upload mutation', () => {
  it('each instant between the uploads reads the version known then, in GraphQL and the CSV export; a stale version is refused', async () => {
    // Kita places of Freyburg (Unstrut), a town of the Burgenlandkreis, in 2024, released; the owner revises it twice.
    const IMPORT = `mutation($input: ImportObservationsInput!) { importObservations(input: $input) { status revised errors { code column } } }`;
    const FREYBURG = '15084135';
    const read = async (asOf?: string, as = 'burgenlandkreis-editor') => (await points(['K15084-KITA'], [FREYBURG], { from: '2024', to: '2024', asOf }, as))[0].points;
    const [v1] = await read();
    expect(v1).toMatchObject({ version: 1, releaseState: 'RELEASED' });
    const instants = [new Date().toISOString()];
    for (const [value, version] of [
      [v1.value + 5, 1],
      [v1.value + 10, 2],
    ]) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const rows = [{ indicator: 'K15084-KITA', region: FREYBURG, period: '2024', value, version }];
      const { importObservations: r } = await t.data(IMPORT, { input: { rows, release: true, releaseReason: 'Nachmeldung eines Trägers' } }, 'burgenlandkreis-editor');
      expect(r).toEqual({ status: 'COMMITTED', revised: 1, errors: [] });
      instants.push(new Date().toISOString());
    }
    expect((await read(instants[0])).map((p) => [p.value, p.version])).toEqual([[v1.value, 1]]);
    expect((await read(instants[1])).map((p) => [p.value, p.version, p.status, p.symbol])).toEqual([[v1.value + 5, 2, 'R', 'r']]);
    expect((await read(instants[2])).map((p) => [p.value, p.version])).toEqual([[v1.value + 10, 3]]);
    // The Land (agreement 2 on area C) reads the same versions in the export.
    for (const [i, version] of [
      [0, '1'],
      [1, '2'],
      [2, '3'],
    ] as const) {
      const rows = await plainCsv(`indicatorCodes=K15084-KITA&regionCodes=${FREYBURG}&from=2024&to=2024&asOf=${encodeURIComponent(instants[i])}`, 'land-analyst');
      expect(rows.map((r) => r.version)).toEqual([version]);
    }
    // An edit based on version 2 (e.g. of the export read as of instants[1]) is refused now.
    const stale = await t.data(IMPORT, { input: { rows: [{ indicator: 'K15084-KITA', region: FREYBURG, period: '2024', value: 1, version: 2 }], release: true } }, 'burgenlandkreis-editor');
    expect(stale.importObservations).toMatchObject({ status: 'REJECTED', errors: [{ code: 'CONFLICT', column: 'version' }] });
    expect((await read()).map((p) => p.version)).toEqual([3]);
  });
});

describe('asOf shows nobody more than today`s rules allow', () => {
  it('a cell released by others only after the instant is not shown then; its owner sees its draft', async () => {
    // VHS 2023: recorded 2024-02-10, released with an embargo until 2024-04-15T06:00Z.
    const vhs = async (asOf: string, as?: string) => (await points(['K15083-VHS'], ['15083'], { from: '2023', to: '2023', asOf }, as))[0].points;
    expect(await vhs('2024-03-01T00:00:00Z')).toEqual([]);
    expect(await vhs('2024-03-01T00:00:00Z', 'magdeburg-viewer')).toEqual([]);
    expect(await vhs('2024-03-01T00:00:00Z', 'boerde-viewer')).toEqual([expect.objectContaining({ version: 1, releaseState: 'RELEASED' })]);
    expect(await vhs('2024-04-15T06:00:00Z')).toEqual([expect.objectContaining({ version: 1 })]);
    expect(await vhs('2024-02-01T00:00:00Z', 'boerde-viewer')).toEqual([]); // not yet recorded
  });

  it('a withdrawn release does not resurface: the Land sees the Kita places of 2022 only from their standing release', async () => {
    // Released 2022-03-10, withdrawn 03-14, released again 03-24 (the cells carry the standing release).
    const kita = async (asOf: string, as: string) => (await points(['K15084-KITA'], ['15084'], { from: '2022', to: '2022', asOf }, as))[0].points;
    expect(await kita('2022-03-12T00:00:00Z', 'land-analyst')).toEqual([]);
    expect(await kita('2022-03-25T00:00:00Z', 'land-analyst')).toEqual([expect.objectContaining({ version: 1 })]);
    expect(await kita('2022-03-12T00:00:00Z', 'burgenlandkreis-editor')).toEqual([expect.objectContaining({ version: 1 })]);
  });

  it('a release withdrawn after a revision is withdrawn for the earlier version it released too', async () => {
    // SSA 2024/25 is Halle's draft: Halle releases it, then revises the released cell, then
    // withdraws the release. What others saw in between must not come back in an as-of read.
    const RELEASE = `mutation($input: ReleaseDataInput!) { releaseData(input: $input) { id } }`;
    const WITHDRAW = `mutation($id: Int!) { withdrawRelease(id: $id, reason: "Falsche Schulzahl gemeldet") { withdrawnAt } }`;
    const input = { indicatorCode: 'K15002-SSA', regionCodes: ['15002'], from: '2024/25', to: '2024/25', reason: 'Schuljahr 2024/25 abgestimmt' };
    const { releaseData } = await t.data(RELEASE, { input }, 'halle-editor');
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const v1 = await currentId('K15002-SSA', '15002', '2024/25');
    await revise(v1, new Date().toISOString(), { value: 50 });
    const ssa = async (asOf?: string) => (await points(['K15002-SSA'], ['15002'], { from: '2024/25', to: '2024/25', asOf }, 'boerde-viewer'))[0].points;
    expect(await ssa(between)).toEqual([expect.objectContaining({ version: 1 })]);
    await t.data(WITHDRAW, { id: releaseData.id }, 'halle-editor');
    expect(await ssa(between)).toEqual([]);
    expect(await ssa()).toEqual([expect.objectContaining({ value: 50, version: 2 })]); // the revision was not released by it
    expect((await owner('SELECT release_state FROM observation WHERE id = $1', [v1]))[0].release_state).toBe('DRAFT');
  });

  it("another organization's draft revision stays hidden, in the past and now; the released version before it stays as it was", async () => {
    // SSA 2023/24 (Halle, PARTNERS): released 2023-10-01; Halle drafts a revision.
    const id = await currentId('K15002-SSA', '15002', '2023/24');
    const [before] = (await points(['K15002-SSA'], ['15002'], { from: '2023/24', to: '2023/24' }, 'boerde-viewer'))[0].points;
    await revise(id, '2026-03-01T00:00:00Z', { value: 99.9, status: 'A', symbol: '', releaseState: 'DRAFT' });
    const ssa = async (as: string, asOf?: string) => (await points(['K15002-SSA'], ['15002'], { from: '2023/24', to: '2023/24', asOf }, as))[0].points;
    for (const as of ['boerde-viewer', 'land-analyst']) {
      expect(await ssa(as)).toEqual([]); // the current version is Halle's draft
      expect(await ssa(as, '2026-06-01T00:00:00Z')).toEqual([]);
      expect(await ssa(as, '2026-02-01T00:00:00Z')).toEqual([expect.objectContaining({ value: before.value, version: 1 })]);
    }
    expect(await ssa('halle-editor')).toEqual([expect.objectContaining({ value: 99.9, version: 2, releaseState: 'DRAFT' })]);
    expect(await ssa('halle-editor', '2026-02-01T00:00:00Z')).toEqual([expect.objectContaining({ value: before.value, version: 1 })]);
  });

  it('restricted fields of an earlier version stay restricted, and its stored suppression stays applied', async () => {
    // A Börde Gemeinde's VHS count that the stored pattern hides from the public.
    const [hidden] = await owner(
      `SELECT o.id, r.code AS region, o.period FROM observation o JOIN indicator i ON i.id = o.indicator_id JOIN region r ON r.id = o.region_id
       WHERE i.code = 'K15083-VHS' AND o.suppressed AND o.release_state = 'RELEASED' AND o.breakdown_code = '_T' AND o.superseded_at IS NULL
       ORDER BY o.id LIMIT 1`,
    );
    expect(hidden).toBeDefined();
    await revise(hidden.id, '2026-04-01T00:00:00Z', { value: 40 });
    const q = `query($asOf: DateTimeISO) { series(indicatorCodes: ["K15083-VHS"], regionCodes: ["${hidden.region}"], from: "${hidden.period}", to: "${hidden.period}", asOf: $asOf) {
      points { value status symbol confidential version numerator internalNote } } }`;
    const before = await t.gql(q, { asOf: '2026-03-01T00:00:00Z' });
    expect(before.body.data.series[0].points).toEqual([{ value: null, status: 'Q', symbol: '.', confidential: true, version: 1, numerator: null, internalNote: null }]);
    expect(before.body.errors!.map((e) => [e.path!.at(-1), e.extensions!.code]).sort()).toEqual([
      ['internalNote', 'FORBIDDEN'],
      ['numerator', 'FORBIDDEN'],
    ]);
    // Its owner sees the true value of the same version.
    const mine = await t.gql(q, { asOf: '2026-03-01T00:00:00Z' }, 'boerde-viewer');
    expect(mine.body.data.series[0].points[0]).toMatchObject({ status: 'A', version: 1 });
    expect(mine.body.data.series[0].points[0].value).not.toBeNull();
  });
});

describe('series breaks (status B) and definition versions', () => {
  it('marks the first G2 cell on the Zensus 2022 basis with B, keeping its value, whatever the window', async () => {
    const [kreis, land] = await points(['G2'], ['15084', '15'], { from: '2020', to: '2024' });
    for (const s of [kreis, land]) {
      expect(s.periods.slice(0, 4)).toEqual(['2020', '2021', '2022', '2023']);
      expect(s.points.map((p) => p.definitionVersion).slice(0, 4)).toEqual([1, 1, 2, 2]);
      expect(s.statuses.slice(0, 4)).toEqual(['A', 'A', 'B', 'A']);
      expect(s.points[2].value).toBeGreaterThan(0);
      expect(s.points[2].status).toBe('B');
    }
    // A window that starts at the break still marks it; Germany's G2 (2013 only) has no break.
    const [fromBreak] = await points(['G2'], ['15084'], { from: '2022' });
    expect(fromBreak.statuses[0]).toBe('B');
    const [germany] = await points(['G2'], ['DG']);
    expect([germany.periods, germany.statuses]).toEqual([['2013'], ['A']]);
    // Before the change was known to the data (asOf before the cells were recorded): no cells, no break.
    expect((await points(['G2'], ['15084'], { from: '2022', asOf: '2025-01-01T00:00:00Z' }))[0].points).toEqual([]);
  });

  it('shows the break in the exports: status B in CSV plain and XLSX, a note in CSV de, status in JSON-stat', async () => {
    const rows = await plainCsv('indicatorCodes=G2&regionCodes=15084&from=2021&to=2023');
    expect(rows.map((r) => [r.period, r.status, r.version])).toEqual([
      ['2021', 'A', '1'],
      ['2022', 'B', '1'],
      ['2023', 'A', '1'],
    ]);
    const de = await (await fetch(`${t.baseUrl}/export/series.csv?indicatorCodes=G2&regionCodes=15084,15&from=2021&to=2023`)).text();
    const notes = de.split('\r\n').filter((l) => l.startsWith('# Zeitreihenbruch'));
    expect(notes).toEqual([expect.stringMatching(/^# Zeitreihenbruch G2 ab 2022: Definition Version 2, Bevölkerungsbasis Zensus 2022 – Unterrichtsstunden/)]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await (await fetch(`${t.baseUrl}/export/series.xlsx?indicatorCodes=G2&regionCodes=15084&from=2021&to=2023`)).arrayBuffer());
    const sheet: unknown[][] = [];
    workbook.getWorksheet('Daten')!.eachRow((row) => sheet.push((row.values as unknown[]).slice(1)));
    const [header, ...data] = sheet;
    const column = (name: string) => data.map((r) => r[header.indexOf(name)]);
    expect([column('Zeitraum'), column('Status'), column('version')]).toEqual([
      ['2021', '2022', '2023'],
      ['A', 'B', 'A'],
      [1, 1, 1],
    ]);
    const json = await (await fetch(`${t.baseUrl}/export/series.json?indicatorCodes=G2&regionCodes=15084&from=2021&to=2023`)).json();
    expect(Object.values(json.status)).toEqual(['A', 'B', 'A']);
    expect(json.note.some((n: string) => n.startsWith('Zeitreihenbruch G2 ab 2022'))).toBe(true);
  });

  it('lists the definition history; a catalogue change adds a version, and the next new cell starts a break', async () => {
    const HISTORY = `query($code: String!) { indicator(code: $code) { version definition definitionHistory { version definition populationBasis validFrom changedAt changedBy } } }`;
    const g2 = await t.gql(HISTORY, { code: 'G2' }, 'statistik-editor');
    expect(g2.body.errors).toBeUndefined();
    expect(g2.body.data.indicator.definitionHistory).toEqual([
      expect.objectContaining({ version: 1, populationBasis: 'Zensus 2011', validFrom: null, changedBy: 'seed' }),
      expect.objectContaining({ version: 2, populationBasis: 'Zensus 2022', validFrom: '2022-01-01', definition: g2.body.data.indicator.definition }),
    ]);

    const UPDATE = `mutation($code: String!, $input: UpdateIndicatorInput!) { updateIndicator(code: $code, input: $input) { version } }`;
    const changed = await t.data(
      UPDATE,
      { code: 'C2', input: { definition: 'Kinder von 3 bis unter 6 Jahren in Kitas / Kinder der Altersgruppe x100, Bevölkerung auf Basis des Zensus 2022', populationBasis: 'Zensus 2022', definitionValidFrom: '2025' } },
      'land-admin',
    );
    expect(changed.updateIndicator.version).toBe(2);
    const c2 = await t.data(HISTORY, { code: 'C2' }, 'land-admin');
    expect(c2.indicator.definitionHistory).toEqual([
      expect.objectContaining({ version: 1, populationBasis: null, validFrom: null, changedBy: 'seed' }),
      expect.objectContaining({ version: 2, populationBasis: 'Zensus 2022', validFrom: '2025-01-01', changedBy: 'demo:land-admin' }),
    ]);
    // changedBy is for the owner (the statistical office) and the Land's admins, not for a viewer of the ministry or a Kommune.
    expect((await t.data(HISTORY, { code: 'C2' }, 'statistik-editor')).indicator.definitionHistory[1].changedBy).toBe('demo:land-admin');
    for (const as of ['land-analyst', 'halle-admin', undefined]) {
      const denied = await t.gql(HISTORY, { code: 'C2' }, as);
      expect(denied.body.data.indicator.definitionHistory.map((d: any) => d.changedBy)).toEqual([null, null]);
      expect(denied.body.errors!.map((e) => [e.path!.join('.'), e.extensions!.code]).sort()).toEqual([
        ['indicator.definitionHistory.0.changedBy', 'FORBIDDEN'],
        ['indicator.definitionHistory.1.changedBy', 'FORBIDDEN'],
      ]);
    }

    // A new cell of 2025, written with the definition version its period falls under.
    await owner(
      `INSERT INTO observation (indicator_id, region_id, period, period_start, value, numerator, denominator, status, symbol, owner_org_id,
         release_state, released_at, released_by, definition_version, source_cleared)
       SELECT i.id, r.id, '2025', '2025-01-01', 95.1, 951, 1000, 'A', '', i.owner_org_id, 'RELEASED', now(), 'test', coalesce(dv.version, i.version), true
       FROM indicator i ${definitionVersionJoin('dv', 'i.id', `'2025-01-01'::date`)}, region r WHERE i.code = 'C2' AND r.code = '15084'`,
    );
    const [s] = await points(['C2'], ['15084'], { from: '2023' });
    expect(s.periods).toEqual(['2023', '2024', '2025']);
    expect(s.points.map((p) => [p.definitionVersion, p.status])).toEqual([
      [1, 'A'],
      [1, 'P'],
      [2, 'B'],
    ]);
  });
});

describe('bad input', () => {
  const reads = async () => (await owner('SELECT count(*)::int AS n FROM agreement_read'))[0].n;

  it('a malformed asOf is BAD_USER_INPUT in GraphQL, and nothing is read or logged', async () => {
    for (const asOf of ['yesterday', '2025-13-01T00:00:00Z', '2025-06-30', '2025-06-30T25:00:00Z']) {
      const before = await reads();
      const res = await t.gql(POINTS, { codes: ['K15002-SSA'], regions: ['15002'], asOf }, 'land-analyst');
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors!.map((e) => e.extensions!.code)).toEqual(['BAD_USER_INPUT']);
      expect(await reads()).toBe(before);
    }
    // Written into the query text, the same value fails validation before anything runs.
    const inline = await t.gql(`{ series(indicatorCodes: ["C1"], regionCodes: ["15"], asOf: "yesterday") { values } }`);
    expect(inline.body.errors!.map((e) => e.extensions!.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('a malformed or repeated asOf is a 400 BAD_USER_INPUT naming it in every export format, and nothing is logged', async () => {
    for (const file of ['series.csv', 'series.json', 'series.xlsx']) {
      for (const asOf of ['asOf=yesterday', 'asOf=2025-06-30', 'asOf=2025-06-30T00:00:00Z&asOf=2025-07-01T00:00:00Z']) {
        const before = await reads();
        const res = await fetch(`${t.baseUrl}/export/${file}?indicatorCodes=K15002-SSA&regionCodes=15002&${asOf}`, { headers: { authorization: `Bearer ${t.tokens['land-analyst']}` } });
        expect(res.status).toBe(400);
        const body = await res.json();
        expect(body.errors.map((e: any) => [e.extensions.code, e.extensions.argument])).toEqual([['BAD_USER_INPUT', 'asOf']]);
        expect(await reads()).toBe(before);
      }
    }
  });

  it('a bad definitionValidFrom is BAD_USER_INPUT and writes nothing', async () => {
    const UPDATE = `mutation($input: UpdateIndicatorInput!) { updateIndicator(code: "C3", input: $input) { version } }`;
    const state = async () => owner(`SELECT i.version, i.definition, (SELECT count(*)::int FROM indicator_definition d WHERE d.indicator_id = i.id) AS n FROM indicator i WHERE code = 'C3'`);
    const before = await state();
    for (const input of [
      { definition: 'Neu', definitionValidFrom: '2025/2026' },
      { name: 'Ganztagsbetreuungsquote', definitionValidFrom: '2025' }, // no new definition
      { populationBasis: '  ' },
    ]) {
      const res = await t.failure(UPDATE, { input }, 'land-admin');
      expect(res.error.extensions!.code).toBe('BAD_USER_INPUT');
      expect(await state()).toEqual(before);
    }
    // Not before the current version's first period.
    await t.data(UPDATE, { input: { populationBasis: 'Zensus 2022', definitionValidFrom: '2022' } }, 'land-admin');
    const after = await state();
    const res = await t.failure(UPDATE, { input: { populationBasis: 'Zensus 2022 (berichtigt)', definitionValidFrom: '2021' } }, 'land-admin');
    expect([res.error.extensions!.code, res.error.extensions!.argument]).toEqual(['BAD_USER_INPUT', 'input.definitionValidFrom']);
    expect(await state()).toEqual(after);
  });
});
