import { ArgsType, Authorized, Field, Int, ObjectType } from 'type-graphql';
import { FieldRule } from '../../access/field-rules';
import type { CellAccess } from '../../access/observation-access';
import { Indicator } from './indicator.entity';

@ObjectType({ description: 'Relay-style page information of a connection.' })
export class PageInfo {
  @Field({ description: 'True when more items follow `endCursor`.' })
  hasNextPage: boolean;

  @Field({ description: 'True when items precede this page (an `after` cursor was given).' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item of this page.' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item of this page; pass it as `after` for the next page.' })
  endCursor: string | null;
}

@ObjectType({ description: 'An indicator in a page of the catalogue.' })
export class IndicatorEdge {
  @Field(() => Indicator, { description: 'The indicator.' })
  node: Indicator;

  @Field({ description: 'Opaque cursor of this position.' })
  cursor: string;
}

@ObjectType({ description: 'A page of the indicator catalogue, ordered by code.' })
export class IndicatorConnection {
  @Field(() => [IndicatorEdge], { description: 'The indicators of this page.' })
  edges: IndicatorEdge[];

  @Field(() => PageInfo, { description: 'Where this page stands in the whole list.' })
  pageInfo: PageInfo;

  @Field(() => Int, { description: 'Number of indicators matching the filter, on all pages.' })
  totalCount: number;
}

@ArgsType()
export class IndicatorsArgs {
  @Field(() => Int, { defaultValue: 50, description: 'Page size, 1 to 500.' })
  first: number;

  @Field({ nullable: true, description: 'Cursor after which the page starts (`pageInfo.endCursor` of the previous page).' })
  after?: string;

  @Field({ nullable: true, description: 'Only indicators of this education area, e.g. `C`.' })
  areaCode?: string;

  @Field({ nullable: true, description: 'Case-insensitive text that code, name (German or English) or definition must contain, e.g. `Betreuung`.' })
  search?: string;
}

/**
 * One version of an indicator's definition (`indicator_definition`). A new version starts when
 * the definition text or the population basis changes (`updateIndicator`); cells record the
 * version they were computed with (`Observation.definitionVersion`).
 */
@ObjectType({ description: "A version of an indicator's definition (Definition), with the population basis it refers to and the first period it applies to." })
export class IndicatorDefinition {
  indicatorId: number;
  /** The viewer's rights on the restricted field (`changedBy`): see IndicatorService.definitionsByIndicatorIds. */
  access: CellAccess;

  @Field(() => Int, { description: 'Version number: 1 for the first definition, one more for each change.' })
  version: number;

  @Field({ description: 'The definition text of this version.' })
  definition: string;

  @Field(() => String, { nullable: true, description: 'The population basis the values refer to, e.g. `Zensus 2011` or `Zensus 2022`; null where none applies or none was recorded.' })
  populationBasis: string | null;

  @Field(() => String, { nullable: true, description: 'First day of the first period this version applies to (`YYYY-MM-DD`, e.g. `2022-01-01`); null: every period before the next version.' })
  validFrom: string | null;

  @Field(() => Date, { description: 'When this version was recorded.' })
  changedAt: Date;

  @Authorized(FieldRule.OWNER)
  @Field(() => String, { nullable: true, description: "Who recorded this version (the subject of their login). Restricted to the indicator's owner organization and the Land's admins (who may change the entry); others get null with FORBIDDEN." })
  changedBy: string | null;
}
