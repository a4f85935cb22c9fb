import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';
import { insertAgreement, insertCell, insertIndicator, type CellSpec } from './support/scenario';

/*
 * The permission matrix (issue 3, tests): every identity × every kind of data × every restricted
 * field, built with real GraphQL queries over HTTP and compared with the hand-written table in
 * permission-matrix.expected.tsv — both ways, so that over-exposure and false denial both fail.
 * The scenario is this file's own (its indicators start with PM-), so that changes of the demo
 * data cannot move the matrix.
 */

const IDENTITIES = [
  'anonymous',
  'land-admin',
  'land-analyst',
  'statistik-editor',
  'burgenlandkreis-editor',
  'boerde-viewer',
  'halle-editor',
  'halle-admin',
  'magdeburg-viewer',
  'demo-report-key',
];
const FIELDS = ['row', 'value', 'numerator', 'denominator', 'internalNote', 'uploadedBy', 'releasedBy'] as const;
type Field = (typeof FIELDS)[number];
/** Restricted fields of a point, in table order. */
const POINT_FIELDS = ['numerator', 'denominator', 'internalNote', 'uploadedBy', 'releasedBy'] as const;

const HALLE = 'bildungsbuero-15002';
const cell = (kind: string, c: Omit<CellSpec, 'internalNote' | 'uploadedBy' | 'releasedBy'>): [string, CellSpec] => [
  kind,
  { ...c, internalNote: `Notiz: ${kind}`, uploadedBy: `uploader:${kind}`, releasedBy: `releaser:${kind}` },
];
/** The data kinds of the matrix (described in the header of the .tsv). */
const DATA = new Map<string, CellSpec>([
  cell('land-official', { indicator: 'PM-LAND', region: '15', period: '2023', owner: 'statistik-15', state: 'RELEASED', value: 71.5, numerator: 143, denominator: 200, sourceCleared: true }),
  cell('land-unpublished-small', { indicator: 'PM-LAND', region: '15', period: '2022', owner: 'statistik-15', state: 'RELEASED', value: 1.5, numerator: 2, denominator: 133, suppressed: true }),
  cell('kommune-public', { indicator: 'PM-KPUB', region: '15002', period: '2023', owner: HALLE, state: 'RELEASED', value: 35, numerator: 14, denominator: 40 }),
  cell('halle-partners', { indicator: 'PM-HALLE', region: '15002', period: '2023', owner: HALLE, state: 'RELEASED', value: 25, numerator: 10, denominator: 40 }),
  cell('halle-partners-small', { indicator: 'PM-HALLE', region: '15002', period: '2022', owner: HALLE, state: 'RELEASED', value: 5, numerator: 2, denominator: 40, suppressed: true }),
  cell('halle-draft', { indicator: 'PM-HALLE', region: '15002', period: '2024', owner: HALLE, state: 'DRAFT', value: 27.5, numerator: 11, denominator: 40 }),
  cell('halle-embargoed', { indicator: 'PM-HALLE', region: '15002', period: '2021', owner: HALLE, state: 'embargoed', value: 22.5, numerator: 9, denominator: 40 }),
  cell('halle-agreement', { indicator: 'PM-HALLE-O', region: '15002', period: '2023', owner: HALLE, state: 'RELEASED', value: 60, numerator: 24, denominator: 40 }),
  cell('halle-agreement-small', { indicator: 'PM-HALLE-O', region: '15002', period: '2022', owner: HALLE, state: 'RELEASED', value: 2.5, numerator: 1, denominator: 40, suppressed: true }),
  cell('halle-agreement-draft', { indicator: 'PM-HALLE-O', region: '15002', period: '2024', owner: HALLE, state: 'DRAFT', value: 62.5, numerator: 25, denominator: 40 }),
  cell('blk-partners', { indicator: 'PM-BLK', region: '15084', period: '2023', owner: 'bildungsbuero-15084', state: 'RELEASED', value: 45, numerator: 18, denominator: 40 }),
  cell('blk-draft', { indicator: 'PM-BLK', region: '15084', period: '2024', owner: 'bildungsbuero-15084', state: 'DRAFT', value: 47.5, numerator: 19, denominator: 40 }),
  cell('boerde-draft', { indicator: 'PM-BOERDE', region: '15083', period: '2024', owner: 'bildungsbuero-15083', state: 'DRAFT', value: 12.5, numerator: 5, denominator: 40 }),
]);

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  const db = t.database.db;
  // Only this scenario's agreements may open anything: the demo's agreements could cover area G.
  await db.query(`UPDATE data_sharing_agreement SET state = 'REVOKED', revoked_at = now(), revoked_by = 'permissions.test', revoke_reason = 'test scenario' WHERE state <> 'REVOKED'`);
  await insertIndicator(db, { code: 'PM-LAND', owner: 'statistik-15', visibility: 'PUBLIC' });
  await insertIndicator(db, { code: 'PM-KPUB', owner: HALLE, visibility: 'PUBLIC' });
  await insertIndicator(db, { code: 'PM-HALLE', owner: HALLE, visibility: 'PARTNERS' });
  await insertIndicator(db, { code: 'PM-HALLE-O', owner: HALLE, visibility: 'OWNER' });
  await insertIndicator(db, { code: 'PM-BLK', owner: 'bildungsbuero-15084', visibility: 'PARTNERS' });
  await insertIndicator(db, { code: 'PM-BOERDE', owner: 'bildungsbuero-15083', visibility: 'PARTNERS' });
  for (const spec of DATA.values()) await insertCell(db, spec);
  const open = { provider: HALLE, indicators: ['PM-HALLE-O'] };
  await insertAgreement(db, { ...open, recipient: 'ministerium-15', detail: 'COUNTS' });
  await insertAgreement(db, { ...open, recipient: 'bildungsbuero-15084', detail: 'RATES_DISCLOSURE_CONTROLLED' });
  await insertAgreement(db, { ...open, recipient: 'statistik-15', detail: 'AGGREGATES_ONLY' });
  await insertAgreement(db, { ...open, recipient: 'bildungsbuero-15083', detail: 'COUNTS', validToDays: -1 });
  await insertAgreement(db, { ...open, recipient: 'bildungsbuero-15003', detail: 'COUNTS', state: 'REVOKED' });
});
afterAll(async () => {
  await t?.close();
});

type Row = Record<Field, string>;
const key = (identity: string, data: string) => `${identity} × ${data}`;

/** The hand-written table: identity × data → outcome per field. */
function expectedTable(): Map<string, Row> {
  const lines = fs
    .readFileSync(path.join(__dirname, 'permission-matrix.expected.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const [header, ...rows] = lines.map((l) => l.split('\t'));
  expect(header).toEqual(['identity', 'data', ...FIELDS]);
  const table = new Map<string, Row>();
  for (const [identity, data, ...outcomes] of rows) {
    expect(table.has(key(identity, data)), `${key(identity, data)} twice in the table`).toBe(false);
    table.set(key(identity, data), Object.fromEntries(FIELDS.map((f, i) => [f, outcomes[i]])) as Row);
  }
  return table;
}

const SERIES = `query($indicator: String!, $region: String!, $period: String!) {
  series(indicatorCodes: [$indicator], regionCodes: [$region], from: $period, to: $period) {
    points { period value status symbol confidential numerator denominator internalNote uploadedBy releasedBy }
  }
}`;

/** What `identity` gets of the cell `spec`, as the outcomes of the table. */
async function observe(identity: string, spec: CellSpec): Promise<Row> {
  const res = await t.gql(SERIES, { indicator: spec.indicator, region: spec.region, period: spec.period }, identity === 'anonymous' ? undefined : identity);
  const errors = res.body.errors ?? [];
  const absent = Object.fromEntries(FIELDS.map((f) => [f, 'absent'])) as Row;
  // An indicator the viewer may not see at all may be unknown to it: that is the row's absence too.
  if (errors.some((e) => e.extensions?.code === 'BAD_USER_INPUT' && (e.extensions.unknownCodes as string[] | undefined)?.includes(spec.indicator))) return absent;
  expect(res.status, `${identity}: ${JSON.stringify(res.body)}`).toBe(200);
  const points: any[] = res.body.data.series[0].points;
  const index = points.findIndex((p) => p.period === spec.period);
  const unexplained = errors.filter((e) => !(e.path?.length === 5 && e.path[3] === index));
  expect(unexplained).toEqual([]);
  if (index < 0) return absent;
  const p = points[index];
  const row = { row: 'visible' } as Row;
  if (p.value === spec.value && p.status === (spec.status ?? 'A') && p.symbol === (spec.symbol ?? '') && p.confidential === false) row.value = 'value';
  else if (p.value === null && p.status === 'Q' && p.symbol === '.' && p.confidential === true) row.value = 'suppressed';
  else row.value = `unexpected ${JSON.stringify([p.value, p.status, p.symbol, p.confidential])}`;
  const stored: Record<(typeof POINT_FIELDS)[number], unknown> = {
    numerator: spec.numerator ?? null,
    denominator: spec.denominator ?? null,
    internalNote: spec.internalNote ?? null,
    uploadedBy: spec.uploadedBy ?? null,
    releasedBy: spec.state === 'DRAFT' ? null : (spec.releasedBy ?? null),
  };
  for (const field of POINT_FIELDS) {
    const error = errors.find((e) => e.path?.[4] === field);
    if (error) row[field] = error.extensions?.code === 'FORBIDDEN' && p[field] === null ? 'null+FORBIDDEN' : `unexpected ${error.extensions?.code}`;
    else if (p[field] === stored[field]) row[field] = stored[field] === null ? 'null' : 'value';
    else row[field] = `unexpected ${JSON.stringify(p[field])}`;
  }
  return row;
}

/** How much an outcome reveals, to tell over-exposure from false denial. */
const REVEALS: Record<string, number> = { absent: 0, 'null+FORBIDDEN': 1, suppressed: 1, null: 2, value: 2, visible: 2 };

describe('permission matrix', () => {
  it('the hand-written table covers every identity × data kind exactly once', () => {
    const table = expectedTable();
    const wanted = IDENTITIES.flatMap((i) => [...DATA.keys()].map((d) => key(i, d)));
    expect([...table.keys()].sort()).toEqual(wanted.sort());
    for (const row of table.values()) for (const outcome of Object.values(row)) expect(Object.keys(REVEALS)).toContain(outcome);
  });

  it('the hub gives exactly what the table says: no over-exposure, no false denial', async () => {
    const expected = expectedTable();
    const differences: string[] = [];
    const actualLines: string[] = [];
    for (const identity of IDENTITIES) {
      const rows = await Promise.all([...DATA].map(([, spec]) => observe(identity, spec)));
      [...DATA.keys()].forEach((data, i) => {
        const actual = rows[i];
        actualLines.push([identity, data, ...FIELDS.map((f) => actual[f])].join('\t'));
        const want = expected.get(key(identity, data))!;
        for (const field of FIELDS) {
          if (actual[field] === want[field]) continue;
          const kind = (REVEALS[actual[field]] ?? 99) > REVEALS[want[field]] ? 'OVER-EXPOSURE' : 'false denial';
          differences.push(`${kind}: ${identity} × ${data} × ${field}: expected ${want[field]}, got ${actual[field]}`);
        }
      });
    }
    // On failure, the actual table is printed too, ready to compare line by line with the file.
    expect(differences, differences.length ? actualLines.join('\n') : '').toEqual([]);
  });
});
