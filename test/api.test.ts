import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';

// Facts from the reference data (seeds/reference), written here independently of the seed code.
const KREISE = ['15001', '15002', '15003', '15081', '15082', '15083', '15084', '15085', '15086', '15087', '15088', '15089', '15090', '15091'];
const gemeindenCsv = fs.readFileSync(path.resolve(__dirname, '../seeds/reference/gemeinden-15084-15083.csv'), 'utf8').trim().split('\n').slice(1);

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

describe('regions', () => {
  it('lists the 14 Kreise of Sachsen-Anhalt with official codes, by level and by parent', async () => {
    const d = await t.data(`{ byLevel: regions(level: KREIS) { code name level kind } byParent: regions(parentCode: "15") { code } }`);
    expect(d.byLevel.map((r: any) => r.code)).toEqual(KREISE);
    expect(d.byParent.map((r: any) => r.code)).toEqual(KREISE);
    expect(d.byLevel.find((r: any) => r.code === '15002')).toEqual({ code: '15002', name: 'Halle (Saale)', level: 'KREIS', kind: 'KREISFREIE_STADT' });
    expect(d.byLevel.find((r: any) => r.code === '15084')).toMatchObject({ name: 'Burgenlandkreis', kind: 'LANDKREIS' });
  });

  it('finds Gemeinden as descendants of the Land and of their Kreis', async () => {
    const d = await t.data(`{ all: regions(level: GEMEINDE, parentCode: "15") { code } blk: regions(level: GEMEINDE, parentCode: "15084") { code name } }`);
    expect(d.all).toHaveLength(gemeindenCsv.length);
    expect(d.blk).toHaveLength(gemeindenCsv.filter((l) => l.split(',')[0].startsWith('15084')).length);
    expect(d.blk.every((r: any) => /^15084\d{3}$/.test(r.code))).toBe(true);
  });

  it('navigates parent and children; an unknown code is null, not an error', async () => {
    const d = await t.data(`{ region(code: "15084") { name parent { code name parent { code } } children { code } } none: region(code: "99999") { code } }`);
    expect(d.region.parent).toEqual({ code: '15', name: 'Sachsen-Anhalt', parent: { code: 'DG' } });
    expect(d.region.children).toHaveLength(33);
    expect(d.none).toBeNull();
  });

  it('narrows to a list of codes', async () => {
    const d = await t.data(`{ regions(codes: ["15084", "15083", "15002", "nope"]) { code } }`);
    expect(d.regions.map((r: any) => r.code)).toEqual(['15002', '15083', '15084']);
  });
});

describe('catalogue', () => {
  it('has the education areas A–G with their indicators', async () => {
    const d = await t.data(`{ educationAreas { code name indicators { code area { code } } } }`);
    expect(d.educationAreas.map((a: any) => a.code)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    const c = d.educationAreas.find((a: any) => a.code === 'C');
    expect(c.name).toBe('Frühkindliche Bildung');
    // the catalogue's C1–C6 and the Burgenlandkreis' own Kita indicator of the demo data
    expect(c.indicators.map((i: any) => i.code)).toEqual(['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'K15084-KITA']);
    expect(c.indicators.every((i: any) => i.area.code === 'C')).toBe(true);
  });

  it('pages through the whole catalogue with cursors and counts it', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const d: any = await t.data(`query($after: String) { indicators(first: 8, after: $after) { totalCount edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`, { after });
      expect(d.indicators.totalCount).toBe(24); // 21 of the reference catalogue + 3 of the model Kommunen
      expect(d.indicators.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...d.indicators.edges.map((e: any) => e.node.code));
      if (!d.indicators.pageInfo.hasNextPage) break;
      after = d.indicators.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(24);
    expect(new Set(seen).size).toBe(24);
    expect(seen).toEqual(expect.arrayContaining(['A1', 'B2', 'C1', 'D1', 'D1b', 'G1', 'G3', 'K15002-SSA']));
  });

  it('filters by area and by text', async () => {
    const d = await t.data(`{ c: indicators(areaCode: "G") { totalCount edges { node { code } } } text: indicators(search: "betreuungsquote") { edges { node { code } } } none: indicators(search: "%") { totalCount } }`);
    expect(d.c.edges.map((e: any) => e.node.code)).toEqual(['G1', 'G2', 'G3', 'K15083-VHS']);
    expect(d.c.totalCount).toBe(4);
    expect(d.text.edges.map((e: any) => e.node.code)).toEqual(expect.arrayContaining(['C1', 'C2', 'C3']));
    expect(d.none.totalCount).toBe(0);
  });

  it('looks up one indicator; an unknown code is null', async () => {
    const d = await t.data(`{ indicator(code: "C1") { code name unit aggregation periodType levels area { code } owner { code } } none: indicator(code: "Z9") { code } }`);
    expect(d.indicator).toMatchObject({ code: 'C1', name: 'Betreuungsquote unter 3 Jahren', unit: '%', aggregation: 'RATIO', area: { code: 'C' } });
    expect(d.indicator.levels).toEqual(expect.arrayContaining(['LAND', 'KREIS', 'GEMEINDE']));
    expect(d.none).toBeNull();
  });
});

describe('series', () => {
  it('gives the Bund values of the reference (C1 2023 36.4 %, D1 2021/22 6.8 %)', async () => {
    const d = await t.data(`{ series(indicatorCodes: ["C1", "D1"], regionCodes: ["DG"]) { indicator { code } periods values } }`);
    const c1 = d.series.find((s: any) => s.indicator.code === 'C1');
    const d1 = d.series.find((s: any) => s.indicator.code === 'D1');
    expect(c1.values[c1.periods.indexOf('2023')]).toBe(36.4);
    expect(d1.values[d1.periods.indexOf('2021/22')]).toBe(6.8);
  });

  it('returns one series per indicator × region in argument order, columns parallel to points', async () => {
    const d = await t.data(`{ series(indicatorCodes: ["C1", "A1"], regionCodes: ["15084", "15"]) {
      indicator { code } region { code } breakdown { code } periods values statuses symbols
      points { period value status symbol confidential numerator denominator releaseState } } }`, undefined, 'statistik-editor');
    expect(d.series.map((s: any) => `${s.indicator.code}/${s.region.code}`)).toEqual(['C1/15084', 'C1/15', 'A1/15084', 'A1/15']);
    for (const s of d.series) {
      expect(s.breakdown).toBeNull();
      expect(s.periods.length).toBeGreaterThanOrEqual(13);
      expect(s.points.map((p: any) => p.period)).toEqual(s.periods);
      expect(s.points.map((p: any) => p.value)).toEqual(s.values);
      expect(s.points.map((p: any) => p.status)).toEqual(s.statuses);
      expect(s.points.map((p: any) => p.symbol)).toEqual(s.symbols);
      expect(s.points.every((p: any) => p.releaseState === 'RELEASED')).toBe(true);
    }
    expect(d.series[2].periods.slice(0, 3)).toEqual(['2012', '2013', '2014']);
  });

  it('computes the Land rate from the Kreise as Σnumerator / Σdenominator', async () => {
    const d = await t.data(`{ land: series(indicatorCodes: ["C1"], regionCodes: ["15"], from: "2023", to: "2023") { points { value numerator denominator } }
      kreise: series(indicatorCodes: ["C1"], regionLevel: KREIS, parentCode: "15", from: "2023", to: "2023") { points { value numerator denominator } } }`,
      undefined,
      'statistik-editor', // the owner: numerators are restricted to it (DESIGN §4)
    );
    const land = d.land[0].points[0];
    const num = d.kreise.reduce((s: number, k: any) => s + k.points[0].numerator, 0);
    const den = d.kreise.reduce((s: number, k: any) => s + k.points[0].denominator, 0);
    expect(land.numerator).toBe(num);
    expect(land.denominator).toBe(den);
    expect(land.value).toBeCloseTo((100 * num) / den, 1);
    const meanOfRates = d.kreise.reduce((s: number, k: any) => s + k.points[0].value, 0) / d.kreise.length;
    expect(Math.abs(land.value - meanOfRates)).toBeGreaterThan(0.01);
  });

  it('filters periods with from/to by start date, and latest per indicator', async () => {
    const d = await t.data(`{ y: series(indicatorCodes: ["A1"], regionCodes: ["15"], from: "2020", to: "2022") { periods }
      sy: series(indicatorCodes: ["D1"], regionCodes: ["15"], from: "2015", to: "2017") { periods }
      last: series(indicatorCodes: ["A1", "D1"], regionCodes: ["15", "15084"], latest: 2) { periods } }`);
    expect(d.y[0].periods).toEqual(['2020', '2021', '2022']);
    expect(d.sy[0].periods).toEqual(['2015/16', '2016/17', '2017/18']);
    expect(d.last.map((s: any) => s.periods)).toEqual([['2023', '2024'], ['2023', '2024'], ['2022/23', '2023/24'], ['2022/23', '2023/24']]);
  });

  it('breaks a count down by sex; the parts sum to the total', async () => {
    const d = await t.data(`{ series(indicatorCodes: ["D6"], regionCodes: ["15", "15002"], breakdown: { dimension: SEX, codes: ["_T", "F", "M"] }) { region { code } breakdown { dimension code } periods values } }`);
    expect(d.series.map((s: any) => `${s.region.code}:${s.breakdown.code}`)).toEqual(['15:_T', '15:F', '15:M', '15002:_T', '15002:F', '15002:M']);
    for (const [total, f, m] of [d.series.slice(0, 3), d.series.slice(3, 6)]) {
      expect(total.breakdown.dimension).toBe('SEX');
      expect(f.periods).toEqual(total.periods);
      total.values.forEach((v: number, i: number) => expect(f.values[i] + m.values[i]).toBe(v));
    }
  });

  it('without codes, a breakdown gives the total and every part with data', async () => {
    const d = await t.data(`{ series(indicatorCodes: ["C6"], regionCodes: ["15"], breakdown: { dimension: SEX }) { breakdown { code } } }`);
    expect(d.series.map((s: any) => s.breakdown.code)).toEqual(['_T', 'F', 'M']);
  });

  it('reaches series from a region and from an indicator', async () => {
    const d = await t.data(`{ region(code: "15083") { series(indicatorCodes: ["C1"], from: "2023", to: "2023") { indicator { code } values } }
      indicator(code: "C1") { series(regionCodes: ["15083"], from: "2023", to: "2023") { region { code } values } } }`);
    expect(d.region.series[0].values).toEqual(d.indicator.series[0].values);
    expect(d.indicator.series[0].region.code).toBe('15083');
  });

  it('carries the status cases of official statistics', async () => {
    const d = await t.data(`{ g1: series(indicatorCodes: ["G1"], regionCodes: ["15084"]) { points { value status symbol confidential } }
      later: series(indicatorCodes: ["G2"], regionCodes: ["15084"], latest: 1) { points { value status symbol } }
      gem: series(indicatorCodes: ["D1"], regionLevel: GEMEINDE, parentCode: "15084") { points { value status symbol confidential numerator } } }`,
      undefined,
      'statistik-editor',
    );
    expect(d.g1[0].points.length).toBeGreaterThan(0);
    expect(d.g1[0].points.every((p: any) => p.value === null && p.status === 'M' && p.symbol === 'x' && !p.confidential)).toBe(true);
    expect(d.later[0].points[0]).toEqual({ value: null, status: 'O', symbol: '...' });
    const cells = d.gem.flatMap((s: any) => s.points);
    const secret = cells.filter((p: any) => p.symbol === '.');
    expect(secret.length).toBeGreaterThan(0);
    expect(secret.every((p: any) => p.value === null && p.numerator === null && p.status === 'Q' && p.confidential)).toBe(true);
    expect(cells.filter((p: any) => p.numerator !== null).every((p: any) => p.numerator === 0 || p.numerator >= 3)).toBe(true);
  });
});

describe('bad input', () => {
  const series = (args: string) => `{ series(${args}) { periods } }`;
  const big = JSON.stringify(Array.from({ length: 501 }, (_, i) => `X${i}`));
  it.each([
    ['unknown indicator codes are named', series(`indicatorCodes: ["C1", "NOPE", "ZZ"], regionCodes: ["15"]`), { argument: 'indicatorCodes', unknownCodes: ['NOPE', 'ZZ'] }],
    ['unknown region codes are named', series(`indicatorCodes: ["C1"], regionCodes: ["15", "99999"]`), { argument: 'regionCodes', unknownCodes: ['99999'] }],
    ['unknown parent', series(`indicatorCodes: ["C1"], regionLevel: KREIS, parentCode: "16"`), { argument: 'parentCode', unknownCodes: ['16'] }],
    ['malformed from', series(`indicatorCodes: ["C1"], regionCodes: ["15"], from: "2023/25"`), { argument: 'from' }],
    ['malformed to', series(`indicatorCodes: ["C1"], regionCodes: ["15"], to: "31.12.2023"`), { argument: 'to' }],
    ['from after to', series(`indicatorCodes: ["C1"], regionCodes: ["15"], from: "2024", to: "2020"`), { argument: 'from' }],
    ['empty indicator list', series(`indicatorCodes: [], regionCodes: ["15"]`), { argument: 'indicatorCodes' }],
    ['empty region list', series(`indicatorCodes: ["C1"], regionCodes: []`), { argument: 'regionCodes' }],
    ['oversized list (limit 500)', series(`indicatorCodes: ${big}, regionCodes: ["15"]`), { argument: 'indicatorCodes' }],
    ['regions given twice', series(`indicatorCodes: ["C1"], regionCodes: ["15"], regionLevel: KREIS`), { argument: 'regionCodes' }],
    ['no regions', series(`indicatorCodes: ["C1"]`), { argument: 'regionCodes' }],
    ['latest out of range', series(`indicatorCodes: ["C1"], regionCodes: ["15"], latest: 0`), { argument: 'latest' }],
    ['unknown sex code', series(`indicatorCodes: ["D6"], regionCodes: ["15"], breakdown: { dimension: SEX, codes: ["X"] }`), { unknownCodes: ['X'] }],
    ['bad cursor', `{ indicators(after: "bm9wZQ") { totalCount } }`, { argument: 'after' }],
    ['page size', `{ indicators(first: 0) { totalCount } }`, { argument: 'first' }],
  ])('%s → BAD_USER_INPUT', async (_name, query, extensions) => {
    const res = await t.gql(query);
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', ...extensions });
    if ('unknownCodes' in extensions) expect(res.body.errors![0].extensions!.unknownCodes).toEqual(extensions.unknownCodes);
  });

  it('admits 100 codes in one list (a whole catalogue at once)', async () => {
    const codes = ['C1', ...Array.from({ length: 99 }, () => 'C1')];
    const d = await t.data(`query($c: [String!]!) { series(indicatorCodes: $c, regionCodes: ["15"], latest: 1) { periods } }`, { c: codes });
    expect(d.series).toHaveLength(1);
  });

  it('a wrong variable type is a BAD_USER_INPUT, a syntax error GRAPHQL_PARSE_FAILED, an unknown field GRAPHQL_VALIDATION_FAILED', async () => {
    const wrongType = await t.gql(`query($n: Int) { indicators(first: $n) { totalCount } }`, { n: 'ten' });
    expect(wrongType.body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    const parse = await t.gql(`{ regions { code `);
    expect(parse.body.errors![0].extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    const validation = await t.gql(`{ regions { nope } }`);
    expect(validation.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('HTTP', () => {
  it('serves queries over GET with the preflight header, and refuses a GET without it (CSRF prevention)', async () => {
    const url = `${t.baseUrl}/graphql?query=${encodeURIComponent('{ region(code: "15") { name } }')}`;
    const ok = await fetch(url, { headers: { 'Apollo-Require-Preflight': 'true' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { region: { name: 'Sachsen-Anhalt' } } });
    const refused = await fetch(url);
    expect(refused.status).toBe(400);
  });

  it('answers /livez and /readyz', async () => {
    const live = await fetch(`${t.baseUrl}/livez`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${t.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
