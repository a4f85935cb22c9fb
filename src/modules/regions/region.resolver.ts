import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { codeList, SeriesService } from '../series/series.service';
import { IndicatorSelectionArgs, PeriodWindowArgs, TimeSeries } from '../series/series.types';
import { Region } from './region.entity';
import { RegionLevel } from './region.enums';
import { RegionService } from './region.service';

@Resolver(() => Region)
export class RegionResolver {
  @Query(() => [Region], {
    description: 'Regions valid today, ordered by code: all of a `level`, the descendants of `parentCode` at that level, or the direct children of `parentCode`; `codes` narrows to those codes.',
  })
  regions(
    @Ctx() ctx: RequestContext,
    @Arg('level', () => RegionLevel, { nullable: true, description: 'Only regions of this level, e.g. `KREIS`.' }) level?: RegionLevel,
    @Arg('parentCode', () => String, { nullable: true, description: 'Only regions under this one, e.g. `15` for Sachsen-Anhalt.' }) parentCode?: string,
    @Arg('codes', () => [String], { nullable: true, description: 'Only regions with these official codes, e.g. `["15084", "15083", "15002"]`.' }) codes?: string[],
  ): Promise<Region[]> {
    if (codes) codeList(ctx, 'codes', codes);
    return RegionService.list(ctx, { level: level ?? undefined, parentCode: parentCode ?? undefined, codes: codes ?? undefined });
  }

  @Query(() => Region, { nullable: true, description: 'One region by official code (`DG`, `15`, `15084`, `15084015`); null if there is none.' })
  region(@Ctx() ctx: RequestContext, @Arg('code', () => String, { description: 'Official code of the region.' }) code: string): Promise<Region | null> {
    return ctx.loaders.regionsByCode.load(code);
  }

  @FieldResolver(() => Region, { nullable: true, description: 'The region this one belongs to (a Kreis for a Gemeinde, the Land for a Kreis); null for Germany.' })
  parent(@Root() region: Region, @Ctx() ctx: RequestContext): Promise<Region | null> | null {
    return region.parentId === null ? null : ctx.loaders.regionsById.load(region.parentId);
  }

  @FieldResolver(() => [Region], { description: 'The regions directly below this one, ordered by code (Kreise of a Land, Gemeinden of a Kreis).' })
  children(@Root() region: Region, @Ctx() ctx: RequestContext): Promise<Region[]> {
    return ctx.loaders.regionsByParentId.load(region.id);
  }

  @FieldResolver(() => [TimeSeries], { description: "This region's series for the given indicators, in the order given." })
  async series(@Root() region: Region, @Ctx() ctx: RequestContext, @Args() ind: IndicatorSelectionArgs, @Args() win: PeriodWindowArgs): Promise<TimeSeries[]> {
    const window = SeriesService.parseWindow(ctx, win);
    const indicators = await SeriesService.resolveIndicators(ctx, ind);
    return SeriesService.load(ctx, indicators, [region], window);
  }
}
