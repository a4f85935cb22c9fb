import { Field, Float, InputType, Int } from 'type-graphql';
import { RegionLevel } from '../regions/region.enums';
import { AggregationRule, BreakdownDimension, PeriodType, Visibility } from './indicator.enums';

@InputType({ description: 'A new indicator of the catalogue (Kennzahl). Its definition starts at version 1.' })
export class CreateIndicatorInput {
  @Field({ description: 'Catalogue code: a letter, then up to 15 letters, digits, `_` or `-`, e.g. `C7` or `K15002_KITA1`. Must not be in use.' })
  code: string;

  @Field({ description: 'German name, e.g. "Kita-Plätze laut Bedarfsplanung"; must not be blank.' })
  name: string;

  @Field({ description: 'English name, e.g. "Day-care places in the demand plan"; must not be blank.' })
  nameEn: string;

  @Field({ description: 'How the value is computed (Definition), in German; must not be blank.' })
  definition: string;

  @Field({ description: 'Unit of the value, e.g. `%`, `persons`; must not be blank.' })
  unit: string;

  @Field(() => Int, { description: 'Decimal places to show, 0 to 6.' })
  decimals: number;

  @Field({ description: 'Code of the education area (Bildungsbereich) it belongs to, `A` to `G`.' })
  areaCode: string;

  @Field(() => PeriodType, { description: 'Kind of period it is observed for.' })
  periodType: PeriodType;

  @Field(() => String, { nullable: true, description: 'Reference day within the period (Stichtag) as `DD.MM.`, e.g. `01.03.`; omitted for flows over the period and for `STICHTAG` indicators.' })
  referenceDay?: string | null;

  @Field(() => AggregationRule, { description: 'How values combine across regions.' })
  aggregation: AggregationRule;

  @Field(() => String, { nullable: true, description: 'Catalogue code of the indicator that weights the mean: required with `WEIGHTED_MEAN`, refused otherwise.' })
  weightIndicatorCode?: string | null;

  @Field(() => [RegionLevel], { description: 'Levels at which the indicator exists; at least one.' })
  levels: RegionLevel[];

  @Field(() => [BreakdownDimension], { defaultValue: [], description: 'Dimensions it is broken down by; empty when only totals exist.' })
  breakdowns: BreakdownDimension[];

  @Field(() => Float, { nullable: true, description: 'Smallest plausible value; uploads below it are refused. Not above `validMax`.' })
  validMin?: number | null;

  @Field(() => Float, { nullable: true, description: 'Largest plausible value; uploads above it are refused.' })
  validMax?: number | null;

  @Field({ description: 'Where the figures come from (Quelle); must not be blank.' })
  source: string;

  @Field(() => String, { nullable: true, description: 'The population basis the values refer to, e.g. `Zensus 2022`; omitted where none applies.' })
  populationBasis?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Code of the owner organization; default your own. Land admins may name any organization; an admin of another organization only its own.",
  })
  ownerCode?: string | null;

  @Field(() => Visibility, {
    defaultValue: Visibility.OWNER,
    description: "Who may see its released values. Only the owner's admins may choose more than `OWNER` (Land admins also for indicators of Land and federal bodies, never for a Kommune's).",
  })
  visibility: Visibility;
}

@InputType({ description: 'Changes to an indicator of the catalogue. Omitted fields stay as they are.' })
export class UpdateIndicatorInput {
  @Field(() => String, { nullable: true, description: 'New German name; must not be blank.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New English name; must not be blank.' })
  nameEn?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'New definition; a text different from the current one starts a new `version` (kept in `Indicator.definitionHistory`), which values of the periods from `definitionValidFrom` on record. Where a series crosses the change, its first cell after it has status `B`.',
  })
  definition?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'New population basis, e.g. `Zensus 2022` (was `Zensus 2011`); a different one starts a new definition `version` like a new text. `null` records that none applies.',
  })
  populationBasis?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'With a new definition or population basis: the first period it applies to, as a period code (`2022`, `2022/23`, `2022-05-15`); not before the current version\'s. Omitted: periods that start from today on. Refused without a new definition.',
  })
  definitionValidFrom?: string | null;

  @Field(() => String, { nullable: true, description: 'New unit; must not be blank.' })
  unit?: string | null;

  @Field(() => Int, { nullable: true, description: 'New number of decimal places, 0 to 6.' })
  decimals?: number | null;

  @Field(() => String, { nullable: true, description: 'New source (Quelle); must not be blank.' })
  source?: string | null;

  @Field(() => Visibility, {
    nullable: true,
    description: "Who may see its released values from now on. Only the owner's admins may change it (Land admins also for indicators of Land and federal bodies, never for a Kommune's).",
  })
  visibility?: Visibility | null;

  @Field(() => Float, { nullable: true, description: 'New smallest plausible value; `null` removes the bound.' })
  validMin?: number | null;

  @Field(() => Float, { nullable: true, description: 'New largest plausible value; `null` removes the bound.' })
  validMax?: number | null;
}
