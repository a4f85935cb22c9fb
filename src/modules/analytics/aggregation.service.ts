import type { RequestContext } from '../../graphql/context';
import { badInput } from '../../graphql/errors';
import { AggregationRule, TOTAL_CODE } from '../indicators/indicator.enums';
import type { Indicator } from '../indicators/indicator.entity';
import type { Region } from '../regions/region.entity';
import { LEVEL_DEPTH, RegionLevel } from '../regions/region.enums';
import { RegionService } from '../regions/region.service';
import { ObservationStatus } from '../series/observation.enums';
import { SeriesService, type SeriesWindow } from '../series/series.service';
import type { TimeSeries } from '../series/series.types';
import { AggregatePoint, AggregateSeries } from './analytics.types';

/**
 * Aggregation along the region hierarchy (DESIGN §3): a parent computed from its children at a
 * level below by the indicator's rule —
 *   SUM            Σ child values;
 *   RATIO          Σnumerator / Σdenominator × the indicator's multiplier (never the mean of rates);
 *   WEIGHTED_MEAN  Σ(value × weight) / Σweight, the weight being the weight indicator's value of
 *                  the same child and period;
 *   NONE           not computed: status M, symbol `x`.
 * The RATIO multiplier is not stored in the catalogue: it is derived from the children's own cells
 * (value ÷ (numerator/denominator), snapped to a power of ten: 100 for `%`, 1000 for per-1000, 1
 * for children per FTE), so the aggregate is on the children's scale by construction.
 *
 * Missing children: the aggregate is only computed from every child (a partial sum is a wrong
 * figure, not an estimate). With a child missing, `computedValue` is null with status L (`.`), or O
 * (`...`) when every missing child is one that comes later. An official value of the parent, where
 * one exists, wins as `value`; `computedValue` and `difference` stay available beside it.
 *
 * Disclosure (DESIGN §4): every cell is read through SeriesService.load, i.e. with the viewer's
 * access rules and the stored suppression pattern applied. A child hidden from the viewer —
 * suppressed (status Q, no value), or a rate whose numerator/denominator the viewer may not read
 * (RATIO needs them) — makes the computed aggregate null with status Q, and so does a parent cell
 * that is suppressed for the viewer. Why this reveals nothing: the computed figure is only ever
 * the aggregate of children that are all visible to this viewer, so it is a function of what the
 * viewer already sees; it never combines a hidden cell with visible ones (which would let
 * someone subtract the visible children from a total and recover the hidden one), and it never
 * fills in a parent that the suppression pattern hides. Viewers who may read the true values (the
 * owner, agreements with detail COUNTS) get them unsuppressed from the series service, so their
 * aggregates are computed from the true values.
 */

/** Key of `regionsByAncestorLevel`: regions valid today at `level` below `ancestorId`. */
export interface AncestorLevelKey {
  ancestorId: number;
  level: RegionLevel;
}

/** Rounds to `decimals` places (the indicator's), halves up as Math.round does. */
export const round = (v: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

/** A cell of a series by period, as the viewer sees it. */
interface Cell {
  value: number | null;
  status: ObservationStatus;
  symbol: string;
  numerator: number | null;
  denominator: number | null;
  /** Whether the viewer may read the cell's counts (numerator/denominator). */
  counts: boolean;
}

function cellsByPeriod(s: TimeSeries | undefined): Map<string, Cell> {
  const out = new Map<string, Cell>();
  if (!s) return out;
  s.periods.forEach((p, i) =>
    out.set(p, { value: s.values[i], status: s.statuses[i], symbol: s.symbols[i], numerator: s.numerators[i], denominator: s.denominators[i], counts: s.access[i].counts }),
  );
  return out;
}

/** value ÷ (numerator/denominator) of the first complete cell, snapped to a power of ten; 1 when none. */
function ratioMultiplier(series: Array<TimeSeries | undefined>): number {
  for (const s of series) {
    if (!s) continue;
    for (let i = 0; i < s.periods.length; i++) {
      const [v, n, d] = [s.values[i], s.numerators[i], s.denominators[i]];
      if (v !== null && n !== null && d !== null && n > 0 && d > 0 && v > 0) return 10 ** Math.round(Math.log10((v * d) / n));
    }
  }
  return 1;
}

/** The computed figure of one period, before the official value is considered. */
interface Computed {
  value: number | null;
  status: ObservationStatus;
  symbol: string;
  withValue: number;
}

const seriesKey = (indicatorId: number, regionId: number, code: string) => `${indicatorId}|${regionId}|${code}`;

export const AggregationService = {
  /**
   * Batch function of `regionsByAncestorLevel`: one statement finds the descendants of every
   * ancestor; each key keeps those at its level, ordered by code.
   */
  async descendantsAtLevel(ctx: RequestContext, keys: readonly AncestorLevelKey[]): Promise<Region[][]> {
    const rows: Array<{ root: number; id: number }> = await ctx.query(
      `WITH RECURSIVE sub AS (
         SELECT id AS root, id FROM region WHERE id = ANY($1::int[]) AND valid_to IS NULL
         UNION ALL
         SELECT sub.root, r.id FROM region r JOIN sub ON r.parent_id = sub.id WHERE r.valid_to IS NULL
       )
       SELECT sub.root, sub.id FROM sub JOIN region r ON r.id = sub.id
       WHERE sub.id <> sub.root AND r.level = ANY($2::text[]) ORDER BY r.code`,
      [[...new Set(keys.map((k) => k.ancestorId))], [...new Set(keys.map((k) => k.level))]],
    );
    // Read directly rather than through `regionsById`: one statement whether or not the regions
    // were loaded before, so the statement count of a request does not depend on what it listed.
    const regions = (await RegionService.byIds(ctx, [...new Set(rows.map((r) => r.id))])) as Region[];
    for (const r of regions) ctx.loaders.regionsById.prime(r.id, r);
    const byId = new Map(regions.map((r) => [r.id, r]));
    return keys.map((k) => rows.filter((r) => r.root === k.ancestorId && byId.get(r.id)!.level === k.level).map((r) => byId.get(r.id)!));
  },

  /** The level a parent is computed from: `childLevel`, or the level directly below; BAD_USER_INPUT unless below every parent. */
  childLevelFor(parents: Region[], childLevel: RegionLevel | undefined): Map<number, RegionLevel> {
    const byDepth = Object.fromEntries(Object.entries(LEVEL_DEPTH).map(([l, d]) => [d, l as RegionLevel]));
    const out = new Map<number, RegionLevel>();
    for (const p of parents) {
      const level = childLevel ?? byDepth[LEVEL_DEPTH[p.level] + 1];
      if (!level || LEVEL_DEPTH[level] <= LEVEL_DEPTH[p.level]) {
        throw badInput(`"childLevel" must be below the level of ${p.code} (${p.level})`, { argument: 'childLevel' });
      }
      out.set(p.id, level);
    }
    return out;
  },

  /**
   * Aggregates for every indicator × parent (× breakdown part), in argument order. One series read
   * (one statement) covers the parents, their children and the weight indicators, so `latest`
   * aligns the periods of parents and children.
   */
  async aggregate(ctx: RequestContext, indicators: Indicator[], parents: Region[], childLevel: RegionLevel | undefined, window: SeriesWindow): Promise<AggregateSeries[]> {
    const levels = AggregationService.childLevelFor(parents, childLevel);
    const children = await ctx.loaders.regionsByAncestorLevel.loadMany(parents.map((p) => ({ ancestorId: p.id, level: levels.get(p.id)! })));
    const childrenOf = new Map(parents.map((p, i) => [p.id, children[i] as Region[]]));
    const weightIds = [...new Set(indicators.filter((i) => i.aggregation === AggregationRule.WEIGHTED_MEAN && i.weightIndicatorId !== null).map((i) => i.weightIndicatorId!))];
    const weights = (await ctx.loaders.indicatorsById.loadMany(weightIds)) as Indicator[];
    const allIndicators = [...new Map([...indicators, ...weights].map((i) => [i.id, i])).values()];
    const allRegions = [...new Map([...parents, ...[...childrenOf.values()].flat()].map((r) => [r.id, r])).values()];
    const series = await SeriesService.load(ctx, allIndicators, allRegions, window);
    const byKey = new Map(series.map((s) => [seriesKey(s.indicatorId, s.regionId, s.breakdown?.code ?? TOTAL_CODE), s]));
    const codesOf = new Map<string, string[]>();
    for (const s of series) {
      const pair = `${s.indicatorId}|${s.regionId}`;
      codesOf.set(pair, [...(codesOf.get(pair) ?? []), s.breakdown?.code ?? TOTAL_CODE]);
    }
    // The weight of a breakdown part: the weight indicator's same part, else its total.
    const weightSeries = (indicator: Indicator, regionId: number, code: string) => {
      const part = byKey.get(seriesKey(indicator.weightIndicatorId ?? -1, regionId, code));
      return part?.periods.length ? part : byKey.get(seriesKey(indicator.weightIndicatorId ?? -1, regionId, TOTAL_CODE));
    };
    const out: AggregateSeries[] = [];
    for (const indicator of indicators) {
      for (const parent of parents) {
        const kids = childrenOf.get(parent.id)!;
        // The parts to return: those of the parent and of any child (the series read returned the requested ones).
        const codes = [...new Set([parent, ...kids].flatMap((r) => codesOf.get(`${indicator.id}|${r.id}`) ?? []))];
        for (const code of codes) {
          out.push(
            AggregationService.aggregateOne(
              indicator,
              parent,
              levels.get(parent.id)!,
              byKey.get(seriesKey(indicator.id, parent.id, code)),
              kids.map((k) => byKey.get(seriesKey(indicator.id, k.id, code))),
              kids.map((k) => weightSeries(indicator, k.id, code)),
            ),
          );
        }
      }
    }
    return out;
  },

  /** One aggregate series from the parent's series, its children's series and (WEIGHTED_MEAN) their weights, child by child. */
  aggregateOne(indicator: Indicator, parent: Region, childLevel: RegionLevel, own: TimeSeries | undefined, children: Array<TimeSeries | undefined>, weights: Array<TimeSeries | undefined>): AggregateSeries {
    const official = cellsByPeriod(own);
    const childCells = children.map(cellsByPeriod);
    const weightCells = weights.map(cellsByPeriod);
    const multiplier = indicator.aggregation === AggregationRule.RATIO ? ratioMultiplier([own, ...children]) : 1;
    const periods = [...new Set([...official.keys(), ...childCells.flatMap((c) => [...c.keys()])])].sort();
    const a = new AggregateSeries();
    a.indicatorId = indicator.id;
    a.regionId = parent.id;
    a.childLevel = childLevel;
    a.breakdown = own?.breakdown ?? children.find((c) => c)?.breakdown ?? null;
    a.points = periods.map((period) => {
      const parentCell = official.get(period);
      let computed = AggregationService.compute(
        indicator,
        multiplier,
        childCells.map((c) => c.get(period)),
        weightCells.map((c) => c.get(period)),
      );
      // A parent the stored pattern hides is never filled in by a computed figure.
      if (parentCell?.status === ObservationStatus.Q && parentCell.value === null) computed = { ...computed, value: null, status: ObservationStatus.Q, symbol: '.' };
      const officialValue = parentCell?.value ?? null;
      const p = new AggregatePoint();
      p.period = period;
      p.computedValue = computed.value === null ? null : round(computed.value, indicator.decimals);
      p.computedStatus = computed.status;
      p.computedSymbol = computed.symbol;
      p.officialValue = officialValue;
      p.difference = officialValue !== null && p.computedValue !== null ? round(officialValue - p.computedValue, indicator.decimals) : null;
      p.value = officialValue ?? p.computedValue;
      p.status = officialValue !== null ? parentCell!.status : computed.status;
      p.symbol = officialValue !== null ? parentCell!.symbol : computed.symbol;
      p.childrenExpected = children.length;
      p.childrenWithValue = computed.withValue;
      return p;
    });
    a.periods = periods;
    a.values = a.points.map((p) => p.value);
    a.statuses = a.points.map((p) => p.status);
    a.symbols = a.points.map((p) => p.symbol);
    return a;
  },

  /** The rule applied to one period's child cells (undefined: the child has no cell visible to the viewer). */
  compute(indicator: Indicator, multiplier: number, cells: Array<Cell | undefined>, weights: Array<Cell | undefined>): Computed {
    if (indicator.aggregation === AggregationRule.NONE) return { value: null, status: ObservationStatus.M, symbol: 'x', withValue: 0 };
    const rule = indicator.aggregation;
    const usable = cells.map((c, i) => {
      if (!c || c.value === null) return false;
      if (rule === AggregationRule.RATIO) return c.numerator !== null && c.denominator !== null;
      if (rule === AggregationRule.WEIGHTED_MEAN) return weights[i]?.value !== undefined && weights[i]!.value !== null;
      return true;
    });
    const withValue = usable.filter(Boolean).length;
    // Hidden from this viewer: suppressed, or (RATIO) a rate whose counts it may not read. A rate
    // without stored counts that the viewer could read is merely missing (L).
    const hidden = cells.some((c) => c && ((c.status === ObservationStatus.Q && c.value === null) || (rule === AggregationRule.RATIO && c.value !== null && !c.counts)));
    const weightHidden = rule === AggregationRule.WEIGHTED_MEAN && weights.some((w) => w && w.status === ObservationStatus.Q && w.value === null);
    if (hidden || weightHidden) return { value: null, status: ObservationStatus.Q, symbol: '.', withValue };
    if (withValue < cells.length || cells.length === 0) {
      const missing = cells.filter((_, i) => !usable[i]);
      const later = missing.length > 0 && missing.every((c) => c?.status === ObservationStatus.O);
      return later ? { value: null, status: ObservationStatus.O, symbol: '...', withValue } : { value: null, status: ObservationStatus.L, symbol: '.', withValue };
    }
    const present = cells as Cell[];
    let value: number;
    if (rule === AggregationRule.SUM) value = present.reduce((s, c) => s + c.value!, 0);
    else if (rule === AggregationRule.RATIO) {
      const num = present.reduce((s, c) => s + c.numerator!, 0);
      const den = present.reduce((s, c) => s + c.denominator!, 0);
      if (den === 0) return { value: null, status: ObservationStatus.M, symbol: 'x', withValue };
      value = (num / den) * multiplier;
    } else {
      const w = weights as Cell[];
      const total = w.reduce((s, c) => s + c.value!, 0);
      if (total === 0) return { value: null, status: ObservationStatus.M, symbol: 'x', withValue };
      value = present.reduce((s, c, i) => s + c.value! * w[i].value!, 0) / total;
    }
    const provisional = present.some((c) => c.status === ObservationStatus.P);
    return provisional ? { value, status: ObservationStatus.P, symbol: 'p', withValue } : { value, status: ObservationStatus.A, symbol: '', withValue };
  },
};
