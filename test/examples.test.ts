import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERIES } from '../src/graphql/examples';
import { startTestHub, type TestHub } from './support/hub';

/**
 * The example queries that GraphiQL opens with (and the README quotes) run against the demo data
 * without errors and return what their comments promise. Expected values are the official
 * Sachsen-Anhalt keys and names, written here independently of the seed.
 */

/** The 14 Kreise of Sachsen-Anhalt (3 kreisfreie Städte, 11 Landkreise), by Kreisschlüssel. */
const KREISE = [
  '15001', '15002', '15003', '15081', '15082', '15083', '15084',
  '15085', '15086', '15087', '15088', '15089', '15090', '15091',
];

interface Series {
  region: { code: string; name: string; kind?: string };
  periods: string[];
  values: Array<number | null>;
  statuses: string[];
}

function example(name: string) {
  const found = EXAMPLE_QUERIES.find((e) => e.name === name);
  if (!found) throw new Error(`no example named "${name}" in src/graphql/examples.ts`);
  return found;
}

describe('GraphiQL example queries on the demo data', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  async function run(name: string) {
    const { query, variables } = example(name);
    const res = await hub.gql(query, variables);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  it.each(EXAMPLE_QUERIES.map((e) => e.name))('%s: no errors, every top-level field has data', async (name) => {
    const data = await run(name);
    expect(data).toBeTruthy();
    for (const [field, value] of Object.entries(data as Record<string, unknown>)) {
      expect(value, field).not.toBeNull();
      if (Array.isArray(value)) expect(value.length, field).toBeGreaterThan(0);
    }
  });

  it('Revisions and series breaks: G2 as known on 1 July 2025, B in 2022, two definition versions', async () => {
    const data = (await run('Revisions and series breaks')) as {
      series: Array<{ periods: string[]; statuses: string[]; points: Array<{ version: number; definitionVersion: number }> }>;
      indicator: { definitionHistory: Array<{ version: number; populationBasis: string }> };
    };
    const [s] = data.series;
    expect(s.statuses[s.periods.indexOf('2022')]).toBe('B');
    expect(s.points.map((p) => p.definitionVersion)).toEqual(s.periods.map((p) => (p >= '2022' ? 2 : 1)));
    expect(data.indicator.definitionHistory.map((d) => [d.version, d.populationBasis])).toEqual([
      [1, 'Zensus 2011'],
      [2, 'Zensus 2022'],
    ]);
  });

  it('Kreis comparison: one C1 series per Kreis, parallel lists of equal length from 2019 on', async () => {
    const { series } = (await run('Kreis comparison')) as { series: Series[] };
    expect(series.map((s) => s.region.code).sort()).toEqual(KREISE);
    expect(series.find((s) => s.region.code === '15084')?.region).toMatchObject({ name: 'Burgenlandkreis', kind: 'LANDKREIS' });
    expect(series.find((s) => s.region.code === '15002')?.region).toMatchObject({ name: 'Halle (Saale)', kind: 'KREISFREIE_STADT' });
    for (const s of series) {
      expect(s.periods.length, s.region.code).toBeGreaterThan(0);
      expect(s.values, s.region.code).toHaveLength(s.periods.length);
      expect(s.statuses, s.region.code).toHaveLength(s.periods.length);
      // Period codes of every type (`2019`, `2019/20`, `2019-03-01`) sort by their start.
      for (const period of s.periods) expect(period >= '2019', `${s.region.code} ${period}`).toBe(true);
    }
    // Compared regions stay aligned: every Kreis has the same periods.
    for (const s of series) expect(s.periods, s.region.code).toEqual(series[0].periods);
  });

  it('Dashboard card: the Burgenlandkreis in the Land, its four indicators, at most five cells each', async () => {
    const { region } = (await run('Dashboard card')) as {
      region: {
        name: string;
        parent: { name: string };
        series: Array<{ indicator: { code: string; area: { name: string } }; points: Array<{ period: string; status: string; symbol: string; confidential: boolean; releaseState: string }> }>;
      };
    };
    expect(region.name).toBe('Burgenlandkreis');
    expect(region.parent.name).toBe('Sachsen-Anhalt');
    expect(region.series.map((s) => s.indicator.code)).toEqual(['A1', 'C1', 'D1', 'G2']);
    for (const s of region.series) {
      expect(s.indicator.area.name, s.indicator.code).toBeTruthy();
      expect(s.points.length, s.indicator.code).toBeGreaterThan(0);
      expect(s.points.length, s.indicator.code).toBeLessThanOrEqual(5);
      // An anonymous viewer sees released cells only.
      for (const p of s.points) expect(p.releaseState, `${s.indicator.code} ${p.period}`).toBe('RELEASED');
    }
  });

  it('Catalogue: the education areas A–G with their indicators, and a page of the search', async () => {
    const data = (await run('Catalogue')) as {
      educationAreas: Array<{ code: string; name: string; indicators: Array<{ code: string }> }>;
      indicators: { totalCount: number; edges: Array<{ cursor: string; node: { code: string; name: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    };
    expect(data.educationAreas.map((a) => a.code)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    expect(data.educationAreas.find((a) => a.code === 'C')?.indicators.map((i) => i.code)).toContain('C1');
    const page = data.indicators;
    expect(page.edges.length).toBeGreaterThan(0);
    expect(page.edges.length).toBeLessThanOrEqual(5);
    expect(page.edges.map((e) => e.node.code)).toContain('C1');
    expect(page.pageInfo.hasNextPage).toBe(page.totalCount > page.edges.length);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
  });

  it('Gemeinden and breakdown: Gemeinden of the Burgenlandkreis, and the Land by sex', async () => {
    const data = (await run('Gemeinden and breakdown')) as {
      gemeinden: Array<{ region: { code: string; name: string }; points: Array<{ period: string; value: number | null; symbol: string; confidential: boolean }> }>;
      bySex: Array<{ breakdown: { dimension: string; code: string }; periods: string[]; values: Array<number | null> }>;
    };
    expect(data.gemeinden.length).toBeGreaterThan(1);
    for (const g of data.gemeinden) {
      expect(g.region.code, g.region.name).toMatch(/^15084\d{3}$/);
      expect(g.points, g.region.code).toHaveLength(1);
      // A suppressed cell has no value and shows "." (DESIGN §5); a shown one has a value.
      const [cell] = g.points;
      if (cell.confidential) expect({ value: cell.value, symbol: cell.symbol }, g.region.code).toEqual({ value: null, symbol: '.' });
    }
    // What the example's comment shows off: the demo data has both kinds of Gemeinde cell.
    expect(data.gemeinden.some((g) => g.points[0].confidential)).toBe(true);
    expect(data.gemeinden.some((g) => g.points[0].value !== null)).toBe(true);

    expect(data.bySex.map((s) => s.breakdown)).toEqual([
      { dimension: 'SEX', code: '_T' },
      { dimension: 'SEX', code: 'F' },
      { dimension: 'SEX', code: 'M' },
    ]);
    const [total, female, male] = data.bySex;
    for (const s of data.bySex) {
      expect(s.periods).toEqual(total.periods);
      expect(s.periods.length).toBeGreaterThan(0);
      expect(s.periods.length).toBeLessThanOrEqual(3);
    }
    // School leavers are counts: the total is the sum of women and men (no `D` in the demo data).
    total.periods.forEach((period, i) => {
      expect(female.values[i]! + male.values[i]!, period).toBe(total.values[i]);
    });
  });
});
