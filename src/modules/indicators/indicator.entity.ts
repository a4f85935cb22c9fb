import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { RegionLevel } from '../regions/region.enums';
import { AggregationRule, BreakdownDimension, PeriodType, Visibility } from './indicator.enums';

/**
 * An indicator of the catalogue (Kennzahl). `version` is the version of its definition: an
 * observation records the version it was computed with, so a change of definition is a visible
 * series break rather than a silent one.
 */
@Entity({ name: 'indicator' })
@Index('indicator_area', ['areaCode'])
@ObjectType({ description: 'An indicator of the education-monitoring catalogue (Kennzahl), e.g. C1 "Betreuungsquote unter 3 Jahren".' })
export class Indicator {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Field({ description: 'Catalogue code, e.g. `C1`; stable across definition versions.' })
  @Column({ type: 'varchar', length: 16, unique: true })
  code: string;

  @Field({ description: 'German name, e.g. "Betreuungsquote unter 3 Jahren".' })
  @Column({ type: 'text' })
  name: string;

  @Field({ description: 'English name, e.g. "Childcare rate under 3".' })
  @Column({ name: 'name_en', type: 'text' })
  nameEn: string;

  @Field({ description: 'How the value is computed (Definition), in German, as the statistical office words it.' })
  @Column({ type: 'text' })
  definition: string;

  @Field({ description: 'Unit of the value, e.g. `%`, `persons`, `per 1000 inhabitants`.' })
  @Column({ type: 'text' })
  unit: string;

  @Field(() => Int, { description: 'Decimal places to show; values are stored unrounded where the source gives more.' })
  @Column({ type: 'smallint' })
  decimals: number;

  @Column({ name: 'area_code', type: 'varchar', length: 4 })
  areaCode: string;

  @Field(() => PeriodType, { description: 'Kind of period the indicator is observed for; fixes the shape of its period codes.' })
  @Column({ name: 'period_type', type: 'varchar', length: 12 })
  periodType: PeriodType;

  @Field(() => String, { nullable: true, description: 'Reference day within the period (Stichtag), e.g. `31.12.` or `01.03.`; null for flows over the whole period.' })
  @Column({ name: 'reference_day', type: 'varchar', length: 16, nullable: true })
  referenceDay: string | null;

  @Field(() => AggregationRule, { description: 'How values combine across regions (e.g. Kreise to the Land).' })
  @Column({ type: 'varchar', length: 16 })
  aggregation: AggregationRule;

  @Column({ name: 'weight_indicator_id', type: 'integer', nullable: true })
  weightIndicatorId: number | null;

  @Field(() => [RegionLevel], { description: 'Levels at which the indicator exists (is published).' })
  @Column({ type: 'text', array: true })
  levels: RegionLevel[];

  @Field(() => [BreakdownDimension], { description: 'Dimensions the indicator is broken down by; empty when only totals exist.' })
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  breakdowns: BreakdownDimension[];

  @Field(() => Float, { nullable: true, description: 'Smallest plausible value; uploads below it are refused.' })
  @Column({ name: 'valid_min', type: 'double precision', nullable: true })
  validMin: number | null;

  @Field(() => Float, { nullable: true, description: 'Largest plausible value; uploads above it are refused.' })
  @Column({ name: 'valid_max', type: 'double precision', nullable: true })
  validMax: number | null;

  @Field({ description: 'Where the figures come from (Quelle), e.g. "Statistisches Landesamt Sachsen-Anhalt, Kinder- und Jugendhilfestatistik".' })
  @Column({ type: 'text' })
  source: string;

  @Column({ name: 'owner_org_id', type: 'integer' })
  ownerOrgId: number;

  @Field(() => Visibility, { description: 'Who may see released values by default (public, partners, owner).' })
  @Column({ type: 'varchar', length: 10 })
  visibility: Visibility;

  @Field(() => Int, { description: 'Version of the definition; values record the version they were computed with.' })
  @Column({ type: 'integer', default: 1 })
  version: number;
}
