import type { RequestContext } from '../../graphql/context';
import { badInput } from '../../graphql/errors';
import type { Indicator } from '../indicators/indicator.entity';
import type { Region } from '../regions/region.entity';
import { RegionLevel } from '../regions/region.enums';
import { SeriesService } from '../series/series.service';
import type { TimeSeries } from '../series/series.types';
import { round } from './aggregation.service';
import { Comparison, DeviationUnit, PeerGroup } from './analytics.types';

/**
 * Comparisons of a series (a Bildungsbericht's "im Vergleich"): for the series' last period with a
 * value, the Land and Bund values, the deviation from them, the rank among the regions of the same
 * level under the same Land, the median of a peer group and the change over n periods.
 *
 * Everything is read through SeriesService.load, so a comparison uses only cells the viewer may
 * see, with suppressed cells as missing: a rank or median never rests on a hidden value. Rank and
 * median need at least MIN_OTHERS other regions with a visible value; otherwise they are null and
 * `unavailableReason` says why (with one or two others, a rank or median would all but disclose
 * their values).
 *
 * Batching: the peer regions of a series depend only on (Land, level), and the window (every
 * period) only on the breakdown part, so the 14 Kreise of one table ask for the same
 * indicator × regions × window key of the `seriesBySelection` loader, which keeps one statement
 * for them all (its cache key is the content of the key). Regions come through
 * `regionsById` (ancestors) and `regionsByAncestorLevel` (peers).
 */

const MIN_OTHERS = 3;
const MAX_PERIODS = 99;

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** The region's ancestors from its parent up to the top (one loader round per level). */
async function ancestorsOf(ctx: RequestContext, region: Region): Promise<Region[]> {
  const out: Region[] = [];
  let current = region;
  while (current.parentId !== null) {
    const parent = await ctx.loaders.regionsById.load(current.parentId);
    if (!parent) break;
    out.push(parent);
    current = parent;
  }
  return out;
}

export const ComparisonService = {
  /** Validates `periods` (BAD_USER_INPUT naming the argument). */
  checkPeriods(periods: number): void {
    if (!Number.isInteger(periods) || periods < 1 || periods > MAX_PERIODS) throw badInput(`"periods" must be between 1 and ${MAX_PERIODS}`, { argument: 'periods' });
  },

  /** The comparison of a series' last period with a value; null when the series has no value. */
  async compare(ctx: RequestContext, s: TimeSeries, periods: number, peers: PeerGroup): Promise<Comparison | null> {
    let last = s.values.length - 1;
    while (last >= 0 && s.values[last] === null) last--;
    if (last < 0) return null;
    const period = s.periods[last];
    const value = s.values[last]!;
    const [indicator, region] = (await Promise.all([ctx.loaders.indicatorsById.load(s.indicatorId), ctx.loaders.regionsById.load(s.regionId)])) as [Indicator, Region];
    const lineage = [region, ...(await ancestorsOf(ctx, region))];
    const land = lineage.find((r) => r.level === RegionLevel.LAND) ?? null;
    const bund = lineage.find((r) => r.level === RegionLevel.BUND) ?? null;
    // Ranked among the same level under the same Land (the Länder: under the Bund).
    const scope = region.level === RegionLevel.LAND ? bund : region.level === RegionLevel.BUND ? null : land;
    const sameLevel = scope ? await ctx.loaders.regionsByAncestorLevel.load({ ancestorId: scope.id, level: region.level }) : [region];
    const regions = [...new Map([...sameLevel, region, ...(land ? [land] : []), ...(bund ? [bund] : [])].map((r) => [r.id, r])).values()].sort((a, b) => a.id - b.id);
    // Every period, not a window around `period`: series compared at different periods (a Kreis
    // whose latest value is older) then still share one key and one statement.
    // As of the same instant as the series compared.
    const window = SeriesService.parseWindow(ctx, { breakdown: s.breakdown ? { dimension: s.breakdown.dimension, codes: [s.breakdown.code] } : undefined, asOf: s.asOf });
    const series = await SeriesService.load(ctx, [indicator], regions, window);
    const byRegion = new Map(series.map((x) => [x.regionId, x]));
    const valueAt = (regionId: number, p: string) => {
      const x = byRegion.get(regionId);
      const i = x ? x.periods.indexOf(p) : -1;
      return i < 0 ? null : x!.values[i];
    };
    const allPeriods = [...new Set(series.flatMap((x) => x.periods))].filter((p) => p <= period).sort();
    const fromIndex = allPeriods.indexOf(period) - periods;
    const changeFrom = fromIndex >= 0 ? allPeriods[fromIndex] : null;
    const earlier = changeFrom ? valueAt(region.id, changeFrom) : null;

    const percentagePoints = indicator.unit === '%';
    const deviation = (ref: number | null) => {
      if (ref === null) return null;
      if (percentagePoints) return round(value - ref, indicator.decimals);
      return ref === 0 ? null : round(((value - ref) / ref) * 100, 1);
    };
    const landValue = land ? valueAt(land.id, period) : null;
    const bundValue = bund ? valueAt(bund.id, period) : null;

    const c = new Comparison();
    c.period = period;
    c.value = value;
    c.landValue = landValue;
    c.bundValue = bundValue;
    c.deviationUnit = percentagePoints ? DeviationUnit.PERCENTAGE_POINTS : DeviationUnit.PERCENT;
    c.deviationFromLand = deviation(landValue);
    c.deviationFromBund = deviation(bundValue);
    c.changeFrom = changeFrom;
    c.change = earlier === null ? null : round(value - earlier, indicator.decimals);

    const reasons: string[] = [];
    const ranked = sameLevel.map((r) => (r.id === region.id ? value : valueAt(r.id, period))).filter((v): v is number => v !== null);
    if (ranked.length - 1 >= MIN_OTHERS) {
      c.rank = 1 + ranked.filter((v) => v > value).length;
      c.rankOf = ranked.length;
    } else {
      c.rank = c.rankOf = null;
      reasons.push(`rank: only ${ranked.length - 1} other region(s) of the same level have a value visible to you (${MIN_OTHERS} needed)`);
    }
    const group = peers === PeerGroup.SAME_KIND ? sameLevel.filter((r) => r.kind === region.kind) : sameLevel;
    const peerValues = group.map((r) => (r.id === region.id ? value : valueAt(r.id, period))).filter((v): v is number => v !== null);
    c.peerCount = peerValues.length;
    if (peerValues.length - 1 >= MIN_OTHERS) c.peerMedian = round(median(peerValues), indicator.decimals);
    else {
      c.peerMedian = null;
      reasons.push(`peerMedian: only ${peerValues.length - 1} other region(s) of the peer group have a value visible to you (${MIN_OTHERS} needed)`);
    }
    c.unavailableReason = reasons.length ? reasons.join('; ') : null;
    return c;
  },
};
