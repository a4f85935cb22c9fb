import { ArgsType, Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Breakdown } from '../series/series.types';
import { RegionLevel } from '../regions/region.enums';
import { ObservationStatus } from '../series/observation.enums';

@ArgsType()
export class AggregateLevelArgs {
  @Field(() => RegionLevel, { nullable: true, description: 'Level of the children the parents are computed from, e.g. `KREIS` (the Land from its Kreise) or `GEMEINDE`; omitted means the level directly below each parent. Must be below the parent.' })
  childLevel?: RegionLevel;
}

@ObjectType({ description: 'One period of an aggregate: the value shown (official where the parent has one, else computed), and both figures side by side.' })
export class AggregatePoint {
  @Field({ description: 'Period code, as in `series`.' })
  period: string;

  @Field(() => Float, { nullable: true, description: "The value shown: the parent's official value where it has one (it wins), else the computed aggregate." })
  value: number | null;

  @Field(() => ObservationStatus, { description: 'Status of `value`: the official cell\'s, or `computedStatus`.' })
  status: ObservationStatus;

  @Field({ description: 'Symbol of `value`: the official cell\'s, or `computedSymbol`.' })
  symbol: string;

  @Field(() => Float, { nullable: true, description: "The aggregate computed from the children by the indicator's rule, rounded to its decimals; null when it cannot be computed (see `computedStatus`)." })
  computedValue: number | null;

  @Field(() => ObservationStatus, { description: 'Why `computedValue` is what it is: `A` (or `P` when a child is provisional) computed from every child; `L` a child has no value; `O` every missing child comes later (`...`); `Q` a child (or the parent) is hidden from you, so nothing is computed; `M` the indicator is not aggregatable (`NONE`).' })
  computedStatus: ObservationStatus;

  @Field({ description: 'Symbol of `computedStatus`: empty, `p`, `.`, `...` or `x`.' })
  computedSymbol: string;

  @Field(() => Float, { nullable: true, description: "The parent's own (official) value; null when it has none visible to you." })
  officialValue: number | null;

  @Field(() => Float, { nullable: true, description: 'officialValue − computedValue, rounded to the decimals; null unless both exist.' })
  difference: number | null;

  @Field(() => Int, { description: 'Number of children at the child level (regions valid today).' })
  childrenExpected: number;

  @Field(() => Int, { description: 'Children with a value usable for the rule (for RATIO: numerator and denominator too; for WEIGHTED_MEAN: a weight too).' })
  childrenWithValue: number;
}

/** Parallel lists like TimeSeries; `points` carries both figures per period. */
@ObjectType({ description: 'An indicator for a parent region, computed from its children by the indicator\'s aggregation rule (DESIGN §3), beside the official value where one exists. `values`, `statuses`, `symbols` are the shown values (official wins), parallel to `periods`.' })
export class AggregateSeries {
  indicatorId: number;
  regionId: number;

  @Field(() => RegionLevel, { description: 'Level of the children the aggregate is computed from.' })
  childLevel: RegionLevel;

  @Field(() => Breakdown, { nullable: true, description: 'The breakdown part; null for the total.' })
  breakdown: Breakdown | null;

  @Field(() => [String], { description: 'Period codes in time order: every period of the parent or a child.' })
  periods: string[];

  @Field(() => [Float], { nullable: 'items', description: 'Shown values, parallel to `periods`.' })
  values: Array<number | null>;

  @Field(() => [ObservationStatus], { description: 'Statuses of the shown values, parallel to `periods`.' })
  statuses: ObservationStatus[];

  @Field(() => [String], { description: 'Symbols of the shown values, parallel to `periods`.' })
  symbols: string[];

  @Field(() => [AggregatePoint], { description: 'One object per period with the computed and the official figure.' })
  points: AggregatePoint[];
}

/** The group of regions a median is taken over. */
export enum PeerGroup {
  SAME_KIND = 'SAME_KIND',
  SAME_LEVEL = 'SAME_LEVEL',
}

registerEnumType(PeerGroup, {
  name: 'PeerGroup',
  description: 'The group of regions a comparison takes its median over (always under the same Land and at the same level).',
  valuesConfig: {
    SAME_KIND: { description: 'Regions of the same kind: kreisfreie Städte with kreisfreie Städte, Landkreise with Landkreise (at Gemeinde level: Städte vs Gemeinden).' },
    SAME_LEVEL: { description: 'Every region of the same level.' },
  },
});

/** How a deviation is expressed. */
export enum DeviationUnit {
  PERCENTAGE_POINTS = 'PERCENTAGE_POINTS',
  PERCENT = 'PERCENT',
}

registerEnumType(DeviationUnit, {
  name: 'DeviationUnit',
  description: 'The unit of a deviation from the Land or Bund value.',
  valuesConfig: {
    PERCENTAGE_POINTS: { description: 'Rates (unit `%`): value − reference, in percentage points.' },
    PERCENT: { description: 'Everything else (counts, per-1000 rates, ratios): (value − reference) / reference × 100, in percent.' },
  },
});

@ObjectType({ description: "A series' last period with a value compared with the Land, the Bund and its peers. Every figure uses only cells visible to you (suppressed cells count as missing)." })
export class Comparison {
  @Field({ description: 'The period compared: the last period of the series that has a value.' })
  period: string;

  @Field(() => Float, { description: 'The value of the series in `period`.' })
  value: number;

  @Field(() => Float, { nullable: true, description: 'Value of the Land the region lies in (the Land itself for a Land), same indicator, breakdown part and period.' })
  landValue: number | null;

  @Field(() => Float, { nullable: true, description: 'Value of Germany (`DG`), where one exists.' })
  bundValue: number | null;

  @Field(() => DeviationUnit, { description: 'Unit of `deviationFromLand`/`deviationFromBund`: percentage points for `%` indicators, percent otherwise.' })
  deviationUnit: DeviationUnit;

  @Field(() => Float, { nullable: true, description: 'Deviation from `landValue` in `deviationUnit` (points rounded to the decimals, percent to 1 decimal).' })
  deviationFromLand: number | null;

  @Field(() => Float, { nullable: true, description: 'Deviation from `bundValue` in `deviationUnit`.' })
  deviationFromBund: number | null;

  @Field(() => Int, { nullable: true, description: 'Rank among the regions of the same level under the same Land with a visible value: 1 = highest, ties share a rank (1, 2, 2, 4). Null (see `unavailableReason`) with fewer than 3 others.' })
  rank: number | null;

  @Field(() => Int, { nullable: true, description: 'Number of regions ranked (the region included).' })
  rankOf: number | null;

  @Field(() => Float, { nullable: true, description: 'Median over the peer group (the region included), rounded to the decimals. Null (see `unavailableReason`) with fewer than 3 others with a visible value.' })
  peerMedian: number | null;

  @Field(() => Int, { description: 'Regions of the peer group with a visible value, the region included.' })
  peerCount: number;

  @Field(() => String, { nullable: true, description: 'The period `periods` periods before `period`, counted in the periods with data in the region, its Land, the Bund or its peers; null when there is none.' })
  changeFrom: string | null;

  @Field(() => Float, { nullable: true, description: 'value − the value in `changeFrom`, in the unit of the indicator (percentage points for `%`); null when either is missing.' })
  change: number | null;

  @Field(() => String, { nullable: true, description: 'Why `rank` or `peerMedian` is null, e.g. "only 1 other region of the same level has a visible value (3 needed)"; null when both are given.' })
  unavailableReason: string | null;
}
