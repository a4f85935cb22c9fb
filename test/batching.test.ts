import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  // In the server pass the public's pool checks each new connection once, with a statement of its
  // own (src/db/public-pool.ts): one request first, so that the counts below are a request's own.
  await t.data('{ indicators(first: 1) { totalCount } }');
});
afterAll(async () => {
  await t?.close();
});

const DATA_STATEMENT = /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i;

/**
 * Runs one GraphQL request and counts the data statements that reach Postgres, at the driver
 * (node-postgres' Client.query), not in an ORM logger: whatever path a query takes, it is seen.
 * `roundTrips` counts every message, `BEGIN`, `SET LOCAL ROLE` and `COMMIT` included.
 */
async function countStatements(query: string, variables?: Record<string, unknown>, as?: string) {
  const original = pg.Client.prototype.query;
  const seen: string[] = [];
  const all: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
    const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
    if (typeof text === 'string') all.push(text);
    if (typeof text === 'string' && DATA_STATEMENT.test(text)) seen.push(text);
    return (original as any).apply(this, args);
  } as any;
  try {
    const res = await t.gql(query, variables, as);
    expect(res.body.errors).toBeUndefined();
    return { data: res.body.data, statements: seen.length, texts: seen, roundTrips: all.length, all };
  } finally {
    pg.Client.prototype.query = original;
  }
}

const FIVE = ['A1', 'C1', 'C6', 'D1', 'G2'];
const KREIS_DASHBOARD = `query($codes: [String!], $indicators: [String!]!) {
  regions(level: KREIS, parentCode: "15", codes: $codes) {
    code
    series(indicatorCodes: $indicators) {
      indicator { code area { name } }
      points { period value status }
    }
  }
}`;

describe('batched loading', () => {
  it('costs the same statements for 3 Kreise as for 14, at most one per list level', async () => {
    const all = await countStatements(KREIS_DASHBOARD, { indicators: FIVE });
    const three = await countStatements(KREIS_DASHBOARD, { indicators: FIVE, codes: ['15002', '15083', '15084'] });
    expect(all.data.regions).toHaveLength(14);
    expect(three.data.regions).toHaveLength(3);
    for (const r of all.data.regions) {
      expect(r.series.map((s: any) => s.indicator.code)).toEqual(FIVE);
      expect(r.series[1].indicator.area.name).toBe('Frühkindliche Bildung');
      expect(r.series[1].points.length).toBeGreaterThanOrEqual(13);
    }
    expect(three.statements).toBe(all.statements);
    // list levels: regions, series, points
    expect(all.statements).toBeLessThanOrEqual(3);
  });

  it('batches parents, children and the children’s series whatever their number', async () => {
    const q = `query($codes: [String!]) { regions(level: KREIS, codes: $codes) {
      parent { name } children { code parent { code } series(indicatorCodes: ["A1", "C1"], latest: 1) { values region { code } } } } }`;
    const one = await countStatements(q, { codes: ['15083'] });
    const all = await countStatements(q, {});
    expect(one.data.regions.flatMap((r: any) => r.children)).toHaveLength(34);
    expect(all.data.regions.flatMap((r: any) => r.children)).toHaveLength(67);
    expect(all.data.regions.flatMap((r: any) => r.children.flatMap((c: any) => c.series))).toHaveLength(67 * 2);
    expect(all.statements).toBe(one.statements);
  });

  it('batches series reached from indicators of every area', async () => {
    const q = `query($regions: [String!]!) { educationAreas { indicators { code owner { code } series(regionCodes: $regions, latest: 3) { region { name } values } } } }`;
    const one = await countStatements(q, { regions: ['15'] });
    const many = await countStatements(q, { regions: ['15', '15001', '15002', '15003', '15084'] });
    expect(many.statements).toBe(one.statements);
  });

  it("a public series request takes 2 round trips on a server (the public's pool, autocommit), 4 in a transaction; a member's keeps its transaction", async () => {
    const q = `query($codes: [String!]!) { series(indicatorCodes: $codes, regionCodes: ["15083", "15"]) { periods values } }`;
    const anonymous = await countStatements(q, { codes: FIVE });
    expect(anonymous.data.series.length).toBeGreaterThan(0);
    expect(anonymous.statements).toBe(2); // the reference lookup, the cells
    if (t.database.mode === 'server') {
      expect(anonymous.roundTrips).toBe(2);
      expect(anonymous.all.some((text) => /BEGIN|COMMIT|ROLE/i.test(text))).toBe(false);
    } else {
      expect(anonymous.roundTrips).toBe(4); // BEGIN; SET LOCAL ROLE …, the two statements, COMMIT
    }
    const member = await countStatements(q, { codes: FIVE }, 'boerde-viewer');
    expect(member.all[0]).toBe('BEGIN');
    expect(member.all.at(-1)).toBe('COMMIT');
  });
});

describe('cell ids', () => {
  const query = (selection: string, fragments = '') => `query { series(indicatorCodes: ["A1"], regionCodes: ["15002", "15"]) { ${selection} } } ${fragments}`;
  /** The expression of the `id` column in the series statement(s). */
  const idColumn = (texts: string[]) => texts.flatMap((t) => /(\S+) AS id\b/.exec(t)?.[1] ?? []);

  it('are read by the series statement only when the document selects points (fragments included)', async () => {
    const columnar = await countStatements(query('periods values'));
    expect(idColumn(columnar.texts)).toEqual(['NULL::bigint']);
    const viaFragment = await countStatements(query('...Cells', 'fragment Cells on TimeSeries { points { period value recordedAt } }'));
    expect(idColumn(viaFragment.texts)).toEqual(['o.id']);
    const points = viaFragment.data.series.map((s: { points: Array<{ period: string; value: number; recordedAt: string }> }) => s.points);
    // The fields loaded on demand by id are there, and the cells are the columnar ones.
    expect(points.flat().length).toBeGreaterThan(10);
    for (const p of points.flat()) expect(Date.parse(p.recordedAt)).not.toBeNaN();
    expect(points.map((ps: Array<{ period: string }>) => ps.map((p) => p.period))).toEqual(columnar.data.series.map((s: { periods: string[] }) => s.periods));
    expect(points.map((ps: Array<{ value: number }>) => ps.map((p) => p.value))).toEqual(columnar.data.series.map((s: { values: number[] }) => s.values));
  });
});
