import { ArgsType, Authorized, Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import type { CellAccess } from '../../access/observation-access';
import { Indicator } from '../indicators/indicator.entity';
import { Region } from '../regions/region.entity';
import { FieldRule } from '../../access/field-rules';
import { BreakdownDimension } from '../indicators/indicator.enums';
import { RegionLevel } from '../regions/region.enums';
import { ObservationStatus, ReleaseState } from './observation.enums';

@InputType({ description: 'Which breakdown parts to return: a dimension and, optionally, its codes. `_T` is the total.' })
export class BreakdownInput {
  @Field(() => BreakdownDimension, { description: 'The dimension to break down by, e.g. `SEX`.' })
  dimension: BreakdownDimension;

  @Field(() => [String], { nullable: true, description: 'Codes of the dimension, e.g. `["_T", "F", "M"]`; omitted means the total and every part that has data.' })
  codes?: string[];
}

@ArgsType()
export class PeriodWindowArgs {
  @Field({ nullable: true, description: 'First period, as a period code (`2015`, `2015/16`, `2015-03-01`): periods that start on or after its first day.' })
  from?: string;

  @Field({ nullable: true, description: 'Last period, as a period code: periods that start on or before its last day (so `to: "2024"` includes the Stichtag `2024-03-01` and the school year `2024/25`).' })
  to?: string;

  @Field(() => Int, { nullable: true, description: 'Only the last n periods of each indicator that have data in the requested regions (after `from`/`to`), so that regions compared stay aligned. 1 to 100.' })
  latest?: number;

  @Field(() => BreakdownInput, { nullable: true, description: 'Breakdown to return (e.g. by sex); omitted means the total only.' })
  breakdown?: BreakdownInput;

  @Field(() => Date, {
    nullable: true,
    description:
      'Read the values as they were known at this instant (Stand), an ISO 8601 date-time such as `2025-03-31T00:00:00Z`: every cell in the version recorded by then and not yet revised then, so that a report can be regenerated with the numbers it had. Omitted, or not in the past: the current values. Before any data: empty series. Who may see what follows today\'s rules (a withdrawn release stays withdrawn; a cell released by others after that instant is not shown). A malformed value is BAD_USER_INPUT.',
  })
  asOf?: Date | null;
}

@ArgsType()
export class RegionSelectionArgs {
  @Field(() => [String], { nullable: true, description: 'Regions by official code, e.g. `["15084", "15083", "15"]`. Give either this or `regionLevel`/`parentCode`.' })
  regionCodes?: string[];

  @Field(() => RegionLevel, { nullable: true, description: 'All regions of this level (under `parentCode` when given), e.g. `KREIS` for every Kreis.' })
  regionLevel?: RegionLevel;

  @Field({ nullable: true, description: 'Restricts `regionLevel` to the descendants of this region, e.g. `15084` with `GEMEINDE`; alone, it means its direct children.' })
  parentCode?: string;
}

@ArgsType()
export class IndicatorSelectionArgs {
  @Field(() => [String], { description: 'Indicators by catalogue code, e.g. `["C1", "D1"]`.' })
  indicatorCodes: string[];
}

@ObjectType({ description: 'A breakdown part of a series: dimension and code, e.g. SEX / `F`.' })
export class Breakdown {
  @Field(() => BreakdownDimension, { description: 'The dimension, e.g. `SEX`.' })
  dimension: BreakdownDimension;

  @Field({ description: 'The code within the dimension, e.g. `F`; `_T` is the total.' })
  code: string;
}

@ObjectType({ description: 'One cell of a series (Tabellenfeld): a value with its status, symbol and release state.' })
export class Observation {
  @Field({ description: 'Period code: `2023` (year), `2023/24` (school year) or `2023-03-01` (Stichtag).' })
  period: string;

  @Field(() => Float, { nullable: true, description: 'The value; null when the cell has none (see `status` and `symbol` for why).' })
  value: number | null;

  @Field(() => ObservationStatus, { description: 'SDMX OBS_STATUS: `A` normal, `Q` suppressed, `O` not yet published, `M` not applicable, `P` provisional, …' })
  status: ObservationStatus;

  @Field({ description: 'Symbol of German official statistics: empty for a plain value, `.` unknown or secret, `-` exactly zero, `x` not applicable, `...` later, `/` unreliable, `p` provisional, `r` revised, `s` estimated.' })
  symbol: string;

  @Field({ description: 'True when the value is withheld for confidentiality (status `Q`); a `.` with false means simply unknown.' })
  confidential: boolean;

  @Authorized(FieldRule.COUNTS)
  @Field(() => Float, { nullable: true, description: 'Numerator (Zähler) of a rate, e.g. the number of children in day care. Restricted: the owner, and agreements granting counts; others get null with FORBIDDEN.' })
  numerator: number | null;

  @Authorized(FieldRule.COUNTS)
  @Field(() => Float, { nullable: true, description: 'Denominator (Nenner) of a rate, e.g. the number of children of that age. Restricted like `numerator`.' })
  denominator: number | null;

  @Field(() => ReleaseState, { description: 'Release state (Freigabe): `DRAFT` cells are seen only by their owner.' })
  releaseState: ReleaseState;

  @Field(() => Int, { nullable: true, description: 'The data-sharing agreement (Datenbereitstellung) that opened this cell to you; null when you see it as its owner or because it is public.' })
  agreementId: number | null;

  @Field(() => Int, {
    description:
      'Version of this cell: 1 for its first value, one more for each revision (a revision keeps the old version; see `asOf`). Exports carry it in the column `version`; an upload of an edited export sends it back, and a cell changed meanwhile is a CONFLICT instead of a silent overwrite.',
  })
  version: number;

  @Field(() => Int, {
    description:
      'Version of the indicator definition the value was computed with (`Indicator.definitionHistory`). Where it changes within a series, the first cell after the change has status `B` (series break).',
  })
  definitionVersion: number;

  @Field(() => Date, { description: 'When this version of the cell was recorded in the hub.' })
  recordedAt?: Date;

  // The owner's details below are not read with the series (they are not in the hot path's
  // covering index): ObservationResolver loads them through `observationDetailsById`, and only
  // after the field rule admitted the viewer.
  @Authorized(FieldRule.OWNER)
  @Field(() => String, { nullable: true, description: 'Internal note of the owner on this cell (interne Anmerkung), e.g. about a correction in progress. Restricted to the owner organization; others get null with FORBIDDEN.' })
  internalNote?: string | null;

  @Authorized(FieldRule.OWNER)
  @Field(() => String, { nullable: true, description: 'Who uploaded the value (the subject of their login). Restricted like `internalNote`.' })
  uploadedBy?: string | null;

  @Authorized(FieldRule.OWNER)
  @Field(() => String, { nullable: true, description: 'Who released the value (Freigabe); null while it is a draft. Restricted like `internalNote`.' })
  releasedBy?: string | null;

  /** Row id, for the fields loaded on demand. */
  id: number;
  /** What the viewer may do with this cell (src/access/observation-access.ts). */
  access: CellAccess;
}

/**
 * What a series knows of each cell beyond its public lists, parallel to `periods`: counts (null
 * where the viewer may not read them), release states, versions of the cell and of the definition
 * it was computed with, row ids (for the fields loaded on demand) and the viewer's access.
 */
export interface CellDetail {
  numerators: Array<number | null>;
  denominators: Array<number | null>;
  releaseStates: ReleaseState[];
  versions: number[];
  definitionVersions: number[];
  ids: number[];
  access: CellAccess[];
}

/**
 * A series is not a table: it is one indicator × region × breakdown part over periods, kept as
 * parallel arrays (DESIGN §6): `periods`, `values`, `statuses` serve bulk readers with no
 * per-cell resolver work; `points` builds the per-cell objects only when asked for.
 */
@ObjectType({
  // Every field is a plain property (or a field resolver of its own): graphql-js reads them
  // itself, without a type-graphql wrapper per field and series (no middleware or rule applies).
  simpleResolvers: true, description: 'A time series: one indicator in one region (and breakdown part) over periods. `points` gives one object per period; `periods`, `values`, `statuses`, `symbols` give the same data as parallel lists, much cheaper for large pulls.' })
export class TimeSeries {
  indicatorId: number;
  regionId: number;

  // Plain properties, not field resolvers: the series service has both at hand when it builds a
  // series, and a map or bulk pull has thousands of series (no resolver call per series).
  @Field(() => Indicator, { description: 'The indicator of the series.' })
  indicator: Indicator;

  @Field(() => Region, { description: 'The region of the series.' })
  region: Region;

  @Field(() => Breakdown, { nullable: true, description: 'The breakdown part; null for the total.' })
  breakdown: Breakdown | null;

  @Field(() => [String], { description: 'Period codes in time order.' })
  periods: string[];

  @Field(() => [Float], { nullable: 'items', description: 'Values, parallel to `periods`; null where a cell has no value.' })
  values: Array<number | null>;

  @Field(() => [ObservationStatus], { description: 'Statuses, parallel to `periods`.' })
  statuses: ObservationStatus[];

  @Field(() => [String], { description: 'Symbols, parallel to `periods`.' })
  symbols: string[];

  /** The instant the series was read as of (null: current), so that fields derived from it (comparison) read the same state. */
  asOf: Date | null;

  /**
   * Builds the CellDetail, once, when first read: the series service sets it; a bulk pull of
   * `periods` and `values` never reads the detail, so its thousands of series do not build seven
   * more lists each.
   */
  readDetail: () => CellDetail;
  #detail?: CellDetail;

  get numerators(): Array<number | null> {
    return this.detail.numerators;
  }
  get denominators(): Array<number | null> {
    return this.detail.denominators;
  }
  get releaseStates(): ReleaseState[] {
    return this.detail.releaseStates;
  }
  /** Versions of the cells and of the definitions they were computed with, parallel to `periods`. */
  get versions(): number[] {
    return this.detail.versions;
  }
  get definitionVersions(): number[] {
    return this.detail.definitionVersions;
  }
  get ids(): number[] {
    return this.detail.ids;
  }
  get access(): CellAccess[] {
    return this.detail.access;
  }
  private get detail(): CellDetail {
    return (this.#detail ??= this.readDetail());
  }
}
