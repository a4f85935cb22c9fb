import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { badInput } from '../../graphql/errors';
import { Organization } from '../organizations/organization.entity';
import { SeriesService } from '../series/series.service';
import { PeriodWindowArgs, RegionSelectionArgs, TimeSeries } from '../series/series.types';
import { EducationArea } from './education-area.entity';
import { Indicator } from './indicator.entity';
import { CreateIndicatorInput, UpdateIndicatorInput } from './indicator.inputs';
import { IndicatorService } from './indicator.service';
import { IndicatorConnection, IndicatorDefinition, IndicatorsArgs } from './indicator.types';

const MAX_PAGE = 500;

@Resolver(() => Indicator)
export class IndicatorResolver {
  @Query(() => IndicatorConnection, { description: 'The indicator catalogue, page by page, ordered by code; filter by education area and text.' })
  indicators(@Ctx() ctx: RequestContext, @Args() args: IndicatorsArgs) {
    if (args.first < 1 || args.first > MAX_PAGE) throw badInput(`"first" must be between 1 and ${MAX_PAGE}`, { argument: 'first' });
    return IndicatorService.page(ctx, { areaCode: args.areaCode ?? undefined, search: args.search ?? undefined }, args.first, args.after ?? undefined);
  }

  @Query(() => Indicator, { nullable: true, description: 'One indicator by catalogue code, e.g. `C1`; null if there is none.' })
  indicator(@Ctx() ctx: RequestContext, @Arg('code', () => String, { description: 'Catalogue code.' }) code: string): Promise<Indicator | null> {
    return ctx.loaders.indicatorsByCode.load(code);
  }

  @Mutation(() => Indicator, {
    description:
      "Adds an indicator to the catalogue. Admins of a Land body, for any owner; an admin of another organization (e.g. a Kommune's Bildungsbüro), for indicators its own organization owns; others FORBIDDEN, the public UNAUTHENTICATED. Unknown area, owner or weight indicator, malformed or blank fields, or `validMin` above `validMax` are BAD_USER_INPUT; a code in use is CONFLICT.",
  })
  createIndicator(@Ctx() ctx: RequestContext, @Arg('input', () => CreateIndicatorInput, { description: 'The catalogue entry.' }) input: CreateIndicatorInput): Promise<Indicator> {
    return IndicatorService.create(ctx, input);
  }

  @Mutation(() => Indicator, {
    description:
      "Changes an indicator's catalogue entry (admins of a Land body, or of its owner organization; others FORBIDDEN). A new definition text or population basis increments `version` and adds it to `definitionHistory`. Its visibility is the owner's to set. Unknown code: NOT_FOUND.",
  })
  updateIndicator(
    @Ctx() ctx: RequestContext,
    @Arg('code', () => String, { description: 'Catalogue code of the indicator, e.g. `C1`.' }) code: string,
    @Arg('input', () => UpdateIndicatorInput, { description: 'The fields to change.' }) input: UpdateIndicatorInput,
  ): Promise<Indicator> {
    return IndicatorService.update(ctx, code, input);
  }

  @FieldResolver(() => EducationArea, { description: 'The education area (Bildungsbereich) the indicator belongs to.' })
  async area(@Root() indicator: Indicator, @Ctx() ctx: RequestContext): Promise<EducationArea> {
    return (await ctx.loaders.areasByCode.load(indicator.areaCode))!;
  }

  @FieldResolver(() => Organization, { nullable: true, description: 'The organization that owns the indicator and its definition.' })
  owner(@Root() indicator: Indicator, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return ctx.loaders.organizationsById.load(indicator.ownerOrgId);
  }

  @FieldResolver(() => Indicator, { nullable: true, description: 'For `WEIGHTED_MEAN`: the indicator whose values weight the mean; null otherwise.' })
  weightIndicator(@Root() indicator: Indicator, @Ctx() ctx: RequestContext): Promise<Indicator | null> | null {
    return indicator.weightIndicatorId === null ? null : ctx.loaders.indicatorsById.load(indicator.weightIndicatorId);
  }

  @FieldResolver(() => [IndicatorDefinition], {
    description:
      "The versions of the indicator's definition, oldest first (Definitionshistorie): text, population basis and the first period each applies to. Values record the version they were computed with (`Observation.definitionVersion`); indicators older than the history start with the version they had then.",
  })
  definitionHistory(@Root() indicator: Indicator, @Ctx() ctx: RequestContext): Promise<IndicatorDefinition[]> {
    return ctx.loaders.definitionsByIndicatorId.load(indicator.id);
  }

  @FieldResolver(() => [TimeSeries], { description: "This indicator's series in the given regions, in the order given." })
  async series(@Root() indicator: Indicator, @Ctx() ctx: RequestContext, @Args() reg: RegionSelectionArgs, @Args() win: PeriodWindowArgs): Promise<TimeSeries[]> {
    const window = SeriesService.parseWindow(ctx, win);
    const regions = await SeriesService.resolveRegions(ctx, reg);
    return SeriesService.load(ctx, [indicator], regions, window);
  }
}

@Resolver(() => EducationArea)
export class EducationAreaResolver {
  @Query(() => [EducationArea], { description: 'The education areas A–G in report order.' })
  educationAreas(@Ctx() ctx: RequestContext): Promise<EducationArea[]> {
    return IndicatorService.areas(ctx);
  }

  @FieldResolver(() => [Indicator], { description: 'The indicators of this area, ordered by code.' })
  indicators(@Root() area: EducationArea, @Ctx() ctx: RequestContext): Promise<Indicator[]> {
    return ctx.loaders.indicatorsByAreaCode.load(area.code);
  }
}
