import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, visit, type DocumentNode } from 'graphql';
import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { SeriesService } from './series.service';
import { IndicatorSelectionArgs, Observation, PeriodWindowArgs, RegionSelectionArgs, TimeSeries } from './series.types';

const selectsPointsOf = new WeakMap<DocumentNode, boolean>();

/**
 * Whether a document selects a field named `points` anywhere (in any operation or fragment,
 * whatever its directives): only then can a request read cell ids (RequestContext.selects).
 * Remembered per parsed document, which Apollo's document cache hands out again for the same text.
 */
export function selectsPoints(document: DocumentNode): boolean {
  let selects = selectsPointsOf.get(document);
  if (selects === undefined) {
    selects = false;
    visit(document, {
      Field(node) {
        if (node.name.value !== 'points') return undefined;
        selects = true;
        return BREAK;
      },
    });
    selectsPointsOf.set(document, selects);
  }
  return selects;
}

/** Sets RequestContext.selects.points from the operation's document, before any resolver runs. */
export const selectsPointsPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, contextValue }) {
        contextValue.selects.points = selectsPoints(document);
      },
    };
  },
};

@Resolver(() => TimeSeries)
export class SeriesResolver {
  @Query(() => [TimeSeries], {
    description:
      'Time series for indicators × regions (× breakdown parts), ordered by indicator, then region, as given. Regions by `regionCodes`, or all of `regionLevel` under `parentCode`. Unknown codes, malformed periods or `from` after `to` are BAD_USER_INPUT.',
  })
  async series(
    @Ctx() ctx: RequestContext,
    @Args() ind: IndicatorSelectionArgs,
    @Args() reg: RegionSelectionArgs,
    @Args() win: PeriodWindowArgs,
  ): Promise<TimeSeries[]> {
    const window = SeriesService.parseWindow(ctx, win);
    const [indicators, regions] = await Promise.all([SeriesService.resolveIndicators(ctx, ind), SeriesService.resolveRegions(ctx, reg)]);
    return SeriesService.load(ctx, indicators, regions, window);
  }

  @FieldResolver(() => [Observation], { description: 'The cells of the series, one per period, in time order.' })
  points(@Root() s: TimeSeries): Observation[] {
    return SeriesService.points(s);
  }
}

/**
 * The fields of a cell that are not in the covering index, loaded on demand in one statement per
 * request (`observationDetailsById`): when it was recorded, and the owner's details. The owner's
 * field rule (`@Authorized(FieldRule.OWNER)` in series.types.ts) runs before their resolvers, so
 * a denied viewer costs no statement.
 */
@Resolver(() => Observation)
export class ObservationResolver {
  @FieldResolver()
  async recordedAt(@Root() o: Observation, @Ctx() ctx: RequestContext): Promise<Date> {
    return (await ctx.loaders.observationDetailsById.load(o.id))!.recordedAt;
  }

  @FieldResolver()
  async internalNote(@Root() o: Observation, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await ctx.loaders.observationDetailsById.load(o.id))?.internalNote ?? null;
  }

  @FieldResolver()
  async uploadedBy(@Root() o: Observation, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await ctx.loaders.observationDetailsById.load(o.id))?.uploadedBy ?? null;
  }

  @FieldResolver()
  async releasedBy(@Root() o: Observation, @Ctx() ctx: RequestContext): Promise<string | null> {
    return (await ctx.loaders.observationDetailsById.load(o.id))?.releasedBy ?? null;
  }
}
