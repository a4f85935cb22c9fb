import { cellAccess, logAgreementReads, observationFilter } from '../../access/observation-access';
import { groupBy, inKeyOrder } from '../../graphql/batch';
import type { RequestContext } from '../../graphql/context';
import { badInput, HubError } from '../../graphql/errors';
import { BREAKDOWN_CODES, BreakdownDimension, PeriodType, TOTAL_CODE } from '../indicators/indicator.enums';
import type { Indicator } from '../indicators/indicator.entity';
import type { Region } from '../regions/region.entity';
import { RegionService } from '../regions/region.service';
import { ObservationStatus, ReleaseState } from './observation.enums';
import { parsePeriod } from './period';
import { cellsKnownAt, seriesBreak, statusWithBreak } from './revisions';
import { Observation, TimeSeries, type CellDetail, type IndicatorSelectionArgs, type PeriodWindowArgs, type RegionSelectionArgs } from './series.types';

/** Validated period window and breakdown of a series request; `key` identifies equal windows. */
export interface SeriesWindow {
  fromStart: string | null;
  toEnd: string | null;
  latest: number | null;
  breakdown: { dimension: BreakdownDimension; codes: string[] | null } | null;
  /** Read the versions known at this instant (in the past); null: the current ones. */
  asOf: Date | null;
  key: string;
}

/** The indicators and regions of one cells statement, by id. */
interface Selection {
  indicators: Map<number, Indicator>;
  regions: Map<number, Region>;
}

/**
 * Key of the `seriesBySelection` loader: every combination of the indicators and regions, in one
 * window. They come as the objects the caller has at hand, so that the batch needs no lookup per
 * id; the loader compares keys by their ids and window (seriesKeyId).
 */
export interface SeriesKey {
  indicators: Indicator[];
  regions: Region[];
  window: SeriesWindow;
}

/** What identifies a SeriesKey: the ids in order, and the window. */
export function seriesKeyId(key: SeriesKey): string {
  return JSON.stringify([key.indicators.map((i) => i.id), key.regions.map((r) => r.id), key.window.key]);
}

/** The owner's details of a cell (restricted fields, FieldRule.OWNER), by observation id. */
export interface ObservationDetails {
  id: number;
  /** When this version of the cell was recorded (not restricted; here because it is not in the covering index). */
  recordedAt: Date;
  internalNote: string | null;
  uploadedBy: string | null;
  releasedBy: string | null;
}

/**
 * A row of the cells statement (`queryCells`), columns in this order: indicator id, region id,
 * breakdown code (null for the total), period, value, status, symbol (all three as the viewer
 * sees them), numerator, denominator (null unless the viewer may read counts), observation id
 * (null unless the request reads cell ids), flags (observationFilter's, plus DRAFT_FLAG and
 * BREAK_FLAG; null for 0), the agreement that opened the cell, version and definition version
 * (null for 1). Most cells of a large pull have these NULLs, and a NULL costs nothing to decode:
 * every other column is a string cut from the buffer per cell.
 */
type CellRow = [
  number,
  number,
  string | null,
  string,
  number | null,
  ObservationStatus,
  string,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
];
/** Bits of a cell row's flags beside observationFilter's (the lower two): the cell is a draft; it starts a series break. */
const DRAFT_FLAG = 4;
const BREAK_FLAG = 8;

const CODE_PATTERN = /^[A-Za-z0-9_]{1,16}$/;
const MAX_LATEST = 100;
/** The cell estimate's horizon for a window without `from` (or `to`): periods from 2000 up to the end of next year. */
const HORIZON_FIRST_YEAR = 2000;
/** The cell estimate's number of parts of a dimension whose code list is open (AGE_GROUP, SCHOOL_TYPE), the total included. */
const OPEN_CODE_LIST_ESTIMATE = 10;
/** Month and day on which each period type's periods start (period.ts); a Stichtag is counted once per year. */
const PERIOD_START: Record<PeriodType, string> = { YEAR: '01-01', SCHOOL_YEAR: '08-01', STICHTAG: '01-01' };

/**
 * How many periods of `type` a window can return (an upper bound, except for Stichtage: any
 * number of reference dates may fall in a year; they are estimated at one per year spanned).
 * Unbounded sides stop at the horizon: 1 Jan 2000 and 31 Dec of next year.
 */
function periodCount(type: PeriodType, window: SeriesWindow): number {
  const from = window.fromStart ?? `${HORIZON_FIRST_YEAR}-01-01`;
  const to = window.toEnd ?? `${new Date().getUTCFullYear() + 1}-12-31`;
  let n = 0;
  if (type === PeriodType.STICHTAG) n = Number(to.slice(0, 4)) - Number(from.slice(0, 4)) + 1;
  else {
    for (let y = Number(from.slice(0, 4)); y <= Number(to.slice(0, 4)); y++) {
      const start = `${y}-${PERIOD_START[type]}`;
      if (start >= from && start <= to) n++;
    }
  }
  return window.latest === null ? n : Math.min(n, window.latest);
}

/** How many series one indicator × region pair yields: 1 without a breakdown, else the codes asked for (all known ones without a list). */
function partCount(window: SeriesWindow): number {
  if (!window.breakdown) return 1;
  return window.breakdown.codes?.length ?? BREAKDOWN_CODES[window.breakdown.dimension]?.length ?? OPEN_CODE_LIST_ESTIMATE;
}

/** Removes duplicates and checks the size limit of a code list argument (BAD_USER_INPUT). */
export function codeList(ctx: RequestContext, name: string, codes: string[]): string[] {
  if (codes.length === 0) throw badInput(`${name} must not be empty`, { argument: name });
  if (codes.length > ctx.config.maxCodesPerList) {
    throw badInput(`${name} has ${codes.length} codes; at most ${ctx.config.maxCodesPerList} per list are allowed (page through larger pulls)`, { argument: name });
  }
  return [...new Set(codes)];
}

function unknownCodes(name: string, unknown: string[]) {
  return badInput(`unknown ${name}: ${unknown.join(', ')}`, { argument: name, unknownCodes: unknown });
}

/** Looks codes up through a loader (same order); unknown ones → BAD_USER_INPUT naming them in `extensions.unknownCodes`. */
/**
 * A loader's `loadMany` answers a failed batch (e.g. the database went away) with Error objects in
 * place of values: that is a failure of the request, not "not found", so it is thrown.
 */
function withoutErrors<T>(values: Array<T | Error>): T[] {
  const failed = values.find((v): v is Error => v instanceof Error);
  if (failed) throw failed;
  return values as T[];
}

export async function resolveCodes<T>(
  argument: string,
  codes: string[],
  lookup: (codes: string[]) => Array<T | null | Error> | Promise<Array<T | null | Error>>,
): Promise<T[]> {
  const found = withoutErrors(await lookup(codes));
  const unknown = codes.filter((_, i) => !found[i]);
  if (unknown.length) throw unknownCodes(argument, unknown);
  return found as T[];
}

/**
 * Series: the hot path of the hub. Every read goes through `fetchBatch`, one SQL statement per
 * distinct window, using the covering index `observation_series_current` (DESIGN §6), with the
 * viewer's row filter in the SQL (DESIGN §4).
 */
export const SeriesService = {
  /**
   * Validates `from`, `to`, `latest`, `breakdown` and `asOf`; throws BAD_USER_INPUT naming the
   * argument. An `asOf` that is not in the past reads the current values (nothing later is known).
   */
  parseWindow(ctx: RequestContext, args: PeriodWindowArgs): SeriesWindow {
    const from = args.from === undefined || args.from === null ? null : parsePeriod(args.from);
    if (from === undefined) throw badInput(`"from" is not a period code (2023, 2023/24 or 2023-03-01): ${args.from}`, { argument: 'from' });
    const to = args.to === undefined || args.to === null ? null : parsePeriod(args.to);
    if (to === undefined) throw badInput(`"to" is not a period code (2023, 2023/24 or 2023-03-01): ${args.to}`, { argument: 'to' });
    if (from && to && from.start > to.end) throw badInput(`"from" (${from.code}) is after "to" (${to.code})`, { argument: 'from' });
    const latest = args.latest ?? null;
    if (latest !== null && (latest < 1 || latest > MAX_LATEST)) throw badInput(`"latest" must be between 1 and ${MAX_LATEST}`, { argument: 'latest' });
    let breakdown: SeriesWindow['breakdown'] = null;
    if (args.breakdown) {
      const { dimension } = args.breakdown;
      let codes: string[] | null = null;
      if (args.breakdown.codes) {
        codes = codeList(ctx, 'breakdown.codes', args.breakdown.codes);
        const known = BREAKDOWN_CODES[dimension];
        const bad = codes.filter((c) => !CODE_PATTERN.test(c) || (known && !known.includes(c)));
        if (bad.length) throw unknownCodes(`breakdown codes for ${dimension}`, bad);
      }
      breakdown = { dimension, codes };
    }
    const fromStart = from?.start ?? null;
    const toEnd = to?.end ?? null;
    const asOf = args.asOf && args.asOf.getTime() < Date.now() ? args.asOf : null;
    return { fromStart, toEnd, latest, breakdown, asOf, key: JSON.stringify([fromStart, toEnd, latest, breakdown, asOf]) };
  },

  /** Indicators by code, in the order given; unknown codes → BAD_USER_INPUT naming them. */
  async resolveIndicators(ctx: RequestContext, args: IndicatorSelectionArgs): Promise<Indicator[]> {
    return resolveCodes('indicatorCodes', codeList(ctx, 'indicatorCodes', args.indicatorCodes), (c) => ctx.loaders.indicatorsByCode.loadMany(c));
  },

  /** Regions by code list, or by level under a parent; unknown codes → BAD_USER_INPUT naming them. */
  async resolveRegions(ctx: RequestContext, args: RegionSelectionArgs): Promise<Region[]> {
    const byCode = args.regionCodes !== undefined && args.regionCodes !== null;
    const byLevel = (args.regionLevel ?? args.parentCode ?? null) !== null;
    if (byCode === byLevel) throw badInput('give either "regionCodes" or "regionLevel"/"parentCode"', { argument: 'regionCodes' });
    if (byCode) {
      return resolveCodes('regionCodes', codeList(ctx, 'regionCodes', args.regionCodes!), (c) => ctx.loaders.regionsByCode.loadMany(c));
    }
    // The parent's existence is checked in the statement that lists the regions.
    const regions = await RegionService.listUnder(ctx, { level: args.regionLevel ?? undefined, parentCode: args.parentCode ?? undefined });
    if (!regions) throw unknownCodes('parentCode', [args.parentCode!]);
    return regions;
  },

  /** The series for every indicator × region (× breakdown part), batched with other requests of the same request. */
  load(ctx: RequestContext, indicators: Indicator[], regions: Region[], window: SeriesWindow): Promise<TimeSeries[]> {
    return ctx.loaders.seriesBySelection.load({ indicators, regions, window });
  },

  /**
   * Batch function of `seriesBySelection`. Keys with the same window share one statement over the
   * union of their ids; each key then takes its own combinations, in key order. A combination
   * with no visible cell is an empty series (a stable shape for dashboards).
   */
  async fetchBatch(ctx: RequestContext, keys: readonly SeriesKey[]): Promise<TimeSeries[][]> {
    SeriesService.checkCells(ctx, keys);
    const results = new Map<SeriesKey, TimeSeries[]>();
    for (const group of groupBy(keys, (k) => k.window.key).values()) {
      const { window } = group[0];
      const selection = { indicators: byId(group.flatMap((k) => k.indicators)), regions: byId(group.flatMap((k) => k.regions)) };
      const cells = await SeriesService.queryCells(ctx, selection, window);
      for (const key of group) results.set(key, SeriesService.assemble(key, window, cells));
    }
    return keys.map((k) => results.get(k)!);
  },

  /**
   * The cell limit (README "Limits"): the cells a batch asks for, summed over its keys, so that
   * nested series (14 Kreise × `Region.series`) count together like one `series` query. Per key:
   * Σ over its indicators of periods (of the indicator's period type, see periodCount) × regions
   * × breakdown parts. More than `maxCells` → QUERY_TOO_COMPLEX before the series statement runs.
   * The indicators come with the keys, so this costs no statement.
   */
  checkCells(ctx: RequestContext, keys: readonly SeriesKey[]): void {
    let cells = 0;
    for (const key of keys) {
      const periods = key.indicators.reduce((sum, indicator) => sum + periodCount(indicator.periodType, key.window), 0);
      cells += periods * key.regions.length * partCount(key.window);
    }
    const limit = ctx.config.maxCells;
    if (cells > limit) {
      throw new HubError('QUERY_TOO_COMPLEX', `the request asks for about ${cells} cells; at most ${limit} are allowed (page by indicator, region or period range)`, { cells, limit });
    }
  },

  /**
   * One statement: the current cells (with `asOf`: the versions known then, src/modules/series/revisions.ts)
   * of indicators × regions in the window that the viewer may see, grouped by series, with the
   * stored suppression pattern applied where the viewer has no right to small counts and the
   * first cell after a series break marked `B`. Reads that an agreement opened are logged.
   *
   * The hot path (a bulk pull reads 100,000 cells): the statement computes what the viewer gets
   * (masked value, status and symbol; numerator and denominator only where the viewer may read
   * them, else NULL, which costs nothing to read; versions NULL where they are 1) and
   * packs access, release state and series break into one integer, and rows come as arrays
   * (CellRow), not objects. A series gets its public lists at once and its CellDetail only when
   * something reads it (points, aggregates, exports).
   */
  async queryCells(ctx: RequestContext, selection: Selection, window: SeriesWindow): Promise<Map<string, TimeSeries>> {
    const indicators = [...selection.indicators.values()];
    const regions = [...selection.regions.values()];
    const params: unknown[] = [indicators.map((i) => i.id), regions.map((r) => r.id), window.fromStart, window.toEnd];
    const at = window.asOf === null ? null : `$${params.push(window.asOf)}::timestamptz`;
    let breakdownSql = `o.breakdown_dimension = '' AND o.breakdown_code = '${TOTAL_CODE}'`;
    if (window.breakdown) {
      const { dimension, codes } = window.breakdown;
      const dims = codes === null || codes.includes(TOTAL_CODE) ? ['', dimension] : [dimension];
      params.push(dims);
      breakdownSql = `o.breakdown_dimension = ANY($${params.length}::text[])`;
      if (codes !== null) {
        params.push(codes);
        breakdownSql += ` AND o.breakdown_code = ANY($${params.length}::text[])`;
      }
    }
    const dimensions = window.breakdown ? ['', window.breakdown.dimension] : [''];
    const access = await observationFilter(ctx, indicators, regions, dimensions, params, at);
    const known = cellsKnownAt('o', at);
    // The stored pattern (DESIGN §4): the same cells stay hidden whichever question reaches them.
    const hidden = `(o.suppressed AND NOT ${access.counts})`;
    // The columns of CellRow, by name for the `latest` wrapper; the breakdown code only when a
    // breakdown was asked for (else every row is the total).
    const columns = [
      ['o.indicator_id', 'indicator_id'],
      ['o.region_id', 'region_id'],
      [window.breakdown ? 'o.breakdown_code' : 'NULL::text', 'code'],
      ['o.period', 'period'],
      [`CASE WHEN ${hidden} THEN NULL ELSE o.value END`, 'value'],
      [`CASE WHEN ${hidden} THEN '${ObservationStatus.Q}' ELSE o.status END`, 'status'],
      [`CASE WHEN ${hidden} THEN '.' ELSE o.symbol END`, 'symbol'],
      [`CASE WHEN ${access.counts} THEN o.numerator END`, 'numerator'],
      [`CASE WHEN ${access.counts} THEN o.denominator END`, 'denominator'],
      [ctx.selects.points ? 'o.id' : 'NULL::bigint', 'id'],
      [
        `NULLIF(${access.flags} + (o.release_state = '${ReleaseState.DRAFT}')::int * ${DRAFT_FLAG} + ((${seriesBreak('o', at)}) IS TRUE)::int * ${BREAK_FLAG}, 0)`,
        'flags',
      ],
      [access.agreement, 'agreement_id'],
      ['NULLIF(o.version, 1)', 'version'],
      ['NULLIF(o.definition_version, 1)', 'definition_version'],
    ];
    const where = `o.indicator_id = ANY($1::int[]) AND o.region_id = ANY($2::int[]) AND ${known.where}
        AND ${breakdownSql}
        AND ($3::date IS NULL OR o.period_start >= $3::date) AND ($4::date IS NULL OR o.period_start <= $4::date)
        AND ${access.where}`;
    let sql: string;
    if (window.latest === null) {
      sql = `SELECT ${columns.map(([expr, name]) => `${expr} AS ${name}`).join(', ')} FROM ${known.from} ${access.join} WHERE ${where}
        ORDER BY o.indicator_id, o.region_id, o.breakdown_dimension, o.breakdown_code, o.period_start`;
    } else {
      params.push(window.latest);
      sql = `SELECT ${columns.map(([, name]) => `c.${name}`).join(', ')}
        FROM (SELECT ${columns.map(([expr, name]) => `${expr} AS ${name}`).join(', ')}, o.breakdown_dimension AS dimension, o.breakdown_code AS breakdown_code,
                o.period_start, dense_rank() OVER (PARTITION BY o.indicator_id ORDER BY o.period_start DESC) AS rank
              FROM ${known.from} ${access.join} WHERE ${where}) c
        WHERE c.rank <= $${params.length}
        ORDER BY c.indicator_id, c.region_id, c.dimension, c.breakdown_code, c.period_start`;
    }
    const rows = (await ctx.queryArrays(sql, params)) as CellRow[];
    const out = new Map<string, TimeSeries>();
    const reads = new Map<number, { indicatorIds: Set<number>; regionIds: Set<number>; cells: number }>();
    const dimension = window.breakdown?.dimension ?? null;
    // Rows come grouped by series: a series is the run of rows with the same indicator, region
    // and code (null throughout without a breakdown). Its lists are allocated at their length.
    // (Rows are read by index, not destructured: this loop runs once per cell of a bulk pull.)
    for (let first = 0, end = 0; first < rows.length; first = end) {
      const head = rows[first];
      const indicatorId = head[0];
      const regionId = head[1];
      const code = head[2];
      for (end = first + 1; end < rows.length && rows[end][0] === indicatorId && rows[end][1] === regionId && rows[end][2] === code; end++);
      const n = end - first;
      const periods = new Array<string>(n);
      const values = new Array<number | null>(n);
      const statuses = new Array<ObservationStatus>(n);
      const symbols = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const row = rows[first + i];
        const flags = row[10] ?? 0;
        const agreementId = row[11];
        periods[i] = row[3];
        values[i] = row[4];
        // A hidden cell's status is already Q, which a break does not replace.
        statuses[i] = flags & BREAK_FLAG ? statusWithBreak(row[5], true) : row[5];
        symbols[i] = row[6];
        if (agreementId !== null) {
          const read = reads.get(agreementId) ?? { indicatorIds: new Set(), regionIds: new Set(), cells: 0 };
          read.indicatorIds.add(indicatorId);
          read.regionIds.add(regionId);
          read.cells++;
          reads.set(agreementId, read);
        }
      }
      const s = newSeries(selection.indicators.get(indicatorId)!, selection.regions.get(regionId)!, dimension, code ?? TOTAL_CODE, window.asOf, {
        periods,
        values,
        statuses,
        symbols,
        readDetail: () => cellDetail(rows, first, n),
      });
      out.set(`${indicatorId}|${regionId}|${code ?? TOTAL_CODE}`, s);
    }
    await logAgreementReads(ctx, reads);
    return out;
  },

  /** The series of one key: indicators × regions × breakdown parts, in argument order. */
  assemble(key: SeriesKey, window: SeriesWindow, cells: Map<string, TimeSeries>): TimeSeries[] {
    const pair = (indicatorId: number, regionId: number) => `${indicatorId}|${regionId}`;
    // Without a code list, a breakdown returns the total and every part that has data.
    const partsWithData = window.breakdown
      ? groupBy(
          [...cells.values()].filter((s) => s.breakdown && s.breakdown.code !== TOTAL_CODE),
          (s) => pair(s.indicatorId, s.regionId),
        )
      : new Map<string, TimeSeries[]>();
    const out: TimeSeries[] = [];
    for (const indicator of key.indicators) {
      for (const region of key.regions) {
        const codes = !window.breakdown
          ? [TOTAL_CODE]
          : (window.breakdown.codes ?? [TOTAL_CODE, ...(partsWithData.get(pair(indicator.id, region.id)) ?? []).map((s) => s.breakdown!.code)]);
        for (const code of codes) {
          out.push(cells.get(`${pair(indicator.id, region.id)}|${code}`) ?? emptySeries(indicator, region, window.breakdown?.dimension ?? null, code, window.asOf));
        }
      }
    }
    return out;
  },

  /**
   * Batch function of `observationDetailsById`: one statement for the cells of a request whose
   * details were asked for. The field rule (owner only) has admitted the viewer before a key
   * arrives here; row-level security would hide another organization's draft all the same.
   */
  async detailsByIds(ctx: RequestContext, ids: readonly number[]): Promise<Array<ObservationDetails | null>> {
    const rows: ObservationDetails[] = await ctx.query(
      `SELECT id, recorded_at AS "recordedAt", internal_note AS "internalNote", uploaded_by AS "uploadedBy", released_by AS "releasedBy" FROM observation WHERE id = ANY($1::bigint[])`,
      [ids],
    );
    return inKeyOrder(ids, rows, (r) => r.id);
  },

  /** The per-period objects of a series (built only when `points` is asked for). */
  points(s: TimeSeries): Observation[] {
    return s.periods.map((period, i) => ({
      period,
      value: s.values[i],
      status: s.statuses[i],
      symbol: s.symbols[i],
      confidential: s.statuses[i] === ObservationStatus.Q,
      numerator: s.numerators[i],
      denominator: s.denominators[i],
      releaseState: s.releaseStates[i] as ReleaseState,
      version: s.versions[i],
      definitionVersion: s.definitionVersions[i],
      agreementId: s.access[i].agreementId,
      id: s.ids[i],
      access: s.access[i],
    }));
  },
};

/** The indicators or regions by id. */
function byId<T extends { id: number }>(items: T[]): Map<number, T> {
  return new Map(items.map((x) => [x.id, x]));
}

/** The CellDetail of the `n` cell rows from `first` on (a series' run in the statement's rows). */
function cellDetail(rows: readonly CellRow[], first: number, n: number): CellDetail {
  const d: CellDetail = { numerators: [], denominators: [], releaseStates: [], versions: [], definitionVersions: [], ids: [], access: [] };
  for (let i = first; i < first + n; i++) {
    const [, , , , , , , numerator, denominator, id, rowFlags, agreementId, version, definitionVersion] = rows[i];
    const flags = rowFlags ?? 0;
    d.numerators.push(numerator);
    d.denominators.push(denominator);
    d.releaseStates.push(flags & DRAFT_FLAG ? ReleaseState.DRAFT : ReleaseState.RELEASED);
    d.versions.push(version ?? 1);
    d.definitionVersions.push(definitionVersion ?? 1);
    d.ids.push(id!); // null only in a request that selects no `points`, where nothing reads ids
    d.access.push(cellAccess(flags, agreementId));
  }
  return d;
}

/** The lists of a series' cells, and how to build their detail. */
type SeriesCells = Pick<TimeSeries, 'periods' | 'values' | 'statuses' | 'symbols' | 'readDetail'>;

/** A series without cells (assemble: a combination with none visible to the viewer). */
function emptySeries(indicator: Indicator, region: Region, dimension: BreakdownDimension | string | null, code: string, asOf: Date | null): TimeSeries {
  return newSeries(indicator, region, dimension, code, asOf, { periods: [], values: [], statuses: [], symbols: [], readDetail: () => cellDetail([], 0, 0) });
}

function newSeries(indicator: Indicator, region: Region, dimension: BreakdownDimension | string | null, code: string, asOf: Date | null, cells: SeriesCells): TimeSeries {
  const s = new TimeSeries();
  s.asOf = asOf;
  s.indicatorId = indicator.id;
  s.regionId = region.id;
  s.indicator = indicator;
  s.region = region;
  s.breakdown = dimension ? { dimension: dimension as BreakdownDimension, code } : null;
  s.periods = cells.periods;
  s.values = cells.values;
  s.statuses = cells.statuses;
  s.symbols = cells.symbols;
  s.readDetail = cells.readDetail;
  return s;
}
