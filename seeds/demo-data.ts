import fs from 'node:fs';
import path from 'node:path';
import { suppressCells, type AdditiveGroup, type DisclosureCell } from '../src/access/disclosure';
import type { AggregationRule, BreakdownDimension, PeriodType, Visibility } from '../src/modules/indicators/indicator.enums';
import type { OrganizationKind } from '../src/modules/organizations/organization.entity';
import type { RegionKind, RegionLevel } from '../src/modules/regions/region.enums';
import type { ObservationStatus, ReleaseState } from '../src/modules/series/observation.enums';

/*
 * The demo data set: Sachsen-Anhalt, its 14 Kreise and the 67 Gemeinden of two model Kommunen
 * (Börde, Burgenlandkreis), the 21 indicators of seeds/reference/indicators.csv, 2012–2024; and
 * the model Kommunen's own data (Burgenlandkreis 15084, Börde 15083, Halle 15002): one indicator
 * each, released years and a draft of the latest one, the releases (Freigaben) that released
 * them, and data-sharing agreements with the Land.
 *
 * Contract:
 * - pure and deterministic: the same reference files give the same rows, byte for byte (seeded
 *   PRNG per indicator × region, no clock, no Math.random);
 * - every row has a fixed integer id (house style §11), so tests and links can name them;
 * - region, organization, indicator and education-area facts are the reference's; observations
 *   are synthetic (A1 of the Kreise excepted at 31.12.2018 and 31.12.2023), plausible, and say so
 *   in `sourceNote`; Germany's rows are the reference values themselves;
 * - aggregates are computed, never drawn: a Land row follows the indicator's rule over the Kreise,
 *   the Kreise 15083 and 15084 over their Gemeinden, sex parts add up to the total;
 * - one indicator changes its definition (G2, population basis Zensus 2022 from 2022 on:
 *   DEFINITION_CHANGES), so that the demo shows a series break;
 * - Gemeinde counts play "published official figures": below 3 they are already `.` (status Q),
 *   with secondary suppression (src/access/disclosure.ts), so no visible cell is 1 or 2;
 * - the Kommunen's own cells are not cleared at a source: they carry their true values, and the
 *   seed stores their suppression pattern with the code a release runs
 *   (src/access/suppression.service.ts). Their counts are small where they would be small in
 *   reality (VHS courses of small Gemeinden, Gymnasien with Schulsozialarbeit), so that
 *   suppression happens in the demo.
 * The row types mirror the tables of the initial migration (camelCase for snake_case columns).
 */

// ---------------------------------------------------------------------------------------------
// Row types
// ---------------------------------------------------------------------------------------------

export interface RegionRow {
  id: number;
  code: string;
  name: string;
  level: `${RegionLevel}`;
  kind: `${RegionKind}`;
  parentId: number | null;
  validFrom: string;
  validTo: string | null;
}

export interface OrganizationRow {
  id: number;
  code: string;
  name: string;
  kind: `${OrganizationKind}`;
  regionId: number;
}

export interface EducationAreaRow {
  code: string;
  name: string;
  nameEn: string;
  sortOrder: number;
}

export interface IndicatorRow {
  id: number;
  code: string;
  name: string;
  nameEn: string;
  definition: string;
  unit: string;
  decimals: number;
  areaCode: string;
  periodType: `${PeriodType}`;
  referenceDay: string | null;
  aggregation: `${AggregationRule}`;
  weightIndicatorId: number | null;
  levels: `${RegionLevel}`[];
  breakdowns: `${BreakdownDimension}`[];
  validMin: number | null;
  validMax: number | null;
  source: string;
  ownerOrgId: number;
  visibility: `${Visibility}`;
  version: number;
}

export interface ObservationRow {
  id: number;
  indicatorId: number;
  regionId: number;
  period: string;
  periodStart: string;
  breakdownDimension: string;
  breakdownCode: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  status: `${ObservationStatus}`;
  symbol: string;
  ownerOrgId: number;
  releaseState: `${ReleaseState}`;
  /** When the cell became visible beyond its owner (a release's `effectiveAt`); null for a draft. */
  releasedAt: string | null;
  releasedBy: string | null;
  version: number;
  definitionVersion: number;
  recordedAt: string;
  sourceNote: string;
  /** Published official figure, confidentiality-checked at its source (never suppressed again). */
  sourceCleared: boolean;
  /** Restricted to the owner (DESIGN §4): a Bildungsbüro's remark on its own cell. */
  internalNote: string | null;
  /** Restricted to the owner: who uploaded the cell (subject of their login). */
  uploadedBy: string | null;
}

/** A version of an indicator's definition, as in `indicator_definition`. */
export interface IndicatorDefinitionRow {
  indicatorId: number;
  version: number;
  definition: string;
  populationBasis: string | null;
  /** First day of the first period the version applies to; null: every period before the next version. */
  validFrom: string | null;
  changedAt: string;
  changedBy: string;
}

/** A release (Freigabe) of a Kommune's cells, as recorded in `data_release`. */
export interface DataReleaseRow {
  id: number;
  ownerOrgId: number;
  indicatorId: number;
  regionIds: number[];
  periodFrom: string;
  periodTo: string;
  effectiveAt: string;
  releasedAt: string;
  releasedBy: string;
  reason: string;
  cells: number;
  withdrawnAt: string | null;
  withdrawnBy: string | null;
  withdrawReason: string | null;
}

/** A data-sharing agreement (Datenbereitstellung), as in `data_sharing_agreement`. */
export interface AgreementRow {
  id: number;
  providerOrgId: number;
  recipientOrgId: number;
  indicatorIds: number[] | null;
  areaCodes: string[] | null;
  regionIds: number[] | null;
  levels: string[] | null;
  breakdowns: string[] | null;
  detail: 'COUNTS' | 'RATES_DISCLOSURE_CONTROLLED' | 'AGGREGATES_ONLY';
  purpose: string;
  legalBasis: string;
  validFrom: string;
  validTo: string | null;
  state: 'PROPOSED' | 'ACTIVE' | 'REJECTED' | 'REVOKED';
  proposedBy: string;
  proposedByOrgId: number;
  proposedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
  revokeReason: string | null;
}

export interface DemoData {
  regions: RegionRow[];
  organizations: OrganizationRow[];
  educationAreas: EducationAreaRow[];
  indicators: IndicatorRow[];
  indicatorDefinitions: IndicatorDefinitionRow[];
  observations: ObservationRow[];
  releases: DataReleaseRow[];
  agreements: AgreementRow[];
}

// ---------------------------------------------------------------------------------------------
// Constants other code may name
// ---------------------------------------------------------------------------------------------

export const GERMANY_CODE = 'DG';
export const LAND_CODE = '15';
/** The Kommunen whose Gemeinden are part of the demo (the model project has 15002 as well, one Gemeinde). */
export const KREISE_WITH_GEMEINDEN = ['15083', '15084'] as const;

/** Organization codes of the demo (DESIGN §5 demo identities refer to them). */
export const ORG_CODES = {
  destatis: 'destatis',
  ministry: 'ministerium-15',
  statisticsOffice: 'statistik-15',
} as const;

/** Code of the Bildungsbüro of a Kreis, e.g. `bildungsbuero-15084`. */
export function bildungsbueroCode(kreisCode: string): string {
  return `bildungsbuero-${kreisCode}`;
}

/** When the demo values were "released" and recorded; fixed so that the data is reproducible. */
export const DEMO_TIMESTAMP = '2025-06-30T00:00:00Z';

// ---------------------------------------------------------------------------------------------
// Reference files
// ---------------------------------------------------------------------------------------------

/**
 * The folder of the reference CSVs. Searched upward from this file, so that it is found from the
 * TypeScript source (vitest) and from the compiled `dist/seeds/` alike.
 */
function referenceDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'seeds', 'reference');
    if (fs.existsSync(path.join(candidate, 'indicators.csv'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`seeds/reference not found above ${__dirname}`);
  }
}

/** Parses CSV with a header row; quoted fields may hold commas, line breaks and `""`. */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...rows] = records.filter((r) => r.length > 1 || r[0] !== '');
  return rows.map((r) => {
    if (r.length !== header.length) throw new Error(`CSV row has ${r.length} fields, header has ${header.length}: ${r.join(',')}`);
    return Object.fromEntries(header.map((h, i) => [h, r[i]]));
  });
}

export function readReferenceCsv(file: string): Record<string, string>[] {
  return parseCsv(fs.readFileSync(path.join(referenceDir(), file), 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Determinism helpers
// ---------------------------------------------------------------------------------------------

/** FNV-1a, 32 bit: a stable seed from a string key. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small PRNG giving floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform draw in [-1, 1) from a stream keyed by e.g. indicator and region. */
function streamFor(...key: string[]): () => number {
  const next = mulberry32(hashString(key.join('|')));
  return () => next() * 2 - 1;
}

/** Code-unit order: the same everywhere, unlike localeCompare. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/** Linear interpolation through (year, value) points, constant beyond the first and last. */
function interpolate(points: Record<number, number>, year: number): number {
  const xs = Object.keys(points).map(Number); // integer keys come in ascending order
  if (year <= xs[0]) return points[xs[0]];
  for (let i = 1; i < xs.length; i++) {
    if (year <= xs[i]) return points[xs[i - 1]] + ((points[xs[i]] - points[xs[i - 1]]) * (year - xs[i - 1])) / (xs[i] - xs[i - 1]);
  }
  return points[xs[xs.length - 1]];
}

/**
 * Splits an integer total into integer parts proportional to `weights` (largest-remainder method,
 * ties to the lower index), no part above its cap. The parts always sum to `total` exactly.
 */
function allocate(total: number, weights: readonly number[], caps?: readonly number[]): number[] {
  const parts = weights.map(() => 0);
  const open = new Set(weights.map((_, i) => i));
  let rest = total;
  for (;;) {
    const ids = [...open];
    const weightSum = ids.reduce((s, i) => s + weights[i], 0);
    if (rest > 0 && !(weightSum > 0)) throw new Error(`allocate: cannot place ${rest} on zero weights`);
    const quotas = ids.map((i) => (rest * weights[i]) / weightSum);
    const floors = quotas.map(Math.floor);
    let missing = rest - floors.reduce((s, q) => s + q, 0);
    const byRemainder = ids.map((_, k) => k).sort((a, b) => quotas[b] - floors[b] - (quotas[a] - floors[a]) || a - b);
    for (const k of byRemainder) {
      if (missing === 0) break;
      floors[k]++;
      missing--;
    }
    const over = ids.filter((i, k) => caps !== undefined && floors[k] > caps[i]);
    if (over.length === 0) {
      ids.forEach((i, k) => (parts[i] = floors[k]));
      return parts;
    }
    for (const i of over) {
      parts[i] = caps![i];
      rest -= caps![i];
      open.delete(i);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------------------------

interface Period {
  code: string;
  start: string;
  /** The calendar year whose population the period uses (a school year: the year it ends). */
  year: number;
}

const FIRST_YEAR = 2012;
const LAST_YEAR = 2024;
const YEARS = Array.from({ length: LAST_YEAR - FIRST_YEAR + 1 }, (_, i) => FIRST_YEAR + i);

const yearPeriod = (y: number): Period => ({ code: String(y), start: `${y}-01-01`, year: y });
const schoolYearPeriod = (endYear: number): Period => ({
  code: `${endYear - 1}/${String(endYear % 100).padStart(2, '0')}`,
  start: `${endYear - 1}-08-01`,
  year: endYear,
});
const CENSUS_PERIODS: Period[] = [
  { code: '2011-05-09', start: '2011-05-09', year: 2011 },
  { code: '2022-05-15', start: '2022-05-15', year: 2022 },
];

function periodsOf(periodType: `${PeriodType}`): Period[] {
  if (periodType === 'SCHOOL_YEAR') return YEARS.map(schoolYearPeriod);
  if (periodType === 'STICHTAG') return CENSUS_PERIODS;
  return YEARS.map(yearPeriod);
}

/** A period code as the reference files and `bund` maps below write it. */
function periodFor(periodType: `${PeriodType}`, code: string): Period {
  if (periodType === 'SCHOOL_YEAR') return schoolYearPeriod(Number(code.slice(0, 4)) + 1);
  if (periodType === 'STICHTAG') return { code, start: code, year: Number(code.slice(0, 4)) };
  return yearPeriod(Number(code));
}

// ---------------------------------------------------------------------------------------------
// The model of each indicator
// ---------------------------------------------------------------------------------------------

/** Population groups a denominator is drawn from, as a share (%) of the population by year. */
const BASE_SHARES = {
  under3: { 2011: 2.2, 2017: 2.45, 2024: 2.05 },
  age3to5: { 2011: 2.2, 2020: 2.5, 2024: 2.3 },
  under15: { 2011: 10.8, 2024: 12.2 },
  age15plus: { 2011: 89.2, 2024: 87.8 },
  pupils: { 2012: 7.2, 2024: 8.3 },
  senPupils: { 2012: 0.8, 2024: 0.75 },
  grade4: { 2012: 0.75, 2024: 0.85 },
  sameAge: { 2012: 0.72, 2024: 0.82 },
  crecheFte: { 2012: 0.19, 2024: 0.21 },
  kindergartenFte: { 2012: 0.19, 2024: 0.22 },
} satisfies Record<string, Record<number, number>>;

/** `population` is A1; `leavers` is D6 (so D1 and D5 divide by exactly the published D6). */
type Base = keyof typeof BASE_SHARES | 'population' | 'leavers';

/** Bases that exist per Gemeinde; a Kreis with Gemeinden has their sum. */
const GEMEINDE_BASES: ReadonlySet<Base> = new Set<Base>(['population', 'under3', 'age3to5', 'leavers']);

interface Anchor {
  region: string;
  period: string;
  value: number;
}

/**
 * How an indicator's Kreis series are drawn. A rate r is numerator / denominator × multiplier; a
 * count (C6, D6) is modelled as a share of the population (multiplier 100) and published as the
 * count. Kreis values move with the Land level `land` (by period year), each Kreis with its own
 * offset, slope and noise, squeezed smoothly into the typical Kreis range; anchors pin a Kreis to
 * a value (the reference's, or a documented character such as "Halle higher").
 */
interface SeriesModel {
  kind: 'rate' | 'count';
  base: Base;
  multiplier: number;
  land: Record<number, number>;
  /** Kreis range for counts; rates take theirs from the CSV's typical_kreis_range. */
  countRange?: [number, number];
  anchors?: Anchor[];
}

interface IndicatorModel {
  /** The office that produces the real figures. */
  office: string;
  series?: SeriesModel;
  /** Values for Germany: the reference's own figures, by period code. */
  bund?: Record<string, number>;
}

const KJH = 'Statistisches Landesamt Sachsen-Anhalt, Kinder- und Jugendhilfestatistik';
const SCHOOLS = 'Statistisches Landesamt Sachsen-Anhalt, Statistik der allgemeinbildenden Schulen';
const POPULATION = 'Statistisches Landesamt Sachsen-Anhalt, Bevölkerungsfortschreibung';
const VHS = 'Deutsches Institut für Erwachsenenbildung, Volkshochschul-Statistik';

const HALLE = '15002';
const rate = (base: Base, land: Record<number, number>, anchors?: Anchor[], multiplier = 100): SeriesModel => ({
  kind: 'rate',
  base,
  multiplier,
  land,
  anchors,
});

/**
 * Land levels follow the reference values where it has them (ST …); the rest are plausible
 * guesses. Where the reference lies outside the typical Kreis range (C4 2013 6.7, C5 2013 12.6),
 * the Land level is kept inside it, since a Land cannot exceed all its Kreise.
 * Anchors: C1's are reference values; the others put the reference's remarks into numbers
 * (A3 "Halle 25-30", B2 "cities higher", D1 "Halle above 15" and 2009's highest Stendal and
 * lowest Dessau-Roßlau, D4 "Halle higher").
 */
const MODELS: Record<string, IndicatorModel> = {
  A1: { office: POPULATION },
  A2: { office: POPULATION, series: rate('population', { 2012: 14.6, 2019: 15.5, 2024: 15.9 }) },
  A3: {
    office: 'Statistik der Bundesagentur für Arbeit, Grundsicherung für Arbeitsuchende (SGB II)',
    series: rate('under15', { 2012: 19.5, 2016: 18.5, 2020: 16.0, 2024: 15.5 }, [{ region: HALLE, period: '2020', value: 27.5 }]),
  },
  B1: {
    office: 'Statistische Ämter des Bundes und der Länder, Zensus 2011 und 2022',
    series: rate('age15plus', { 2011: 5.6, 2022: 4.9 }),
    bund: { '2022-05-15': 6.9 },
  },
  B2: {
    office: 'Statistische Ämter des Bundes und der Länder, Zensus 2011 und 2022',
    series: rate('age15plus', { 2011: 20.8, 2022: 24.0 }, [
      { region: HALLE, period: '2022-05-15', value: 34.0 },
      { region: '15003', period: '2022-05-15', value: 32.5 },
    ]),
    bund: { '2022-05-15': 34.9 },
  },
  C1: {
    office: KJH,
    series: rate('under3', { 2012: 57.5, 2019: 58.2, 2023: 59.0, 2024: 59.4 }, [
      { region: '15083', period: '2023', value: 63.3 },
      { region: HALLE, period: '2024', value: 53.5 },
      { region: '15001', period: '2024', value: 53.2 },
    ]),
    bund: { '2023': 36.4 },
  },
  C2: { office: KJH, series: rate('age3to5', { 2012: 92.5, 2018: 94.0, 2024: 94.8 }) },
  C3: { office: KJH, series: rate('under3', { 2012: 49.0, 2018: 50.5, 2024: 48.5 }) },
  C4: { office: KJH, series: rate('crecheFte', { 2012: 6.4, 2013: 6.35, 2020: 5.6, 2023: 5.7, 2024: 5.65 }, undefined, 1), bund: { '2023': 4.0 } },
  C5: { office: KJH, series: rate('kindergartenFte', { 2012: 11.8, 2013: 11.8, 2020: 10.7, 2022: 10.4, 2024: 10.2 }, undefined, 1), bund: { '2022': 8.4 } },
  C6: { office: KJH, series: { kind: 'count', base: 'population', multiplier: 100, land: { 2012: 6.6, 2023: 7.073, 2024: 7.0 }, countRange: [6.0, 8.5] } },
  D1: {
    office: SCHOOLS,
    series: rate('leavers', { 2012: 12.3, 2015: 11.6, 2019: 12.2, 2022: 11.8, 2024: 12.1 }, [
      { region: HALLE, period: '2021/22', value: 15.8 },
      { region: '15090', period: '2021/22', value: 15.0 },
      { region: '15001', period: '2021/22', value: 8.4 },
    ]),
    bund: { '2021/22': 6.8 },
  },
  D1b: { office: SCHOOLS, series: rate('sameAge', { 2012: 10.5, 2021: 9.6, 2024: 9.9 }), bund: { '2021': 6.2 } },
  D2: { office: SCHOOLS, series: rate('pupils', { 2012: 7.4, 2017: 5.9, 2021: 6.5, 2023: 5.9, 2024: 5.8 }) },
  D3: { office: SCHOOLS, series: rate('senPupils', { 2012: 27, 2024: 38 }) },
  D4: {
    office: SCHOOLS,
    series: rate('grade4', { 2012: 43, 2024: 45 }, [
      { region: HALLE, period: '2023/24', value: 54.0 },
      { region: '15003', period: '2023/24', value: 50.0 },
    ]),
  },
  D5: { office: SCHOOLS, series: rate('leavers', { 2012: 30, 2024: 33 }) },
  D6: { office: SCHOOLS, series: { kind: 'count', base: 'population', multiplier: 100, land: { 2012: 0.62, 2016: 0.7, 2020: 0.74, 2024: 0.78 }, countRange: [0.55, 0.95] } },
  // The AES of 2020 is left out of the demo.
  G1: { office: 'Bundesministerium für Bildung und Forschung, Adult Education Survey (AES)', bund: { '2016': 50, '2018': 54, '2022': 58 } },
  G2: { office: VHS, series: rate('population', { 2012: 230, 2024: 210 }, undefined, 1000), bund: { '2013': 190 } },
  G3: { office: VHS, series: rate('population', { 2012: 100, 2024: 90 }, undefined, 1000), bund: { '2013': 110 } },
};

/**
 * The demo's change of definition (DESIGN §3: "a series break where the population basis
 * changes"): from the report year 2022, G2 divides by the population on the basis of the Zensus
 * 2022 instead of the Zensus 2011, as the statistical offices did once the census results came
 * out (June 2024). Its cells from 2022 on carry definition version 2, so every G2 series below
 * Germany marks 2022 with status `B` (derived when read, src/modules/series/series-break.ts).
 * The values stay the synthetic ones.
 */
export const DEFINITION_CHANGES: Record<string, { validFrom: string; definition: string; populationBasis: [before: string, after: string]; changedAt: string }> = {
  G2: {
    validFrom: '2022-01-01',
    definition: 'Unterrichtsstunden der Volkshochschulen / Einwohner x1000; Einwohner ab Berichtsjahr 2022 auf Basis des Zensus 2022 (bis 2021: Zensus 2011)',
    populationBasis: ['Zensus 2011', 'Zensus 2022'],
    changedAt: '2024-06-25T08:00:00Z',
  },
};

/** The definition versions of the catalogue's indicators: version 1 for each, and the changes above. */
function definitionHistory(indicators: IndicatorRow[], original: Map<number, string>): IndicatorDefinitionRow[] {
  return indicators.flatMap((i) => {
    const change = DEFINITION_CHANGES[i.code];
    const first: IndicatorDefinitionRow = {
      indicatorId: i.id,
      version: 1,
      definition: original.get(i.id) ?? i.definition,
      populationBasis: change?.populationBasis[0] ?? null,
      validFrom: null,
      changedAt: DEMO_TIMESTAMP,
      changedBy: 'seed',
    };
    if (!change) return [first];
    // The first version was in place before the change was recorded.
    first.changedAt = '2012-01-01T00:00:00Z';
    return [first, { indicatorId: i.id, version: 2, definition: change.definition, populationBasis: change.populationBasis[1], validFrom: change.validFrom, changedAt: change.changedAt, changedBy: 'seed' }];
  });
}

/** The definition version a cell of `indicator` for `period` is computed with. */
function definitionVersionOf(indicator: IndicatorRow, period: Period): number {
  const change = DEFINITION_CHANGES[indicator.code];
  return change && period.start >= change.validFrom ? 2 : 1;
}

/** Cells that are not plain values, by indicator and period code (all levels below Bund). */
const PROVISIONAL: Record<string, string[]> = { C1: ['2024'], C2: ['2024'], C3: ['2024'] };
const NOT_YET_PUBLISHED: Record<string, string[]> = { G2: ['2024'], G3: ['2024'] };

/** Share of girls: C6 children in day care, D6 school leavers. */
const FEMALE_SHARE: Record<string, number> = { C6: 0.487, D6: 0.475 };

// ---------------------------------------------------------------------------------------------
// Regions, organizations, areas, indicators
// ---------------------------------------------------------------------------------------------

interface KreisInfo {
  row: RegionRow;
  pop2018: number;
  pop2023: number;
}

interface GemeindeInfo {
  row: RegionRow;
  kreis: string;
  pop2023: number;
}

function buildRegions() {
  const regionCsv = readReferenceCsv('regions-sachsen-anhalt.csv');
  const gemeindeCsv = readReferenceCsv('gemeinden-15084-15083.csv').sort((a, b) => byText(a.ags, b.ags));
  const germany: RegionRow = { id: 1, code: GERMANY_CODE, name: 'Deutschland', level: 'BUND', kind: 'STAAT', parentId: null, validFrom: '1990-10-03', validTo: null };
  const landCsv = regionCsv.find((r) => r.level === 'LAND')!;
  const land: RegionRow = { id: 2, code: LAND_CODE, name: landCsv.name, level: 'LAND', kind: 'LAND', parentId: germany.id, validFrom: '1990-10-03', validTo: null };
  const kreise: KreisInfo[] = regionCsv
    .filter((r) => r.level === 'KREIS')
    .sort((a, b) => byText(a.ags, b.ags))
    .map((r, i) => ({
      row: {
        id: 3 + i,
        code: r.ags,
        name: r.name,
        level: 'KREIS',
        kind: r.kind === 'kreisfreie Stadt' ? 'KREISFREIE_STADT' : 'LANDKREIS',
        parentId: land.id,
        validFrom: '2007-07-01', // Kreisgebietsreform
        validTo: null,
      },
      pop2018: Number(r.population_2018_12_31),
      pop2023: Number(r.population_2023_12_31),
    }));
  const kreisId = new Map(kreise.map((k) => [k.row.code, k.row.id]));
  const gemeinden: GemeindeInfo[] = gemeindeCsv.map((g, i) => ({
    row: {
      id: 3 + kreise.length + i,
      code: g.ags,
      name: g.name,
      level: 'GEMEINDE',
      kind: g.kind.startsWith('Stadt') ? 'STADT' : 'GEMEINDE',
      parentId: kreisId.get(g.kreis_ags)!,
      // Synthetic: the Gemeinden took their present form on various dates of the
      // Gemeindegebietsreform (2009–2011 and later mergers); the demo gives them the Kreis date.
      validFrom: '2007-07-01',
      validTo: null,
    },
    kreis: g.kreis_ags,
    pop2023: Number(g.population),
  }));
  return { germany, land, kreise, gemeinden };
}

const EDUCATION_AREAS: EducationAreaRow[] = [
  ['A', 'Rahmenbedingungen', 'General conditions'],
  ['B', 'Grundinformationen', 'Basic information'],
  ['C', 'Frühkindliche Bildung', 'Early childhood education'],
  ['D', 'Allgemeinbildende Schulen', 'General schools'],
  ['E', 'Berufliche Bildung', 'Vocational education'],
  ['F', 'Hochschulen', 'Higher education'],
  ['G', 'Weiterbildung/Erwachsenenbildung', 'Continuing education'],
].map(([code, name, nameEn], i) => ({ code, name, nameEn, sortOrder: i + 1 }));

/**
 * The name a Bildungsbüro goes by (DESIGN §5): "Bildungsbüro Landkreis Börde", "Bildungsbüro
 * Burgenlandkreis", "Bildungsbüro Magdeburg" — the Landkreis named as such unless its name says
 * "kreis" already, the city without its title ("…, Landeshauptstadt").
 */
function bildungsbueroName(kreis: RegionRow): string {
  const name = kreis.name.replace(/, .*$/, '');
  const landkreis = kreis.kind === 'LANDKREIS' && !/kreis/i.test(name);
  return `Bildungsbüro ${landkreis ? 'Landkreis ' : ''}${name}`;
}

function buildOrganizations(germany: RegionRow, land: RegionRow, kreise: KreisInfo[]): OrganizationRow[] {
  return [
    { id: 1, code: ORG_CODES.destatis, name: 'Statistisches Bundesamt', kind: 'FEDERAL', regionId: germany.id },
    { id: 2, code: ORG_CODES.ministry, name: 'Bildungsministerium Sachsen-Anhalt', kind: 'LAND', regionId: land.id },
    { id: 3, code: ORG_CODES.statisticsOffice, name: 'Statistisches Landesamt Sachsen-Anhalt', kind: 'LAND', regionId: land.id },
    ...kreise.map((k, i): OrganizationRow => ({
      id: 4 + i,
      code: bildungsbueroCode(k.row.code),
      name: bildungsbueroName(k.row),
      kind: 'KOMMUNE',
      regionId: k.row.id,
    })),
  ];
}

function periodTypeOf(csv: string): { periodType: `${PeriodType}`; referenceDay: string | null } {
  const day = /Stichtag (\d\d\.\d\d\.)/.exec(csv)?.[1] ?? null;
  if (csv.startsWith('SCHOOL_YEAR')) return { periodType: 'SCHOOL_YEAR', referenceDay: null };
  // A census is a single Stichtag: the period code is the day itself.
  if (csv.startsWith('CENSUS')) return { periodType: 'STICHTAG', referenceDay: null };
  if (csv.startsWith('YEAR') || csv.startsWith('SURVEY')) return { periodType: 'YEAR', referenceDay: day };
  throw new Error(`indicators.csv: unknown period type "${csv}"`);
}

const VALID_BOUNDS: Record<string, [number | null, number | null]> = {
  '%': [0, 100],
  persons: [0, null],
  'children per FTE': [1, 20],
  'per 1000 inhabitants': [0, 2000],
};

function buildIndicator(csv: Record<string, string>, id: number, orgId: (code: string) => number): IndicatorRow {
  const model = MODELS[csv.code];
  if (!model) throw new Error(`indicators.csv: no demo model for ${csv.code}`);
  const bounds = VALID_BOUNDS[csv.unit];
  if (!bounds) throw new Error(`indicators.csv: unknown unit "${csv.unit}"`);
  const levels: `${RegionLevel}`[] = [];
  if (model.bund || csv.availability === 'Bund only') levels.push('BUND');
  for (const [word, level] of [['Land', 'LAND'], ['Kreis', 'KREIS'], ['Gemeinde', 'GEMEINDE']] as const) {
    if (csv.availability.split('/').includes(word)) levels.push(level);
  }
  const isBund = csv.availability === 'Bund only';
  return {
    id,
    code: csv.code,
    name: csv.name_de,
    nameEn: csv.name_en,
    definition: csv.definition,
    unit: csv.unit,
    decimals: csv.unit === 'persons' ? 0 : 1,
    areaCode: csv.theme.slice(0, 1),
    ...periodTypeOf(csv.period_type),
    aggregation: csv.aggregation as `${AggregationRule}`,
    weightIndicatorId: null,
    levels,
    breakdowns: FEMALE_SHARE[csv.code] !== undefined ? ['SEX'] : [],
    validMin: bounds[0],
    validMax: bounds[1],
    source: `${model.office}; synthetic demo data`,
    ownerOrgId: orgId(isBund ? ORG_CODES.destatis : ORG_CODES.statisticsOffice),
    visibility: 'PUBLIC',
    version: DEFINITION_CHANGES[csv.code] ? 2 : 1,
  };
}

/**
 * The typical Kreis range of indicators.csv, e.g. `14-17` or `10-20, Halle 25-30` (a range for
 * the Kreis whose name starts with the word); undefined where the column gives none.
 */
function parseTypicalRange(text: string): { range: [number, number]; exceptions: Record<string, [number, number]> } | undefined {
  const main = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)/.exec(text);
  if (!main) return undefined;
  const exceptions: Record<string, [number, number]> = {};
  for (const m of text.matchAll(/,\s*(\p{L}+) (\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)/gu)) exceptions[m[1]] = [Number(m[2]), Number(m[3])];
  return { range: [Number(main[1]), Number(main[2])], exceptions };
}

// ---------------------------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------------------------

/** Numerator and denominator of one cell; a count (SUM indicator) has no denominator. */
interface Cell {
  num: number;
  den: number | null;
}

type Range = [number, number];

/**
 * A Gemeinde's draws for one indicator: a lasting deviation of its rate from its Kreis (log
 * scale), and per period a uniform draw in [-1, 1) that scales its expected count by up to
 * e^±1/√expected, so that small counts vary about as much as real ones do (0, 1, 2, 3 …).
 */
interface GemeindeDraws {
  deviation: number;
  noise: number[];
}
type CellState = 'A' | 'P' | 'O' | 'Q';
type Published = Pick<ObservationRow, 'value' | 'numerator' | 'denominator' | 'status' | 'symbol'>;

/** D6 (all school leavers): its published counts are the denominator of D1 and D5. */
const LEAVERS_INDICATOR = 'D6';
/** Keeps drawn Kreis rates this far inside the typical range, so that rounding stays inside too. */
const RANGE_MARGIN = 0.1;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** Position of a value in a range on the logit scale (clamped: the Land level may lie outside). */
const toZ = ([lo, hi]: Range, r: number) => {
  const p = Math.min(0.999, Math.max(0.001, (r - lo) / (hi - lo)));
  return Math.log(p / (1 - p));
};
const toRate = ([lo, hi]: Range, z: number) => lo + (hi - lo) * sigmoid(z);

// ---------------------------------------------------------------------------------------------
// The model Kommunen's own data: indicators, drafts, releases, agreements
// ---------------------------------------------------------------------------------------------

/** Codes of the Kommune indicators; the letter K keeps them apart from the Land's catalogue. */
export const KOMMUNE_INDICATOR_CODES = { kita: 'K15084-KITA', vhs: 'K15083-VHS', ssa: 'K15002-SSA' } as const;

/** One cell of a Kommune indicator: region, breakdown part (none: the total) and its numbers. */
interface KommuneCell {
  region: RegionRow;
  part?: { dimension: string; code: string };
  value: number;
  numerator: number | null;
  denominator: number | null;
}

/** One release of one period in the demo history; the last one not withdrawn released the cells. */
interface ReleaseEvent {
  recordedAt: string;
  effectiveAt: string;
  reason: string;
  withdrawn?: { at: string; reason: string };
}

/**
 * A Kommune's own indicator: its catalogue facts, who uploads and releases it (the subject of a
 * login of its Bildungsbüro), its periods — all released but the last, which is a draft — with
 * their release history, and the internal notes the owner keeps on its Kreis totals and drafts.
 */
interface KommuneModel {
  kreis: string;
  editor: string;
  indicator: Omit<IndicatorRow, 'id' | 'ownerOrgId' | 'weightIndicatorId' | 'version'>;
  periods: Period[];
  uploadedAt(p: Period): string;
  releases(p: Period): ReleaseEvent[];
  releasedNote(p: Period): string;
  draftNote: string;
}

const SYNTHETIC = 'synthetic demo data';

/**
 * The three model Kommunen's indicators (visibility PARTNERS, PUBLIC, OWNER: one each). Börde's
 * demo login is a viewer; its uploads and releases are by an editor (`demo:boerde-editor`) who
 * has no demo token.
 */
const KOMMUNE_MODELS: KommuneModel[] = [
  {
    kreis: '15084',
    editor: 'demo:burgenlandkreis-editor',
    indicator: {
      code: KOMMUNE_INDICATOR_CODES.kita,
      name: 'Kita-Plätze laut Bedarfsplanung',
      nameEn: 'Day-care places according to the needs plan',
      definition:
        'Plätze in Kindertageseinrichtungen (Krippe, Kindergarten, Hort) nach dem Bedarfsplan des Landkreises (§ 10 KiFöG LSA), nach Standortgemeinde, Stichtag 1. März; Kindertagespflege nicht enthalten.',
      unit: 'places',
      decimals: 0,
      areaCode: 'C',
      periodType: 'YEAR',
      referenceDay: '01.03.',
      aggregation: 'SUM',
      levels: ['KREIS', 'GEMEINDE'],
      breakdowns: [],
      validMin: 0,
      validMax: null,
      source: `Bildungsbüro Burgenlandkreis, Kita-Bedarfsplanung des Landkreises; ${SYNTHETIC}`,
      visibility: 'OWNER',
    },
    periods: [2021, 2022, 2023, 2024, 2025].map(yearPeriod),
    uploadedAt: (p) => `${p.year}-03-02T08:00:00Z`,
    releases: (p) =>
      p.year === 2022
        ? [
            {
              recordedAt: '2022-03-10T09:00:00Z',
              effectiveAt: '2022-03-10T09:00:00Z',
              reason: 'Bedarfsplan 2022 zur Veröffentlichung',
              withdrawn: { at: '2022-03-14T07:30:00Z', reason: 'Vor dem Beschluss des Jugendhilfeausschusses freigegeben; Freigabe folgt nach dem Beschluss' },
            },
            { recordedAt: '2022-03-24T09:00:00Z', effectiveAt: '2022-03-24T09:00:00Z', reason: 'Bedarfsplan 2022, vom Jugendhilfeausschuss am 23.03.2022 beschlossen' },
          ]
        : [{ recordedAt: `${p.year}-03-20T09:00:00Z`, effectiveAt: `${p.year}-03-20T09:00:00Z`, reason: `Bedarfsplan ${p.year}, vom Jugendhilfeausschuss beschlossen` }],
    releasedNote: (p) => `Stand laut Bedarfsplan ${p.year}; Plätze in Kindertagespflege werden gesondert geplant`,
    draftNote: 'Entwurf Bedarfsplan 2025: Meldungen der freien Träger noch nicht vollständig, Plausibilisierung läuft',
  },
  {
    kreis: '15083',
    editor: 'demo:boerde-editor',
    indicator: {
      code: KOMMUNE_INDICATOR_CODES.vhs,
      name: 'VHS-Kursbelegungen in der Grundbildung',
      nameEn: 'Adult education centre enrolments in basic education',
      definition:
        'Belegungen von Kursen der Grundbildung (Lesen und Schreiben, Rechnen, digitale Grundkompetenzen) und zum Nachholen von Schulabschlüssen an der Kreisvolkshochschule Börde im Kalenderjahr, nach Wohngemeinde und Geschlecht der Teilnehmenden.',
      unit: 'enrolments',
      decimals: 0,
      areaCode: 'G',
      periodType: 'YEAR',
      referenceDay: null,
      aggregation: 'SUM',
      levels: ['KREIS', 'GEMEINDE'],
      breakdowns: ['SEX'],
      validMin: 0,
      validMax: null,
      source: `Bildungsbüro Landkreis Börde, Kursstatistik der Kreisvolkshochschule; ${SYNTHETIC}`,
      visibility: 'PUBLIC',
    },
    periods: [2020, 2021, 2022, 2023, 2024].map(yearPeriod),
    uploadedAt: (p) => `${p.year + 1}-02-10T08:00:00Z`,
    // Released a week ahead of the Weiterbildungsbericht, with an embargo until its presentation.
    releases: (p) => [
      { recordedAt: `${p.year + 1}-04-08T10:00:00Z`, effectiveAt: `${p.year + 1}-04-15T06:00:00Z`, reason: `Kursstatistik ${p.year} geprüft; Sperrfrist bis zur Vorstellung des Weiterbildungsberichts` },
    ],
    releasedNote: (p) => `Abgleich mit der Volkshochschul-Statistik ${p.year} des DIE: Abweichung unter 1 %`,
    draftNote: 'Vorläufig: Kurse des zweiten Halbjahres noch nicht vollständig abgerechnet',
  },
  {
    kreis: '15002',
    editor: 'demo:halle-editor',
    indicator: {
      code: KOMMUNE_INDICATOR_CODES.ssa,
      name: 'Schulsozialarbeit: Fachkräfte an Schulen',
      nameEn: 'School social work: schools with a social worker',
      definition:
        'Anteil der öffentlichen Schulen mit mindestens einer Fachkraft der Schulsozialarbeit an allen öffentlichen Schulen der Stadt, nach Schulform; Zähler: Schulen mit Fachkraft, Nenner: Schulen.',
      unit: '%',
      decimals: 1,
      areaCode: 'D',
      periodType: 'SCHOOL_YEAR',
      referenceDay: null,
      aggregation: 'RATIO',
      levels: ['KREIS'],
      breakdowns: ['SCHOOL_TYPE'],
      validMin: 0,
      validMax: 100,
      source: `Bildungsbüro Halle (Saale), Fachbereich Bildung; ${SYNTHETIC}`,
      visibility: 'PARTNERS',
    },
    periods: [2021, 2022, 2023, 2024, 2025].map(schoolYearPeriod),
    uploadedAt: (p) => (p.year === 2025 ? '2025-06-20T08:00:00Z' : `${p.year}-09-15T08:00:00Z`),
    releases: (p) => [{ recordedAt: `${p.year}-10-01T08:00:00Z`, effectiveAt: `${p.year}-10-01T08:00:00Z`, reason: `Schuljahr ${p.code} mit dem Landesschulamt abgestimmt` }],
    releasedNote: () => 'Stellen aus dem ESF-Programm „Schulerfolg sichern“ und aus kommunalen Mitteln',
    draftNote: 'Vorläufig: Schuljahr läuft noch, Besetzung zum 31.07. offen',
  },
];

/**
 * Halle's public schools by school type (Schulform): how many there are, and how many of them had
 * a Fachkraft der Schulsozialarbeit in the school years 2020/21 to 2024/25.
 */
const HALLE_SCHOOLS: Array<{ code: string; schools: number; withSocialWork: number[] }> = [
  { code: 'GS', schools: 36, withSocialWork: [12, 13, 15, 16, 18] },
  { code: 'SEK', schools: 6, withSocialWork: [6, 6, 6, 6, 6] },
  { code: 'GMS', schools: 5, withSocialWork: [4, 5, 5, 5, 5] },
  { code: 'IGS', schools: 4, withSocialWork: [3, 3, 4, 4, 4] },
  { code: 'GYM', schools: 8, withSocialWork: [1, 1, 2, 2, 2] },
  { code: 'FOES', schools: 8, withSocialWork: [2, 3, 3, 4, 4] },
];

/** VHS basic-education enrolments per 1000 inhabitants in the Börde, by year (2020: pandemic). */
const VHS_RATE: Record<number, number> = { 2020: 3.6, 2021: 4.2, 2022: 4.8, 2023: 5.2, 2024: 5.5 };

/** The last day of a period of the given type (a release's range ends there). */
function periodEnd(type: `${PeriodType}`, p: Period): string {
  if (type === 'SCHOOL_YEAR') return `${p.year}-07-31`;
  if (type === 'STICHTAG') return p.start;
  return `${p.year}-12-31`;
}

class Generator {
  private readonly germany: RegionRow;
  private readonly land: RegionRow;
  private readonly kreise: KreisInfo[];
  private readonly kreisByCode: Map<string, KreisInfo>;
  private readonly gemeindeByCode: Map<string, GemeindeInfo>;
  private readonly gemeindenOf: Map<string, GemeindeInfo[]>;
  private readonly orgIds: Map<string, number>;
  private readonly regions: RegionRow[];
  private readonly organizations: OrganizationRow[];
  private readonly observations: ObservationRow[] = [];
  /** Published D6 counts by `region|period`. */
  private readonly leavers = new Map<string, number>();
  private readonly gemeindePopulation = new Map<string, number>();

  constructor() {
    const { germany, land, kreise, gemeinden } = buildRegions();
    this.germany = germany;
    this.land = land;
    this.kreise = kreise;
    this.kreisByCode = new Map(kreise.map((k) => [k.row.code, k]));
    this.gemeindeByCode = new Map(gemeinden.map((g) => [g.row.code, g]));
    this.gemeindenOf = new Map(KREISE_WITH_GEMEINDEN.map((k) => [k, gemeinden.filter((g) => g.kreis === k)]));
    this.regions = [germany, land, ...kreise.map((k) => k.row), ...gemeinden.map((g) => g.row)];
    this.organizations = buildOrganizations(germany, land, kreise);
    this.orgIds = new Map(this.organizations.map((o) => [o.code, o.id]));
  }

  run(): DemoData {
    const csv = readReferenceCsv('indicators.csv');
    const indicators = csv.map((row, i) => buildIndicator(row, i + 1, (code) => this.orgIds.get(code)!));
    const original = new Map(indicators.map((i) => [i.id, i.definition]));
    for (const i of indicators) if (DEFINITION_CHANGES[i.code]) i.definition = DEFINITION_CHANGES[i.code].definition;
    const byDependency = [...indicators].sort((a, b) => Number(b.code === LEAVERS_INDICATOR) - Number(a.code === LEAVERS_INDICATOR));
    for (const indicator of byDependency) {
      const model = MODELS[indicator.code];
      if (indicator.code === 'A1') this.populationRows(indicator, model);
      else if (model.series) this.seriesRows(indicator, model, model.series, csv.find((r) => r.code === indicator.code)!);
      else if (indicator.aggregation === 'NONE') this.notApplicableRows(indicator, model);
      if (model.bund) this.bundRows(indicator, model);
    }
    const kommune = this.kommuneRows(indicators.length + 1);
    const observations = this.observations.sort(
      (a, b) =>
        a.indicatorId - b.indicatorId ||
        a.regionId - b.regionId ||
        byText(a.breakdownDimension, b.breakdownDimension) ||
        byText(a.breakdownCode, b.breakdownCode) ||
        byText(a.periodStart, b.periodStart),
    );
    observations.forEach((o, i) => (o.id = i + 1));
    return {
      regions: this.regions,
      organizations: this.organizations,
      educationAreas: EDUCATION_AREAS,
      indicators: [...indicators, ...kommune.indicators],
      indicatorDefinitions: definitionHistory([...indicators, ...kommune.indicators], original),
      observations,
      releases: kommune.releases,
      agreements: this.agreements(kommune.indicators),
    };
  }

  private emit(indicator: IndicatorRow, region: RegionRow, period: Period, cell: Published, sourceNote: string, sex?: 'F' | 'M'): void {
    this.observations.push({
      id: 0,
      indicatorId: indicator.id,
      regionId: region.id,
      period: period.code,
      periodStart: period.start,
      breakdownDimension: sex ? 'SEX' : '',
      breakdownCode: sex ?? '_T',
      ...cell,
      ownerOrgId: this.orgIds.get(region.level === 'BUND' ? ORG_CODES.destatis : ORG_CODES.statisticsOffice)!,
      releaseState: 'RELEASED',
      releasedAt: DEMO_TIMESTAMP,
      releasedBy: 'seed',
      version: 1,
      definitionVersion: definitionVersionOf(indicator, period),
      recordedAt: DEMO_TIMESTAMP,
      sourceNote,
      sourceCleared: true,
      internalNote: null,
      uploadedBy: null,
    });
  }

  /**
   * Population on 31.12. of `year`. Kreise: linear through the published 2018 and 2023 figures.
   * Gemeinden: their 2023 figures, drifting a little each, split so that they add up to the Kreis
   * exactly in every year.
   */
  private population(code: string, year: number): number {
    const kreis = this.kreisByCode.get(code);
    if (kreis) return Math.round(kreis.pop2018 + ((kreis.pop2023 - kreis.pop2018) * (year - 2018)) / 5);
    const key = `${code}|${year}`;
    if (!this.gemeindePopulation.has(key)) {
      const siblings = this.gemeindenOf.get(this.gemeindeByCode.get(code)!.kreis)!;
      const weights = siblings.map((g) => g.pop2023 * (1 + (streamFor('A1 drift', g.row.code)() * 0.004 - 0.002) * (year - 2023)));
      const parts = allocate(this.population(siblings[0].kreis, year), weights);
      siblings.forEach((g, i) => this.gemeindePopulation.set(`${g.row.code}|${year}`, parts[i]));
    }
    return this.gemeindePopulation.get(key)!;
  }

  /** A denominator: a population group of a Kreis or Gemeinde; a Kreis with Gemeinden sums theirs. */
  private base(base: Base, code: string, period: Period): number {
    if (base === 'leavers') {
      const count = this.leavers.get(`${code}|${period.code}`);
      if (count === undefined) throw new Error(`demo data: no ${LEAVERS_INDICATOR} count for ${code} ${period.code}`);
      return count;
    }
    if (base === 'population') return this.population(code, period.year);
    const gemeinden = this.gemeindenOf.get(code);
    if (gemeinden && GEMEINDE_BASES.has(base)) return gemeinden.reduce((sum, g) => sum + this.base(base, g.row.code, period), 0);
    const factor = 1 + 0.05 * streamFor('base', base, code)();
    return Math.round((this.population(code, period.year) * interpolate(BASE_SHARES[base], period.year) * factor) / 100);
  }

  private populationRows(indicator: IndicatorRow, model: IndicatorModel): void {
    const note = `Demo data after ${model.office}: Kreise as published for 31.12.2018 and 31.12.2023 (Zensus-2011 basis), other years interpolated; Gemeinden synthetic except 2023; not official figures`;
    const plain = (value: number): Published => ({ value, numerator: null, denominator: null, status: 'A', symbol: '' });
    for (const period of YEARS.map(yearPeriod)) {
      this.emit(indicator, this.land, period, plain(this.kreise.reduce((s, k) => s + this.population(k.row.code, period.year), 0)), note);
      for (const k of this.kreise) this.emit(indicator, k.row, period, plain(this.population(k.row.code, period.year)), note);
      for (const g of this.gemeindeByCode.values()) this.emit(indicator, g.row, period, plain(this.population(g.row.code, period.year)), note);
    }
  }

  /**
   * Kreis rates per period: each Kreis follows the Land level with its own offset, slope and
   * noise on the logit scale of its range (smooth, and never outside it). Anchored Kreise are
   * pinned; the others are shifted together, per period, so that their Σnum/Σden meets the Land
   * level of the model.
   */
  private kreisRates(code: string, s: SeriesModel, periods: Period[], standard: Range, ranges: Range[], dens: number[][]): number[][] {
    const level = periods.map((p) => interpolate(s.land, p.year));
    const mid = (periods.length - 1) / 2;
    const paths = this.kreise.map((k, i) => {
      const draw = streamFor(code, k.row.code);
      const offset = draw() * 0.9;
      const slope = draw() * 0.03;
      const z = periods.map((_, t) => toZ(standard, level[t]) + slope * (t - mid) + draw() * 0.06);
      const anchor = s.anchors?.find((a) => a.region === k.row.code);
      if (!anchor) return { z: z.map((v) => v + offset), pinned: false };
      const at = periods.findIndex((p) => p.code === anchor.period);
      if (at < 0 || !(anchor.value > ranges[i][0] && anchor.value < ranges[i][1])) {
        throw new Error(`demo model ${code}: anchor ${anchor.region} ${anchor.period} = ${anchor.value} is not a period or not inside the range`);
      }
      const shift = toZ(ranges[i], anchor.value) - z[at];
      return { z: z.map((v) => v + shift), pinned: true };
    });
    const rates = this.kreise.map(() => new Array<number>(periods.length));
    periods.forEach((_, t) => {
      const rateAt = (i: number, c: number) => toRate(ranges[i], paths[i].z[t] + (paths[i].pinned ? 0 : c));
      const gap = (c: number) => {
        let sum = 0;
        for (let i = 0; i < paths.length; i++) sum += dens[i][t] * (rateAt(i, c) - level[t]);
        return sum;
      };
      let lo = -6;
      let hi = 6;
      for (let n = 0; n < 50; n++) {
        const c = (lo + hi) / 2;
        if (gap(c) < 0) lo = c;
        else hi = c;
      }
      paths.forEach((_, i) => (rates[i][t] = rateAt(i, (lo + hi) / 2)));
    });
    return rates;
  }

  private seriesRows(indicator: IndicatorRow, model: IndicatorModel, s: SeriesModel, csv: Record<string, string>): void {
    const periods = periodsOf(indicator.periodType);
    const typical = s.countRange ? { range: s.countRange, exceptions: {} } : parseTypicalRange(csv.typical_kreis_range);
    if (!typical) throw new Error(`indicators.csv: ${indicator.code} has no typical Kreis range`);
    const margin = s.kind === 'rate' ? RANGE_MARGIN : 0;
    const inner = ([lo, hi]: Range): Range => [lo + margin, hi - margin];
    const ranges = this.kreise.map((k) =>
      inner(Object.entries(typical.exceptions).find(([word]) => k.row.name.startsWith(word))?.[1] ?? typical.range),
    );
    const dens = this.kreise.map((k) => periods.map((p) => this.base(s.base, k.row.code, p)));
    const rates = this.kreisRates(indicator.code, s, periods, inner(typical.range), ranges, dens);
    const withGemeinden = indicator.levels.includes('GEMEINDE');
    const draws = withGemeinden ? this.gemeindeDraws(indicator.code, periods.length) : new Map<string, GemeindeDraws>();
    const sexShares = indicator.breakdowns.includes('SEX') ? this.femaleShares(indicator.code, periods.length) : undefined;
    const note = `Synthetic demo data modelled on ${model.office}; not official figures`;

    periods.forEach((period, t) => {
      const cells = new Map<string, Cell>();
      const groups: AdditiveGroup[] = [[this.land.code, ...this.kreise.map((k) => k.row.code)]];
      this.kreise.forEach((k, i) => {
        const num = Math.round((rates[i][t] * dens[i][t]) / s.multiplier);
        cells.set(k.row.code, { num, den: s.kind === 'rate' ? dens[i][t] : null });
        const gemeinden = this.gemeindenOf.get(k.row.code);
        if (!withGemeinden || !gemeinden) return;
        // The Kreis count, split over its Gemeinden by their own (drawn) expected counts.
        const gDens = gemeinden.map((g) => this.base(s.base, g.row.code, period));
        const weights = gemeinden.map((g, j) => {
          const { deviation, noise } = draws.get(g.row.code)!;
          const expected = (rates[i][t] * Math.exp(deviation) * gDens[j]) / s.multiplier;
          return expected * Math.exp(noise[t] * Math.min(1, 1 / Math.sqrt(expected)));
        });
        const caps = s.kind === 'rate' && s.multiplier === 100 ? gDens : undefined;
        allocate(num, weights, caps).forEach((n, j) => cells.set(gemeinden[j].row.code, { num: n, den: s.kind === 'rate' ? gDens[j] : null }));
        groups.push([k.row.code, ...gemeinden.map((g) => g.row.code)]);
      });
      const kreisCells = this.kreise.map((k) => cells.get(k.row.code)!);
      cells.set(this.land.code, {
        num: kreisCells.reduce((sum, c) => sum + c.num, 0),
        den: s.kind === 'rate' ? kreisCells.reduce((sum, c) => sum + c.den!, 0) : null,
      });
      if (indicator.code === LEAVERS_INDICATOR) for (const [code, c] of cells) this.leavers.set(`${code}|${period.code}`, c.num);

      const periodState: CellState = NOT_YET_PUBLISHED[indicator.code]?.includes(period.code)
        ? 'O'
        : PROVISIONAL[indicator.code]?.includes(period.code)
          ? 'P'
          : 'A';
      const disclosure = new Map<string, DisclosureCell>([...cells].map(([code, c]) => [code, { value: c.num, hidden: false }]));
      const hidden = periodState === 'O' ? new Set<string>() : suppressCells(disclosure, groups);
      const publish = (c: Cell, state: CellState): Published => {
        if (state === 'O') return { value: null, numerator: null, denominator: null, status: 'O', symbol: '...' };
        // A hidden rate keeps its denominator: it is published anyway (D1's is D6).
        if (state === 'Q') return { value: null, numerator: null, denominator: c.den, status: 'Q', symbol: '.' };
        const value = c.den === null ? c.num : roundTo((c.num / c.den) * s.multiplier, indicator.decimals);
        const symbol = state === 'P' ? 'p' : c.num === 0 ? '-' : '';
        return { value, numerator: c.den === null ? null : c.num, denominator: c.den, status: state, symbol };
      };

      // Girls: drawn per Kreis, summed for the Land; boys are the rest of the total.
      const female = new Map<string, number>();
      if (sexShares) {
        for (const k of this.kreise) female.set(k.row.code, Math.round(cells.get(k.row.code)!.num * sexShares.get(k.row.code)![t]));
        female.set(this.land.code, [...female.values()].reduce((sum, f) => sum + f, 0));
      }

      for (const [code, c] of cells) {
        const region = this.regionByCode(code);
        const state = hidden.has(code) ? 'Q' : periodState;
        this.emit(indicator, region, period, publish(c, state), note);
        const f = female.get(code);
        if (f === undefined) continue;
        this.emit(indicator, region, period, publish({ num: f, den: null }, state), note, 'F');
        this.emit(indicator, region, period, publish({ num: c.num - f, den: null }, state), note, 'M');
      }
    });
  }

  /** Per Gemeinde, its draws for one indicator (see GemeindeDraws). */
  private gemeindeDraws(code: string, periods: number): Map<string, GemeindeDraws> {
    const draws = new Map<string, GemeindeDraws>();
    for (const g of this.gemeindeByCode.values()) {
      const draw = streamFor(code, g.row.code);
      draws.set(g.row.code, { deviation: draw() * 0.15, noise: Array.from({ length: periods }, () => draw()) });
    }
    return draws;
  }

  /** Per Kreis and period, the share of girls in a count. */
  private femaleShares(code: string, periods: number): Map<string, number[]> {
    const shares = new Map<string, number[]>();
    for (const k of this.kreise) {
      const draw = streamFor(code, k.row.code, 'SEX');
      const level = FEMALE_SHARE[code] + draw() * 0.01;
      shares.set(k.row.code, Array.from({ length: periods }, () => level + draw() * 0.004));
    }
    return shares;
  }

  /** NONE indicators (G1): `x` (status M) for the Land and every Kreis in every period Germany has. */
  private notApplicableRows(indicator: IndicatorRow, model: IndicatorModel): void {
    const note = `Not available below Germany (${model.office}); demo data`;
    for (const code of Object.keys(model.bund ?? {})) {
      const period = periodFor(indicator.periodType, code);
      for (const region of [this.land, ...this.kreise.map((k) => k.row)]) {
        this.emit(indicator, region, period, { value: null, numerator: null, denominator: null, status: 'M', symbol: 'x' }, note);
      }
    }
  }

  /** Germany: the reference's own values, without numerator and denominator. */
  private bundRows(indicator: IndicatorRow, model: IndicatorModel): void {
    const note = `Reference value for Germany (${model.office}) as given in seeds/reference/indicators.csv; demo data`;
    for (const [code, value] of Object.entries(model.bund!)) {
      this.emit(indicator, this.germany, periodFor(indicator.periodType, code), { value, numerator: null, denominator: null, status: 'A', symbol: '' }, note);
    }
  }

  /**
   * The model Kommunen's own indicators (ids from `firstId`) and cells: every period but the last
   * released by its history's standing release, the last one a draft with an internal note. The
   * cells keep their true values; the seed stores their suppression pattern.
   */
  private kommuneRows(firstId: number): { indicators: IndicatorRow[]; releases: DataReleaseRow[] } {
    const indicators: IndicatorRow[] = [];
    const releases: DataReleaseRow[] = [];
    KOMMUNE_MODELS.forEach((model, i) => {
      const ownerOrgId = this.orgIds.get(bildungsbueroCode(model.kreis))!;
      const indicator: IndicatorRow = { id: firstId + i, ...model.indicator, weightIndicatorId: null, ownerOrgId, version: 1 };
      indicators.push(indicator);
      model.periods.forEach((period, t) => {
        const cells = this.kommuneCells(indicator.code, period, t);
        const history = t === model.periods.length - 1 ? [] : model.releases(period);
        const standing = history.filter((e) => !e.withdrawn).pop();
        for (const e of history) {
          releases.push({
            id: 0,
            ownerOrgId,
            indicatorId: indicator.id,
            regionIds: [...new Set(cells.map((c) => c.region.id))],
            periodFrom: period.start,
            periodTo: periodEnd(indicator.periodType, period),
            effectiveAt: e.effectiveAt,
            releasedAt: e.recordedAt,
            releasedBy: model.editor,
            reason: e.reason,
            cells: cells.length,
            withdrawnAt: e.withdrawn?.at ?? null,
            withdrawnBy: e.withdrawn ? model.editor : null,
            withdrawReason: e.withdrawn?.reason ?? null,
          });
        }
        for (const c of cells) {
          const kreisTotal = c.region.code === model.kreis && !c.part;
          this.observations.push({
            id: 0,
            indicatorId: indicator.id,
            regionId: c.region.id,
            period: period.code,
            periodStart: period.start,
            breakdownDimension: c.part?.dimension ?? '',
            breakdownCode: c.part?.code ?? '_T',
            value: c.value,
            numerator: c.numerator,
            denominator: c.denominator,
            status: 'A',
            symbol: c.value === 0 ? '-' : '',
            ownerOrgId,
            releaseState: standing ? 'RELEASED' : 'DRAFT',
            releasedAt: standing?.effectiveAt ?? null,
            releasedBy: standing ? model.editor : null,
            version: 1,
            definitionVersion: 1,
            recordedAt: model.uploadedAt(period),
            sourceNote: `${indicator.source}; not official figures`,
            sourceCleared: false,
            internalNote: !standing ? model.draftNote : kreisTotal ? model.releasedNote(period) : null,
            uploadedBy: model.editor,
          });
        }
      });
    });
    // Ids in the order the releases were recorded.
    releases.sort((a, b) => byText(a.releasedAt, b.releasedAt) || a.indicatorId - b.indicatorId).forEach((r, i) => (r.id = i + 1));
    return { indicators, releases };
  }

  /** The cells of one period (index `t` of its model's periods) of a Kommune indicator. */
  private kommuneCells(code: string, period: Period, t: number): KommuneCell[] {
    if (code === KOMMUNE_INDICATOR_CODES.kita) return this.kitaCells(period);
    if (code === KOMMUNE_INDICATOR_CODES.vhs) return this.vhsCells(period);
    return this.schoolSocialWorkCells(t);
  }

  /**
   * Kita places in the Burgenlandkreis by Gemeinde: about 4.7 per 100 inhabitants, in steps of
   * five; some small Gemeinden have no Kita of their own (a true zero). The Kreis is their sum.
   */
  private kitaCells(period: Period): KommuneCell[] {
    const kreis = this.kreisByCode.get('15084')!.row;
    const gemeinden = this.gemeindenOf.get('15084')!;
    const places = gemeinden.map((g) => {
      const lasting = streamFor(KOMMUNE_INDICATOR_CODES.kita, g.row.code);
      const perInhabitant = 0.047 * Math.exp(0.15 * lasting());
      if (g.pop2023 < 1100 && lasting() < -0.3) return 0;
      const drift = 1 + 0.012 * (period.year - 2023) + 0.01 * streamFor(KOMMUNE_INDICATOR_CODES.kita, g.row.code, period.code)();
      return 5 * Math.round((this.population(g.row.code, period.year) * perInhabitant * drift) / 5);
    });
    const count = (region: RegionRow, value: number): KommuneCell => ({ region, value, numerator: null, denominator: null });
    return [count(kreis, places.reduce((s, p) => s + p, 0)), ...gemeinden.map((g, j) => count(g.row, places[j]))];
  }

  /**
   * VHS enrolments in basic education in the Börde by Gemeinde of residence and sex: a rate per
   * inhabitant that varies by Gemeinde (higher in the towns with a VHS site), noisy like real
   * small counts, about 60 % women. Small Gemeinden have counts of 0 to 5, so that disclosure
   * control has work to do; the Kreis and the totals are sums.
   */
  private vhsCells(period: Period): KommuneCell[] {
    const kreis = this.kreisByCode.get('15083')!.row;
    const rows = this.gemeindenOf.get('15083')!.map((g) => {
      const lasting = streamFor(KOMMUNE_INDICATOR_CODES.vhs, g.row.code);
      const reach = Math.exp(0.35 * lasting()) * (g.pop2023 >= 10000 ? 1.5 : 1);
      const femaleShare = 0.6 + 0.06 * lasting();
      const draw = streamFor(KOMMUNE_INDICATOR_CODES.vhs, g.row.code, period.code);
      const expected = (this.population(g.row.code, period.year) * VHS_RATE[period.year] * reach) / 1000;
      const total = Math.round(expected * Math.exp(draw() * Math.min(1, 1 / Math.sqrt(expected))));
      return { region: g.row, total, female: Math.round(total * (femaleShare + 0.04 * draw())) };
    });
    const sum = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + pick(r), 0);
    const count = (region: RegionRow, value: number, code?: string): KommuneCell => ({
      region,
      part: code ? { dimension: 'SEX', code } : undefined,
      value,
      numerator: null,
      denominator: null,
    });
    return [{ region: kreis, total: sum((r) => r.total), female: sum((r) => r.female) }, ...rows].flatMap((r) => [
      count(r.region, r.total),
      count(r.region, r.female, 'F'),
      count(r.region, r.total - r.female, 'M'),
    ]);
  }

  /** Halle's share of schools with school social work, in total and by school type (HALLE_SCHOOLS). */
  private schoolSocialWorkCells(t: number): KommuneCell[] {
    const halle = this.kreisByCode.get('15002')!.row;
    const rate = (numerator: number, denominator: number) => ({ value: roundTo((numerator / denominator) * 100, 1), numerator, denominator });
    const total = rate(
      HALLE_SCHOOLS.reduce((s, p) => s + p.withSocialWork[t], 0),
      HALLE_SCHOOLS.reduce((s, p) => s + p.schools, 0),
    );
    return [
      { region: halle, ...total },
      ...HALLE_SCHOOLS.map((p) => ({ region: halle, part: { dimension: 'SCHOOL_TYPE', code: p.code }, ...rate(p.withSocialWork[t], p.schools) })),
    ];
  }

  /**
   * Data-sharing agreements between the Land (the ministry as recipient) and each model Kommune:
   * three in force (open-ended, so that the demo does not expire), one expired (valid until
   * 2024-12-31), one revoked.
   */
  private agreements(kommune: IndicatorRow[]): AgreementRow[] {
    const org = (code: string) => this.orgIds.get(code)!;
    const land = org(ORG_CODES.ministry);
    const [halle, burgenlandkreis, boerde] = ['15002', '15084', '15083'].map((k) => org(bildungsbueroCode(k)));
    const indicator = (code: string) => [kommune.find((i) => i.code === code)!.id];
    const cooperation = 'Kooperationsvereinbarung Kommunales Bildungsmonitoring 2022, § 4 (Datenbereitstellung)';
    const open = { regionIds: null, levels: null, breakdowns: null, revokedBy: null, revokedAt: null, revokeReason: null };
    return [
      {
        id: 1,
        providerOrgId: halle,
        recipientOrgId: land,
        indicatorIds: indicator(KOMMUNE_INDICATOR_CODES.ssa),
        areaCodes: null,
        ...open,
        detail: 'COUNTS',
        purpose: 'Bildungsbericht Sachsen-Anhalt 2026',
        legalBasis: '§ 7 SchulG LSA i. V. m. Kooperationsvereinbarung 2022',
        validFrom: '2025-01-01',
        validTo: null,
        state: 'ACTIVE',
        proposedBy: 'demo:land-admin',
        proposedByOrgId: land,
        proposedAt: '2024-11-04T10:00:00Z',
        decidedBy: 'demo:halle-admin',
        decidedAt: '2024-11-20T14:00:00Z',
        decisionReason: 'Zugestimmt; Verwendung nur für den Bildungsbericht',
      },
      {
        id: 2,
        providerOrgId: burgenlandkreis,
        recipientOrgId: land,
        indicatorIds: null,
        areaCodes: ['C'],
        ...open,
        detail: 'RATES_DISCLOSURE_CONTROLLED',
        purpose: 'Landesweites Monitoring der Kindertagesbetreuung',
        legalBasis: cooperation,
        validFrom: '2025-01-01',
        validTo: null,
        state: 'ACTIVE',
        proposedBy: 'demo:burgenlandkreis-editor',
        proposedByOrgId: burgenlandkreis,
        proposedAt: '2024-12-02T09:00:00Z',
        decidedBy: 'demo:burgenlandkreis-admin',
        decidedAt: '2024-12-10T11:00:00Z',
        decisionReason: 'Freigabe mit Geheimhaltung kleiner Fallzahlen',
      },
      {
        id: 3,
        providerOrgId: boerde,
        recipientOrgId: land,
        indicatorIds: indicator(KOMMUNE_INDICATOR_CODES.vhs),
        areaCodes: null,
        ...open,
        detail: 'COUNTS',
        purpose: 'Weiterbildungsbericht Sachsen-Anhalt 2025',
        legalBasis: cooperation,
        validFrom: '2024-01-01',
        validTo: null,
        state: 'ACTIVE',
        proposedBy: 'demo:land-admin',
        proposedByOrgId: land,
        proposedAt: '2023-11-13T10:00:00Z',
        decidedBy: 'demo:boerde-admin',
        decidedAt: '2023-12-05T15:00:00Z',
        decisionReason: 'Zugestimmt',
      },
      {
        id: 4,
        providerOrgId: burgenlandkreis,
        recipientOrgId: land,
        indicatorIds: indicator(KOMMUNE_INDICATOR_CODES.kita),
        areaCodes: null,
        ...open,
        detail: 'COUNTS',
        purpose: 'Evaluation des Kita-Ausbauprogramms 2023–2024',
        legalBasis: cooperation,
        validFrom: '2023-01-01',
        validTo: '2024-12-31',
        state: 'ACTIVE',
        proposedBy: 'demo:land-admin',
        proposedByOrgId: land,
        proposedAt: '2022-11-15T10:00:00Z',
        decidedBy: 'demo:burgenlandkreis-admin',
        decidedAt: '2022-12-01T10:00:00Z',
        decisionReason: 'Zugestimmt für die Laufzeit des Programms',
      },
      {
        id: 5,
        providerOrgId: halle,
        recipientOrgId: land,
        indicatorIds: null,
        areaCodes: ['D'],
        ...open,
        detail: 'RATES_DISCLOSURE_CONTROLLED',
        purpose: 'Schulentwicklungsplanung des Landes 2025',
        legalBasis: cooperation,
        validFrom: '2024-08-01',
        validTo: null,
        state: 'REVOKED',
        proposedBy: 'demo:land-admin',
        proposedByOrgId: land,
        proposedAt: '2024-06-10T10:00:00Z',
        decidedBy: 'demo:halle-admin',
        decidedAt: '2024-06-28T09:00:00Z',
        decisionReason: 'Zugestimmt',
        revokedBy: 'demo:halle-admin',
        revokedAt: '2025-02-14T13:00:00Z',
        revokeReason: 'Zweck entfallen: die Schulentwicklungsplanung 2025 ist abgeschlossen; der Bildungsbericht erhält die Daten über Vereinbarung 1',
      },
    ];
  }

  private regionByCode(code: string): RegionRow {
    if (code === this.land.code) return this.land;
    return (this.kreisByCode.get(code) ?? this.gemeindeByCode.get(code))!.row;
  }
}

/** The whole demo data set; see the contract at the top of this file. */
export function generateDemoData(): DemoData {
  return new Generator().run();
}
