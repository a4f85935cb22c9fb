import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { suppressionPattern } from '../src/access/suppression.service';
import { DEMO_TIMESTAMP, generateDemoData, parseCsv, readReferenceCsv, type ObservationRow } from './demo-data';

const data = generateDemoData();
const referenceCsv = (file: string) => fs.readFileSync(path.join(__dirname, 'reference', file), 'utf8');

const regionById = new Map(data.regions.map((r) => [r.id, r]));
const regionByCode = new Map(data.regions.map((r) => [r.code, r]));
const indicatorByCode = new Map(data.indicators.map((i) => [i.code, i]));
const kreise = data.regions.filter((r) => r.level === 'KREIS');
/** The Land's catalogue (indicators.csv); the model Kommunen's own indicators follow it. */
const catalogue = data.indicators.slice(0, 21);
const official = data.observations.filter((o) => o.indicatorId <= 21);
const gemeindenOf = (kreisCode: string) => data.regions.filter((r) => r.parentId === regionByCode.get(kreisCode)!.id);

/** Current rows by indicator code, region code, breakdown code and period code. */
const cells = new Map<string, ObservationRow>();
for (const o of data.observations) {
  const key = [data.indicators[o.indicatorId - 1].code, regionById.get(o.regionId)!.code, o.breakdownCode, o.period].join('|');
  cells.set(key, o);
}
const cell = (indicator: string, region: string, period: string, breakdown = '_T') => cells.get([indicator, region, breakdown, period].join('|'));
const periodsOf = (indicator: string, region = '15') => [...cells.values()]
  .filter((o) => o.indicatorId === indicatorByCode.get(indicator)!.id && o.regionId === regionByCode.get(region)!.id && o.breakdownCode === '_T')
  .map((o) => o.period);

/** The multiplier that turns numerator / denominator into the published value. */
const MULTIPLIER: Record<string, number> = { '%': 100, 'per 1000 inhabitants': 1000, 'children per FTE': 1 };
const rounded = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('reference files', () => {
  it('parses quoted fields with commas', () => {
    expect(parseCsv('a,b,c\n1,"x, y",""""\n')).toEqual([{ a: '1', b: 'x, y', c: '"' }]);
    expect(readReferenceCsv('indicators.csv').find((r) => r.code === 'A3')!.typical_kreis_range).toBe('10-20, Halle 25-30');
  });
});

describe('regions and organizations', () => {
  it('has Germany, the Land, 14 Kreise and the 67 Gemeinden of 15083 and 15084 with fixed ids', () => {
    const count = (level: string) => data.regions.filter((r) => r.level === level).length;
    expect([count('BUND'), count('LAND'), count('KREIS'), count('GEMEINDE')]).toEqual([1, 1, 14, 67]);
    expect(regionByCode.get('DG')).toMatchObject({ id: 1, name: 'Deutschland', kind: 'STAAT', parentId: null });
    expect(regionByCode.get('15')).toMatchObject({ id: 2, name: 'Sachsen-Anhalt', parentId: 1 });
    expect(kreise.map((k) => k.id)).toEqual(Array.from({ length: 14 }, (_, i) => 3 + i));
    expect(kreise.map((k) => k.code)).toEqual([...kreise.map((k) => k.code)].sort());
    expect(kreise.every((k) => k.parentId === 2)).toBe(true);
    expect(regionByCode.get('15002')).toMatchObject({ name: 'Halle (Saale)', kind: 'KREISFREIE_STADT', validFrom: '2007-07-01' });
    expect(regionByCode.get('15084')).toMatchObject({ name: 'Burgenlandkreis', kind: 'LANDKREIS' });
    const gemeinden = data.regions.filter((r) => r.level === 'GEMEINDE');
    expect(gemeinden.map((g) => g.code)).toEqual([...gemeinden.map((g) => g.code)].sort());
    expect(gemeinden[0].id).toBe(17);
    expect(gemeindenOf('15083')).toHaveLength(34);
    expect(gemeindenOf('15084')).toHaveLength(33);
    expect(regionByCode.get('15084355')).toMatchObject({ name: 'Naumburg (Saale)', kind: 'STADT' });
    expect(regionByCode.get('15084013')).toMatchObject({ name: 'Meineweh', kind: 'GEMEINDE' });
  });

  it('has the Land bodies, Destatis and one Bildungsbüro per Kreis', () => {
    expect(data.organizations.slice(0, 3).map((o) => [o.id, o.code, o.kind, o.regionId])).toEqual([
      [1, 'destatis', 'FEDERAL', 1],
      [2, 'ministerium-15', 'LAND', 2],
      [3, 'statistik-15', 'LAND', 2],
    ]);
    const offices = data.organizations.filter((o) => o.kind === 'KOMMUNE');
    expect(offices.map((o) => o.regionId)).toEqual(kreise.map((k) => k.id));
    expect(offices.find((o) => o.code === 'bildungsbuero-15084')!.name).toBe('Bildungsbüro Burgenlandkreis');
  });

  it('has the education areas A to G', () => {
    expect(data.educationAreas.map((a) => a.code).join('')).toBe('ABCDEFG');
    expect(data.educationAreas[2]).toEqual({ code: 'C', name: 'Frühkindliche Bildung', nameEn: 'Early childhood education', sortOrder: 3 });
  });
});

describe('indicators', () => {
  it('are the 21 rows of indicators.csv, in its order, with ids 1..21, then the three of the model Kommunen', () => {
    const codes = [...referenceCsv('indicators.csv').matchAll(/^([A-Z]\d+b?),/gm)].map((m) => m[1]);
    expect(codes).toHaveLength(21);
    expect(data.indicators.map((i) => i.code)).toEqual([...codes, 'K15084-KITA', 'K15083-VHS', 'K15002-SSA']);
    expect(data.indicators.map((i) => i.id)).toEqual([...codes, 1, 2, 3].map((_, i) => i + 1));
  });

  it('carry period type, reference day, levels, breakdowns and owner as the catalogue says', () => {
    const pick = (code: string) => {
      const i = indicatorByCode.get(code)!;
      return [i.periodType, i.referenceDay, i.aggregation, i.levels, i.breakdowns, i.decimals, i.ownerOrgId];
    };
    expect(pick('A1')).toEqual(['YEAR', '31.12.', 'SUM', ['LAND', 'KREIS', 'GEMEINDE'], [], 0, 3]);
    expect(pick('B1')).toEqual(['STICHTAG', null, 'RATIO', ['BUND', 'LAND', 'KREIS'], [], 1, 3]);
    expect(pick('C1')).toEqual(['YEAR', '01.03.', 'RATIO', ['BUND', 'LAND', 'KREIS', 'GEMEINDE'], [], 1, 3]);
    expect(pick('D6')).toEqual(['SCHOOL_YEAR', null, 'SUM', ['LAND', 'KREIS', 'GEMEINDE'], ['SEX'], 0, 3]);
    expect(pick('G1')).toEqual(['YEAR', null, 'NONE', ['BUND'], [], 1, 1]);
    expect(indicatorByCode.get('C6')!.breakdowns).toEqual(['SEX']);
    for (const i of data.indicators) {
      expect(i.source).toMatch(/; synthetic demo data$/);
      if (i.unit === '%') expect([i.validMin, i.validMax]).toEqual([0, 100]);
    }
  });
});

describe('observations', () => {
  it('have unique sequential ids and one current row per indicator, region, breakdown and period', () => {
    expect(data.observations.map((o) => o.id)).toEqual(data.observations.map((_, i) => i + 1));
    expect(cells.size).toBe(data.observations.length);
  });

  it('use the period codes of the public contract', () => {
    for (const o of data.observations) {
      const type = data.indicators[o.indicatorId - 1].periodType;
      if (type === 'YEAR') expect([o.period, o.periodStart]).toEqual([o.period, `${o.period}-01-01`]);
      if (type === 'SCHOOL_YEAR') {
        const start = Number(o.period.slice(0, 4));
        expect(o.period).toBe(`${start}/${String((start + 1) % 100).padStart(2, '0')}`);
        expect(o.periodStart).toBe(`${start}-08-01`);
      }
      if (type === 'STICHTAG') expect(o.period).toBe(o.periodStart);
    }
    expect(periodsOf('C1', '15083')).toEqual(Array.from({ length: 13 }, (_, i) => String(2012 + i)));
    expect(periodsOf('D1', '15001')[0]).toBe('2011/12');
    expect(periodsOf('B2')).toEqual(['2011-05-09', '2022-05-15']);
  });

  it('give the Kreise their published population and the Land the sum of it', () => {
    for (const row of readReferenceCsv('regions-sachsen-anhalt.csv')) {
      expect(cell('A1', row.ags, '2023')!.value).toBe(Number(row.population_2023_12_31));
      expect(cell('A1', row.ags, '2018')!.value).toBe(Number(row.population_2018_12_31));
    }
    expect(cell('A1', '15', '2023')!.value).toBe(2180448);
  });

  it('give the Gemeinden populations that add up to their Kreis in every year', () => {
    for (const row of readReferenceCsv('gemeinden-15084-15083.csv')) expect(cell('A1', row.ags, '2023')!.value).toBe(Number(row.population));
    for (const kreis of ['15083', '15084']) {
      for (const year of periodsOf('A1', kreis)) {
        expect(sum(gemeindenOf(kreis).map((g) => cell('A1', g.code, year)!.value!))).toBe(cell('A1', kreis, year)!.value);
      }
    }
  });

  it('compute the Land from the Kreise by the rule: Σ for counts, Σnumerator/Σdenominator for rates', () => {
    let differsFromMean = 0;
    for (const indicator of catalogue.filter((i) => i.aggregation !== 'NONE')) {
      for (const period of periodsOf(indicator.code)) {
        const land = cell(indicator.code, '15', period)!;
        const parts = kreise.map((k) => cell(indicator.code, k.code, period)!);
        if (land.status === 'O') {
          expect(parts.every((p) => p.status === 'O')).toBe(true);
          continue;
        }
        if (indicator.aggregation === 'SUM') {
          expect(land.value).toBe(sum(parts.map((p) => p.value!)));
          continue;
        }
        const num = sum(parts.map((p) => p.numerator!));
        const den = sum(parts.map((p) => p.denominator!));
        expect([land.numerator, land.denominator]).toEqual([num, den]);
        expect(land.value).toBe(rounded((num / den) * MULTIPLIER[indicator.unit], indicator.decimals));
        const mean = rounded(sum(parts.map((p) => p.value!)) / parts.length, indicator.decimals);
        if (mean !== land.value) differsFromMean++;
      }
    }
    // The check above would catch a mean of the Kreis rates: it differs in most periods.
    expect(differsFromMean).toBeGreaterThan(100);
  });

  it('make the Kreise 15083 and 15084 the aggregate of their Gemeinden', () => {
    for (const indicator of catalogue.filter((i) => i.levels.includes('GEMEINDE'))) {
      for (const kreis of ['15083', '15084']) {
        for (const period of periodsOf(indicator.code, kreis)) {
          const total = cell(indicator.code, kreis, period)!;
          const parts = gemeindenOf(kreis).map((g) => cell(indicator.code, g.code, period)!);
          if (indicator.aggregation === 'SUM') {
            expect(total.value).toBe(sum(parts.map((p) => p.value!)));
            continue;
          }
          expect(total.denominator).toBe(sum(parts.map((p) => p.denominator!)));
          const hiddenPart = total.numerator! - sum(parts.filter((p) => p.status !== 'Q').map((p) => p.numerator!));
          // What the hidden Gemeinden hold together; nothing when none is hidden.
          if (parts.some((p) => p.status === 'Q')) expect(hiddenPart).toBeGreaterThan(0);
          else expect(hiddenPart).toBe(0);
          for (const p of parts.filter((p) => p.status !== 'Q')) {
            expect(p.value).toBe(rounded((p.numerator! / p.denominator!) * MULTIPLIER[indicator.unit], indicator.decimals));
          }
        }
      }
    }
  });

  it('give D1 and D5 the published D6 counts as denominator', () => {
    for (const region of ['15', '15002', '15084', '15084355']) {
      for (const period of periodsOf('D1', region)) expect(cell('D1', region, period)!.denominator).toBe(cell('D6', region, period)!.value);
    }
    expect(cell('D5', '15083', '2023/24')!.denominator).toBe(cell('D6', '15083', '2023/24')!.value);
  });

  it('break C6 and D6 down by sex at Kreis and Land level, parts adding up to the total', () => {
    let checked = 0;
    for (const code of ['C6', 'D6']) {
      for (const region of ['15', ...kreise.map((k) => k.code)]) {
        for (const period of periodsOf(code, region)) {
          const [total, f, m] = ['_T', 'F', 'M'].map((b) => cell(code, region, period, b)!);
          expect([f.breakdownDimension, m.breakdownDimension, total.breakdownDimension]).toEqual(['SEX', 'SEX', '']);
          expect(f.value! + m.value!).toBe(total.value);
          expect(f.value! / total.value!).toBeGreaterThan(0.44);
          expect(f.value! / total.value!).toBeLessThan(0.52);
          checked++;
        }
      }
      for (const period of periodsOf(code)) {
        expect(cell(code, '15', period, 'F')!.value).toBe(sum(kreise.map((k) => cell(code, k.code, period, 'F')!.value!)));
      }
    }
    expect(checked).toBe(2 * 15 * 13);
  });

  it('carry every status case, each with its symbol, and never a number with a missing-value symbol', () => {
    const seen = new Set(data.observations.map((o) => `${o.status}${o.symbol}`));
    for (const kind of ['A', 'A-', 'Q.', 'Mx', 'O...', 'Pp']) expect(seen).toContain(kind);
    expect([...seen].sort()).toEqual(['A', 'A-', 'Mx', 'O...', 'Pp', 'Q.']);
    for (const o of data.observations) {
      if (['.', 'x', '...', '/'].includes(o.symbol)) expect([o.value, o.numerator]).toEqual([null, null]);
      else expect(o.value).not.toBeNull();
      if (o.symbol === '-') expect([o.value, o.numerator ?? 0]).toEqual([0, 0]);
    }
    expect(cell('G1', '15084', '2018')).toMatchObject({ value: null, status: 'M', symbol: 'x' });
    expect(cell('G2', '15', '2024')).toMatchObject({ value: null, status: 'O', symbol: '...' });
    expect(cell('C1', '15002', '2024')).toMatchObject({ value: 53.5, status: 'P', symbol: 'p' });
    expect(cell('C1', '15002', '2023')).toMatchObject({ status: 'A', symbol: '' });
  });

  it('keep every Kreis value inside the typical Kreis range of indicators.csv', () => {
    let checked = 0;
    for (const row of readReferenceCsv('indicators.csv')) {
      const main = /^([\d.]+)-([\d.]+)/.exec(row.typical_kreis_range);
      if (!main) continue;
      const special = /, (\S+) ([\d.]+)-([\d.]+)/.exec(row.typical_kreis_range);
      for (const kreis of kreise) {
        const [lo, hi] = special && kreis.name.startsWith(special[1]) ? [special[2], special[3]] : [main[1], main[2]];
        for (const period of periodsOf(row.code, kreis.code)) {
          const value = cell(row.code, kreis.code, period)!.value;
          if (value === null) continue;
          expect(value, `${row.code} ${kreis.code} ${period}`).toBeGreaterThanOrEqual(Number(lo));
          expect(value, `${row.code} ${kreis.code} ${period}`).toBeLessThanOrEqual(Number(hi));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('match the reference values it is modelled on', () => {
    expect(cell('C1', '15083', '2023')!.value).toBe(63.3);
    expect(cell('C1', '15002', '2024')!.value).toBe(53.5);
    expect(cell('C1', '15001', '2024')!.value).toBe(53.2);
    expect(cell('C1', '15', '2023')!.value).toBe(59.0);
    expect(cell('D1', '15', '2021/22')!.value).toBe(11.8);
    for (const period of periodsOf('D1', '15002')) expect(cell('D1', '15002', period)!.value).toBeGreaterThan(15);
    const d1 = kreise.map((k) => cell('D1', k.code, '2021/22')!.value!);
    expect(Math.max(...d1)).toBe(cell('D1', '15002', '2021/22')!.value);
  });

  it('give Germany the reference values only, without numerator and denominator', () => {
    expect(cell('C1', 'DG', '2023')).toMatchObject({ value: 36.4, numerator: null, denominator: null, ownerOrgId: 1 });
    expect(cell('D1', 'DG', '2021/22')!.value).toBe(6.8);
    expect(cell('B1', 'DG', '2022-05-15')!.value).toBe(6.9);
    expect(periodsOf('G1', 'DG').map((p) => cell('G1', 'DG', p)!.value)).toEqual([50, 54, 58]);
    const bund = data.observations.filter((o) => o.regionId === 1);
    expect(bund).toHaveLength(12);
    expect(bund.every((o) => o.numerator === null && o.denominator === null && o.status === 'A')).toBe(true);
  });

  it('show no Gemeinde count of 1 or 2, and no hidden count that subtraction could recover', () => {
    for (const indicator of catalogue.filter((i) => i.levels.includes('GEMEINDE'))) {
      for (const kreis of ['15083', '15084']) {
        for (const period of periodsOf(indicator.code, kreis)) {
          const group = [kreis, ...gemeindenOf(kreis).map((g) => g.code)].map((code) => cell(indicator.code, code, period)!);
          for (const o of group.filter((o) => o.status !== 'Q')) {
            const counts = indicator.aggregation === 'SUM' ? [o.value] : [o.numerator, o.denominator];
            for (const c of counts) expect([1, 2]).not.toContain(c);
          }
          expect(group.filter((o) => o.status === 'Q').length).not.toBe(1);
        }
      }
    }
    expect(data.observations.filter((o) => o.status === 'Q').length).toBeGreaterThan(100);
  });

  it('are released, owned by the statistical office (Destatis for Germany) and say they are synthetic', () => {
    for (const o of official) {
      expect(o).toMatchObject({ releaseState: 'RELEASED', releasedBy: 'seed', releasedAt: '2025-06-30T00:00:00Z', version: 1 });
      expect(o.ownerOrgId).toBe(o.regionId === 1 ? 1 : 3);
      expect(o.sourceNote).toMatch(/demo data/i);
    }
  });

  it('are the same on every run', () => {
    expect(JSON.stringify(generateDemoData())).toBe(JSON.stringify(data));
  });
});

describe("the model Kommunen's own data", () => {
  const orgByCode = new Map(data.organizations.map((o) => [o.code, o]));
  const kommune = data.observations.filter((o) => o.indicatorId > 21);
  const released = kommune.filter((o) => o.releaseState === 'RELEASED');
  const THRESHOLD = 3;
  /** The pattern the seed stores for these cells (src/access/suppression.service.ts). */
  const hidden = suppressionPattern(
    released.map((o) => ({
      id: String(o.id),
      table: `${o.indicatorId}|${o.period}`,
      regionId: o.regionId,
      parentRegionId: regionById.get(o.regionId)!.parentId,
      dimension: o.breakdownDimension,
      code: o.breakdownCode,
      count: data.indicators[o.indicatorId - 1].aggregation === 'RATIO' ? o.numerator : o.value,
    })),
    THRESHOLD,
  );
  const isHidden = (o: ObservationRow | undefined) => hidden.has(String(o!.id));
  const count = (o: ObservationRow) => (o.numerator ?? o.value)!;
  const periodsOfIndicator = (code: string) => [...new Set(kommune.filter((o) => o.indicatorId === indicatorByCode.get(code)!.id).map((o) => o.period))];

  it('are one indicator per model Kommune, owned by its Bildungsbüro, one each PUBLIC, PARTNERS and OWNER', () => {
    const pick = (code: string) => {
      const i = indicatorByCode.get(code)!;
      return [i.id, data.organizations.find((o) => o.id === i.ownerOrgId)!.code, i.visibility, i.aggregation, i.areaCode, i.levels, i.breakdowns];
    };
    expect(pick('K15084-KITA')).toEqual([22, 'bildungsbuero-15084', 'OWNER', 'SUM', 'C', ['KREIS', 'GEMEINDE'], []]);
    expect(pick('K15083-VHS')).toEqual([23, 'bildungsbuero-15083', 'PUBLIC', 'SUM', 'G', ['KREIS', 'GEMEINDE'], ['SEX']]);
    expect(pick('K15002-SSA')).toEqual([24, 'bildungsbuero-15002', 'PARTNERS', 'RATIO', 'D', ['KREIS'], ['SCHOOL_TYPE']]);
    for (const o of kommune) {
      expect(o).toMatchObject({ sourceCleared: false, status: 'A', ownerOrgId: data.indicators[o.indicatorId - 1].ownerOrgId });
      expect(o.uploadedBy).toMatch(/^demo:/);
      expect(o.sourceNote).toMatch(/demo data; not official figures$/);
    }
    expect(kommune).toHaveLength(5 * 34 + 5 * 35 * 3 + 5 * 7);
  });

  it('have a draft of the latest period per model Kommune, with an internal note and its uploader, and the earlier periods released', () => {
    for (const [code, latest] of [['K15084-KITA', '2025'], ['K15083-VHS', '2024'], ['K15002-SSA', '2024/25']]) {
      const cellsOf = kommune.filter((o) => o.indicatorId === indicatorByCode.get(code)!.id);
      const drafts = cellsOf.filter((o) => o.releaseState === 'DRAFT');
      expect(drafts.length).toBeGreaterThan(0);
      expect(new Set(drafts.map((o) => o.period))).toEqual(new Set([latest]));
      expect(cellsOf.filter((o) => o.period === latest).every((o) => o.releaseState === 'DRAFT')).toBe(true);
      for (const o of drafts) {
        expect([o.releasedAt, o.releasedBy]).toEqual([null, null]);
        expect(o.internalNote).toBeTruthy();
        expect(o.uploadedBy).toBe(`demo:${{ 'K15084-KITA': 'burgenlandkreis', 'K15083-VHS': 'boerde', 'K15002-SSA': 'halle' }[code]}-editor`);
      }
      expect(periodsOfIndicator(code).filter((p) => p !== latest).length).toBe(4);
      expect(cellsOf.filter((o) => o.period !== latest).every((o) => o.releaseState === 'RELEASED' && o.releasedBy === o.uploadedBy)).toBe(true);
    }
    // Released cells with a note too: the owner's Kreis totals.
    expect(released.filter((o) => o.internalNote !== null).map((o) => regionById.get(o.regionId)!.code)).toEqual(expect.arrayContaining(['15084', '15083', '15002']));
    expect(official.every((o) => o.releaseState === 'RELEASED' && o.internalNote === null && o.uploadedBy === null)).toBe(true);
  });

  it('add up: Gemeinden to their Kreis, women and men to the total, school types to all schools', () => {
    for (const period of periodsOfIndicator('K15084-KITA')) {
      expect(sum(gemeindenOf('15084').map((g) => cell('K15084-KITA', g.code, period)!.value!))).toBe(cell('K15084-KITA', '15084', period)!.value);
    }
    let checked = 0;
    for (const period of periodsOfIndicator('K15083-VHS')) {
      for (const region of ['15083', ...gemeindenOf('15083').map((g) => g.code)]) {
        const [t, f, m] = ['_T', 'F', 'M'].map((b) => cell('K15083-VHS', region, period, b)!);
        expect(f.value! + m.value!).toBe(t.value);
        expect([f.breakdownDimension, m.breakdownDimension]).toEqual(['SEX', 'SEX']);
        checked++;
      }
      for (const b of ['_T', 'F', 'M']) {
        expect(sum(gemeindenOf('15083').map((g) => cell('K15083-VHS', g.code, period, b)!.value!))).toBe(cell('K15083-VHS', '15083', period, b)!.value);
      }
    }
    expect(checked).toBe(5 * 35);
    for (const period of periodsOfIndicator('K15002-SSA')) {
      const total = cell('K15002-SSA', '15002', period)!;
      const parts = ['GS', 'SEK', 'GMS', 'IGS', 'GYM', 'FOES'].map((b) => cell('K15002-SSA', '15002', period, b)!);
      expect([sum(parts.map((p) => p.numerator!)), sum(parts.map((p) => p.denominator!))]).toEqual([total.numerator, total.denominator]);
      for (const c of [total, ...parts]) expect(c.value).toBe(rounded((c.numerator! / c.denominator!) * 100, 1));
    }
  });

  it('are released by the releases recorded for them: one per released period, one withdrawn and released again, embargoes', () => {
    expect(data.releases.map((r) => r.id)).toEqual(data.releases.map((_, i) => i + 1));
    expect(data.releases.map((r) => r.releasedAt)).toEqual(data.releases.map((r) => r.releasedAt).sort());
    const standing = data.releases.filter((r) => r.withdrawnAt === null);
    expect(standing).toHaveLength(12);
    for (const r of data.releases) {
      const inRange = kommune.filter((o) => o.indicatorId === r.indicatorId && r.regionIds.includes(o.regionId) && o.periodStart >= r.periodFrom && o.periodStart <= r.periodTo);
      expect(r.cells).toBe(inRange.length);
      expect(r.ownerOrgId).toBe(data.indicators[r.indicatorId - 1].ownerOrgId);
      expect(r.effectiveAt >= r.releasedAt).toBe(true);
      expect(r.reason.trim()).not.toBe('');
      // A standing release's cells are exactly those released at its instant (withdrawal relies on it).
      if (r.withdrawnAt === null) expect(inRange.every((o) => o.releasedAt === r.effectiveAt)).toBe(true);
      else expect(inRange.some((o) => o.releasedAt === r.effectiveAt)).toBe(false);
    }
    expect(sum(standing.map((r) => r.cells))).toBe(released.length);
    const withdrawn = data.releases.find((r) => r.withdrawnAt !== null)!;
    expect(withdrawn).toMatchObject({ indicatorId: 22, periodFrom: '2022-01-01', withdrawnBy: 'demo:burgenlandkreis-editor' });
    expect(withdrawn.withdrawReason).toBeTruthy();
    expect(data.releases.filter((r) => r.effectiveAt > r.releasedAt).map((r) => r.indicatorId)).toEqual([23, 23, 23, 23]);
  });

  it('get primary and secondary suppression, and the stored pattern leaves no group with exactly one hidden cell', () => {
    for (const code of ['K15083-VHS', 'K15002-SSA']) {
      const mine = released.filter((o) => o.indicatorId === indicatorByCode.get(code)!.id);
      const primary = mine.filter((o) => isHidden(o) && count(o) > 0 && count(o) < THRESHOLD);
      const secondary = mine.filter((o) => isHidden(o) && count(o) >= THRESHOLD);
      expect(primary.length, code).toBeGreaterThan(3);
      expect(secondary.length, code).toBeGreaterThan(2);
      // Every count below the threshold (but 0) is hidden.
      expect(mine.filter((o) => !isHidden(o) && count(o) > 0 && count(o) < THRESHOLD)).toEqual([]);
    }
    expect(released.filter((o) => o.indicatorId === 22 && isHidden(o))).toEqual([]);
    expect(hidden.size).toBe(78 + 8);

    // The additive groups, written out here: Kreis and Gemeinden per sex code, and total and parts per region.
    const groups: Array<Array<ObservationRow | undefined>> = [];
    for (const period of periodsOfIndicator('K15084-KITA').slice(0, 4)) groups.push(['15084', ...gemeindenOf('15084').map((g) => g.code)].map((r) => cell('K15084-KITA', r, period)));
    for (const period of periodsOfIndicator('K15083-VHS').slice(0, 4)) {
      const regions = ['15083', ...gemeindenOf('15083').map((g) => g.code)];
      for (const b of ['_T', 'F', 'M']) groups.push(regions.map((r) => cell('K15083-VHS', r, period, b)));
      for (const r of regions) groups.push(['_T', 'F', 'M'].map((b) => cell('K15083-VHS', r, period, b)));
    }
    for (const period of periodsOfIndicator('K15002-SSA').slice(0, 4)) groups.push(['_T', 'GS', 'SEK', 'GMS', 'IGS', 'GYM', 'FOES'].map((b) => cell('K15002-SSA', '15002', period, b)));
    expect(groups).toHaveLength(4 + 4 * (3 + 35) + 4);
    for (const group of groups) {
      expect(group.every((o) => o?.releaseState === 'RELEASED')).toBe(true);
      expect(group.filter(isHidden).length).not.toBe(1);
    }
  });

  it('are shared with the Land by agreements: three in force, one expired, one revoked', () => {
    const land = orgByCode.get('ministerium-15')!.id;
    const office = (kreis: string) => orgByCode.get(`bildungsbuero-${kreis}`)!.id;
    expect(data.agreements.map((a) => a.id)).toEqual([1, 2, 3, 4, 5]);
    for (const a of data.agreements) {
      expect(a.recipientOrgId).toBe(land);
      expect(a.purpose.trim()).not.toBe('');
      expect(a.legalBasis.trim()).not.toBe('');
      expect(a.indicatorIds !== null || a.areaCodes !== null).toBe(true);
      expect([a.providerOrgId, land]).toContain(a.proposedByOrgId);
    }
    expect(new Set(data.agreements.map((a) => a.providerOrgId))).toEqual(new Set(['15084', '15083', '15002'].map(office)));
    const today = DEMO_TIMESTAMP.slice(0, 10);
    const inForce = data.agreements.filter((a) => a.state === 'ACTIVE' && a.validFrom <= today && (a.validTo === null || a.validTo >= today));
    expect(inForce.map((a) => [a.providerOrgId, a.detail])).toEqual([
      [office('15002'), 'COUNTS'],
      [office('15084'), 'RATES_DISCLOSURE_CONTROLLED'],
      [office('15083'), 'COUNTS'],
    ]);
    expect(data.agreements.filter((a) => a.state === 'ACTIVE' && a.validTo !== null && a.validTo < today)).toMatchObject([{ id: 4, validTo: '2024-12-31' }]);
    const revoked = data.agreements.filter((a) => a.state === 'REVOKED');
    expect(revoked).toHaveLength(1);
    expect(revoked[0].revokeReason).toBeTruthy();
    expect(revoked[0].revokedBy).toMatch(/^demo:/);
  });
});
