import { ArgsType, Field, Int, ObjectType } from 'type-graphql';
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

  /** The filter of this page, for `totalCount`. */
  filter: { areaCode?: string; search?: string };
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
