import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

const KREISE = ['15001', '15002', '15003', '15081', '15082', '15083', '15084', '15085', '15086', '15087', '15088', '15089', '15090', '15091'];
const sql = (text: string, params?: unknown[]) => t.database.db.query(text, params);

const AGGREGATE = `query($i: [String!]!, $r: [String!], $from: String, $to: String, $child: RegionLevel) {
  aggregate(indicatorCodes: $i, regionCodes: $r, from: $from, to: $to, childLevel: $child) {
    indicator { code } region { code } childLevel periods values statuses
    points { period value status symbol computedValue computedStatus computedSymbol officialValue difference childrenExpected childrenWithValue }
  }
}`;
const aggregate = async (vars: Record<string, unknown>, as?: string) => (await t.data(AGGREGATE, vars, as)).aggregate;
const point = (a: any, period: string) => a.points.find((p: any) => p.period === period);

describe('aggregation', () => {
  it('computes a Land rate as Σnumerator/Σdenominator of the Kreise, not the mean of rates; the official value wins', async () => {
    const [land] = await aggregate({ i: ['C1'], r: ['15'], from: '2023', to: '2023' }, 'statistik-editor');
    const kreise = (
      await t.data(`{ series(indicatorCodes: ["C1"], regionLevel: KREIS, from: "2023", to: "2023") { points { value numerator denominator } } }`, {}, 'statistik-editor')
    ).series.map((s: any) => s.points[0]);
    expect(kreise).toHaveLength(14);
    const num = kreise.reduce((s: number, p: any) => s + p.numerator, 0);
    const den = kreise.reduce((s: number, p: any) => s + p.denominator, 0);
    const mean = kreise.reduce((s: number, p: any) => s + p.value, 0) / 14;
    const p = point(land, '2023');
    expect(land.childLevel).toBe('KREIS');
    expect(p.computedValue).toBe(Math.round((num / den) * 1000) / 10);
    expect(p.computedValue).not.toBe(Math.round(mean * 10) / 10);
    expect(p).toMatchObject({ computedStatus: 'A', computedSymbol: '', childrenExpected: 14, childrenWithValue: 14 });
    const official = (await t.data(`{ series(indicatorCodes: ["C1"], regionCodes: ["15"], from: "2023", to: "2023") { values } }`)).series[0].values[0];
    expect(p.officialValue).toBe(official);
    expect(p.value).toBe(official);
    expect(p.difference).toBe(Math.round((official - p.computedValue) * 10) / 10);
  });

  it('sums counts: A1 of the Land from its Kreise is the official 2 180 448 (2023); Kreis 15084 from its Gemeinden equals its own value', async () => {
    const [land, kreis] = await aggregate({ i: ['A1'], r: ['15', '15084'], from: '2023', to: '2023' });
    expect(point(land, '2023')).toMatchObject({ computedValue: 2180448, officialValue: 2180448, difference: 0, computedStatus: 'A', childrenWithValue: 14 });
    expect(kreis.childLevel).toBe('GEMEINDE');
    const k = point(kreis, '2023');
    expect(k.childrenExpected).toBe(33);
    expect(k.computedValue).toBe(k.officialValue);
    expect(k.difference).toBe(0);
  });

  it('computes the Land from the Gemeinden when asked for a level further down, with the difference to the official value', async () => {
    const [land] = await aggregate({ i: ['A1'], r: ['15'], from: '2023', to: '2023', child: 'GEMEINDE' });
    const kreise = await aggregate({ i: ['A1'], r: ['15083', '15084'], from: '2023', to: '2023' });
    expect(land.childLevel).toBe('GEMEINDE');
    // The demo data holds the Gemeinden of two Kreise only: the Land "from its Gemeinden" is their sum.
    const p = point(land, '2023');
    expect(p.childrenExpected).toBe(kreise.reduce((s: number, k: any) => s + point(k, '2023').childrenExpected, 0));
    expect(p.computedValue).toBe(kreise.reduce((s: number, k: any) => s + point(k, '2023').computedValue, 0));
    expect(p).toMatchObject({ value: 2180448, officialValue: 2180448, difference: 2180448 - p.computedValue });
  });

  it('aggregates breakdown parts each on their own: C6 by sex, Land from the Kreise', async () => {
    const d = await t.data(
      `{ aggregate(indicatorCodes: ["C6"], regionCodes: ["15"], from: "2023", to: "2023", breakdown: { dimension: SEX, codes: ["F", "M"] }) {
          breakdown { code } points { computedValue officialValue difference computedStatus } } }`,
    );
    expect(d.aggregate.map((a: any) => a.breakdown.code)).toEqual(['F', 'M']);
    for (const a of d.aggregate) expect(a.points[0]).toMatchObject({ computedStatus: 'A', difference: 0, computedValue: a.points[0].officialValue });
  });

  it('computes no rate from counts the viewer may not read: Q for the public, while the official Land value is shown', async () => {
    const [land] = await aggregate({ i: ['C1'], r: ['15'], from: '2023', to: '2023' });
    expect(point(land, '2023')).toMatchObject({ computedValue: null, computedStatus: 'Q', computedSymbol: '.', difference: null, status: 'A' });
    expect(point(land, '2023').value).toBe(point(land, '2023').officialValue);
  });

  it('does not aggregate a NONE indicator: M / x', async () => {
    const [land] = await aggregate({ i: ['G1'], r: ['15'] });
    expect(land.points.length).toBeGreaterThan(0);
    for (const p of land.points) expect(p).toMatchObject({ computedValue: null, computedStatus: 'M', computedSymbol: 'x' });
  });

  it('says so when a child is missing: O when every missing child comes later, L otherwise', async () => {
    await sql(
      `UPDATE observation SET value = NULL, status = 'O', symbol = '...' WHERE superseded_at IS NULL AND period = '2015' AND breakdown_code = '_T'
       AND indicator_id = (SELECT id FROM indicator WHERE code = 'C6') AND region_id = (SELECT id FROM region WHERE code = '15001')`,
    );
    let [land] = await aggregate({ i: ['C6'], r: ['15'], from: '2015', to: '2015' });
    expect(point(land, '2015')).toMatchObject({ computedValue: null, computedStatus: 'O', computedSymbol: '...', childrenExpected: 14, childrenWithValue: 13 });
    expect(point(land, '2015').value).toBe(point(land, '2015').officialValue);
    await sql(
      `DELETE FROM observation WHERE period = '2015' AND indicator_id = (SELECT id FROM indicator WHERE code = 'C6') AND region_id = (SELECT id FROM region WHERE code = '15002')`,
    );
    [land] = await aggregate({ i: ['C6'], r: ['15'], from: '2015', to: '2015' });
    expect(point(land, '2015')).toMatchObject({ computedValue: null, computedStatus: 'L', computedSymbol: '.', childrenWithValue: 12 });
    // A rate without stored counts, for a viewer who may read counts: missing (L), not hidden.
    await sql(
      `UPDATE observation SET numerator = NULL, denominator = NULL WHERE period = '2016' AND superseded_at IS NULL
       AND indicator_id = (SELECT id FROM indicator WHERE code = 'C1') AND region_id = (SELECT id FROM region WHERE code = '15003')`,
    );
    [land] = await aggregate({ i: ['C1'], r: ['15'], from: '2016', to: '2016' }, 'statistik-editor');
    expect(point(land, '2016')).toMatchObject({ computedValue: null, computedStatus: 'L', childrenWithValue: 13 });
  });

  it('weights a WEIGHTED_MEAN by its weight indicator', async () => {
    await sql(
      `INSERT INTO indicator (code, name, name_en, definition, unit, decimals, area_code, period_type, aggregation, weight_indicator_id, levels, source, owner_org_id, visibility)
       SELECT 'TWM', 'Testmittel', 'Test mean', 'Test', 'years', 2, area_code, period_type, 'WEIGHTED_MEAN', id, levels, source, owner_org_id, 'PUBLIC'
       FROM indicator WHERE code = 'A1'`,
    );
    // Values 10, 20, 30, … for the 14 Kreise in 2023; the weight is their population (A1).
    await sql(
      `INSERT INTO observation (indicator_id, region_id, period, period_start, value, status, symbol, owner_org_id, release_state, released_at)
       SELECT (SELECT id FROM indicator WHERE code = 'TWM'), r.id, '2023', '2023-01-01', 10 * row_number() OVER (ORDER BY r.code), 'A', '',
         (SELECT owner_org_id FROM indicator WHERE code = 'A1'), 'RELEASED', now() - interval '1 day'
       FROM region r WHERE r.level = 'KREIS'`,
    );
    const pop = (await t.data(`{ series(indicatorCodes: ["A1"], regionLevel: KREIS, from: "2023", to: "2023") { values } }`)).series.map((s: any) => s.values[0]);
    const expected = pop.reduce((s: number, w: number, i: number) => s + w * 10 * (i + 1), 0) / pop.reduce((s: number, w: number) => s + w, 0);
    const [land] = await aggregate({ i: ['TWM'], r: ['15'] });
    expect(point(land, '2023')).toMatchObject({ computedValue: Math.round(expected * 100) / 100, officialValue: null, computedStatus: 'A', status: 'A', childrenWithValue: 14 });
    expect(point(land, '2023').value).toBe(point(land, '2023').computedValue);
    expect(point(land, '2023').computedValue).not.toBe(75);
  });

  it('never computes over a cell hidden from the viewer: Q for the public, the true sum for the owner', async () => {
    const q = `{ aggregate(indicatorCodes: ["K15083-VHS"], regionCodes: ["15083"]) { points { period value computedValue computedStatus computedSymbol officialValue childrenWithValue childrenExpected } } }`;
    const pub = (await t.data(q)).aggregate[0].points;
    const owner = (await t.data(q, {}, 'boerde-viewer')).aggregate[0].points;
    const hidden = pub.filter((p: any) => p.computedStatus === 'Q');
    expect(hidden.length).toBeGreaterThan(0);
    for (const p of hidden) {
      expect(p).toMatchObject({ computedValue: null, computedSymbol: '.' });
      const o = owner.find((x: any) => x.period === p.period);
      expect(o.computedStatus).toBe('A');
      expect(o.computedValue).toBe(o.officialValue);
      expect(o.childrenWithValue).toBe(o.childrenExpected);
    }
  });

  it('refuses a child level that is not below the parent (BAD_USER_INPUT)', async () => {
    const res = await t.failure(`{ aggregate(indicatorCodes: ["A1"], regionCodes: ["15084"], childLevel: LAND) { periods } }`);
    expect(res.error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.error.extensions?.argument).toBe('childLevel');
  });
});

const COMPARE = `query($i: [String!]!, $r: [String!]!, $n: Int, $peers: PeerGroup, $to: String) {
  series(indicatorCodes: $i, regionCodes: $r, to: $to) {
    region { code } values periods
    comparison(periods: $n, peers: $peers) { period value landValue bundValue deviationUnit deviationFromLand deviationFromBund rank rankOf peerMedian peerCount changeFrom change unavailableReason }
  }
}`;

describe('comparisons', () => {
  it('gives Land and Bund values with the deviation in percentage points for a rate and percent for a count', async () => {
    const d = await t.data(COMPARE, { i: ['C1', 'A1'], r: ['15084', '15'], to: '2023' });
    const [c1, , a1] = d.series.map((s: any) => s.comparison);
    const land = d.series[1].comparison;
    expect(c1.deviationUnit).toBe('PERCENTAGE_POINTS');
    expect(c1.landValue).toBe(land.value);
    expect(c1.bundValue).toBe(36.4);
    expect(c1.deviationFromLand).toBe(Math.round((c1.value - c1.landValue) * 10) / 10);
    expect(c1.deviationFromBund).toBe(Math.round((c1.value - 36.4) * 10) / 10);
    expect(a1.deviationUnit).toBe('PERCENT');
    expect(a1.landValue).toBe(2180448);
    expect(a1.deviationFromLand).toBe(Math.round(((a1.value - 2180448) / 2180448) * 1000) / 10);
  });

  it('ranks with ties (1, 2, 2, 4) among the Kreise and takes the median per peer group', async () => {
    // Ties made on purpose: the second and third highest C1 values of 2024 become equal.
    const top: any[] = await sql(
      `SELECT o.id, r.code, o.value FROM observation o JOIN region r ON r.id = o.region_id
       WHERE o.indicator_id = (SELECT id FROM indicator WHERE code = 'C1') AND r.level = 'KREIS' AND o.period = '2024' AND o.superseded_at IS NULL AND o.breakdown_code = '_T'
       ORDER BY o.value DESC`,
    );
    await sql(`UPDATE observation SET value = $1 WHERE id = $2`, [top[1].value, top[2].id]);
    const d = await t.data(COMPARE, { i: ['C1'], r: KREISE, to: '2024' });
    const byCode = new Map(d.series.map((s: any) => [s.region.code, s.comparison]));
    expect((byCode.get(top[0].code) as any).rank).toBe(1);
    expect((byCode.get(top[1].code) as any).rank).toBe(2);
    expect((byCode.get(top[2].code) as any).rank).toBe(2);
    expect((byCode.get(top[3].code) as any).rank).toBe(4);
    for (const c of byCode.values()) expect((c as any).rankOf).toBe(14);
    // Landkreise: 11 of them, the median is their 6th value; kreisfreie Städte: only 2 others.
    const values = new Map(d.series.map((s: any) => [s.region.code, s.comparison.value]));
    const landkreise = KREISE.slice(3).map((c) => values.get(c) as number).sort((a, b) => a - b);
    expect((byCode.get('15084') as any).peerMedian).toBe(landkreise[5]);
    expect((byCode.get('15084') as any).peerCount).toBe(11);
    const halle = byCode.get('15002') as any;
    expect(halle.peerMedian).toBeNull();
    expect(halle.rank).not.toBeNull();
    expect(halle.unavailableReason).toMatch(/peerMedian: only 2 other/);
    const all = (await t.data(COMPARE, { i: ['C1'], r: ['15002'], to: '2024', peers: 'SAME_LEVEL' })).series[0].comparison;
    const sorted = [...values.values()].map(Number).sort((a, b) => a - b);
    expect(all.peerMedian).toBe(Math.round(((sorted[6] + sorted[7]) / 2) * 10) / 10);
    expect(all.unavailableReason).toBeNull();
  });

  it('gives the change over n periods', async () => {
    const s = (await t.data(COMPARE, { i: ['C1'], r: ['15083'], to: '2023', n: 3 })).series[0];
    const c = s.comparison;
    expect(c.period).toBe('2023');
    expect(c.changeFrom).toBe('2020');
    expect(c.change).toBe(Math.round((s.values[s.periods.indexOf('2023')] - s.values[s.periods.indexOf('2020')]) * 10) / 10);
  });

  it('gives no rank or median, with a reason, when fewer than 3 other regions are visible', async () => {
    const d = await t.data(COMPARE, { i: ['K15084-KITA'], r: ['15084'] }, 'burgenlandkreis-editor');
    const c = d.series[0].comparison;
    expect(c.value).not.toBeNull();
    expect(c).toMatchObject({ rank: null, rankOf: null, peerMedian: null, peerCount: 1 });
    expect(c.unavailableReason).toMatch(/rank: only 0 other/);
  });

  it('refuses periods out of range (BAD_USER_INPUT)', async () => {
    const res = await t.failure(COMPARE, { i: ['C1'], r: ['15084'], n: 0 });
    expect(res.error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.error.extensions?.argument).toBe('periods');
  });

  it('costs the same statements for 3 Kreise as for 14', async () => {
    const q = `query($codes: [String!]) { regions(level: KREIS, codes: $codes) { code series(indicatorCodes: ["C1"]) { comparison { period rank landValue } } } }`;
    const count = async (vars: Record<string, unknown>) => {
      const original = pg.Client.prototype.query;
      let n = 0;
      pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
        const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
        if (typeof text === 'string' && /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i.test(text)) n++;
        return (original as any).apply(this, args);
      } as any;
      try {
        const d = await t.data(q, vars);
        return { n, d };
      } finally {
        pg.Client.prototype.query = original;
      }
    };
    // Dessau-Roßlau without its latest value: its comparison is for an earlier period, and still costs nothing extra.
    await sql(
      `DELETE FROM observation WHERE period = '2024' AND indicator_id = (SELECT id FROM indicator WHERE code = 'C1') AND region_id = (SELECT id FROM region WHERE code = '15001')`,
    );
    const all = await count({});
    expect(all.d.regions[0].series[0].comparison.period).toBe('2023');
    const three = await count({ codes: ['15002', '15083', '15084'] });
    expect(all.d.regions).toHaveLength(14);
    expect(all.d.regions.every((r: any) => r.series[0].comparison.rank !== null && r.series[0].comparison.landValue !== null)).toBe(true);
    expect(three.n).toBe(all.n);
  });
});
