import { Arg, Args, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Indicator } from '../indicators/indicator.entity';
import { Region } from '../regions/region.entity';
import { SeriesService } from '../series/series.service';
import { IndicatorSelectionArgs, PeriodWindowArgs, RegionSelectionArgs, TimeSeries } from '../series/series.types';
import { AggregationService } from './aggregation.service';
import { AggregateLevelArgs, AggregateSeries, Comparison, PeerGroup } from './analytics.types';
import { ComparisonService } from './comparison.service';

/**
 * Aggregates have their own query rather than a level argument on `series` (the issue allows
 * either): an aggregate carries more than a series (computed and official figure, children
 * counted), and `series` stays the plain read of stored cells.
 */
@Resolver(() => AggregateSeries)
export class AggregateResolver {
  @Query(() => [AggregateSeries], {
    description:
      "Indicators for parent regions computed from their children by each indicator's aggregation rule (SUM, RATIO as Σnumerator/Σdenominator, WEIGHTED_MEAN, NONE → `M`/`x`), beside the official value where one exists (it wins as `value`). The regions selected (`regionCodes`, or `regionLevel`/`parentCode`) are the PARENTS; `childLevel` picks the children. Ordered by indicator, then parent, as given. Only cells visible to you are used: a group with a cell hidden from you is not computed (status `Q`).",
  })
  async aggregate(
    @Ctx() ctx: RequestContext,
    @Args() ind: IndicatorSelectionArgs,
    @Args() reg: RegionSelectionArgs,
    @Args() win: PeriodWindowArgs,
    @Args() lvl: AggregateLevelArgs,
  ): Promise<AggregateSeries[]> {
    const window = SeriesService.parseWindow(ctx, win);
    const [indicators, parents] = await Promise.all([SeriesService.resolveIndicators(ctx, ind), SeriesService.resolveRegions(ctx, reg)]);
    return AggregationService.aggregate(ctx, indicators, parents, lvl.childLevel, window);
  }

  @FieldResolver(() => Indicator, { description: 'The indicator aggregated.' })
  async indicator(@Root() a: AggregateSeries, @Ctx() ctx: RequestContext): Promise<Indicator> {
    return (await ctx.loaders.indicatorsById.load(a.indicatorId))!;
  }

  @FieldResolver(() => Region, { description: 'The parent region.' })
  async region(@Root() a: AggregateSeries, @Ctx() ctx: RequestContext): Promise<Region> {
    return (await ctx.loaders.regionsById.load(a.regionId))!;
  }
}

/** Comparison fields added to TimeSeries from this module (series.types stays the plain series). */
@Resolver(() => TimeSeries)
export class SeriesComparisonResolver {
  @FieldResolver(() => Comparison, {
    nullable: true,
    description: "The series' last period with a value compared with the Land, the Bund and its peers; null when the series has no value. Batched: a table of Kreise costs the same statements as one Kreis.",
  })
  async comparison(
    @Root() s: TimeSeries,
    @Ctx() ctx: RequestContext,
    @Arg('periods', () => Int, { defaultValue: 1, description: 'n for `change`: the value n periods before (1 to 99).' }) periods: number,
    @Arg('peers', () => PeerGroup, { defaultValue: PeerGroup.SAME_KIND, description: 'The group `peerMedian` is taken over.' }) peers: PeerGroup,
  ): Promise<Comparison | null> {
    ComparisonService.checkPeriods(periods);
    return ComparisonService.compare(ctx, s, periods, peers);
  }
}
