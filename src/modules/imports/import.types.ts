import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ObservationStatus } from '../series/observation.enums';
import { IMPORT_ERROR_CODES, type ImportErrorCode } from './import-row';

/** The row error codes as a GraphQL enum, so that GraphiQL documents them (README "Uploads"). */
export const ImportErrorCodeEnum = Object.fromEntries(IMPORT_ERROR_CODES.map((c) => [c, c])) as { [K in ImportErrorCode]: K };
registerEnumType(ImportErrorCodeEnum, {
  name: 'ImportErrorCode',
  description: 'Why a row of an upload was refused (stable; README "Uploads").',
  valuesConfig: {
    MISSING_COLUMN: { description: 'The CSV header lacks a required column (row 1).' },
    MALFORMED_CSV: { description: 'The line is not valid CSV, or has another number of fields than the header.' },
    UNKNOWN_INDICATOR: { description: 'No indicator of the catalogue has this code.' },
    UNKNOWN_REGION: { description: 'No current region has this official code.' },
    UNKNOWN_BREAKDOWN: { description: 'Not a breakdown dimension of the indicator, or not a code of the dimension.' },
    MALFORMED_PERIOD: { description: 'Not a period code (`2023`, `2023/24`, `2023-03-01`).' },
    MALFORMED_NUMBER: { description: 'A value, numerator, denominator or version that is not a number in the format\'s notation.' },
    UNKNOWN_SYMBOL: { description: 'Not a symbol of official statistics, or not a status letter.' },
    PERIOD_TYPE_MISMATCH: { description: 'The period is of another kind than the indicator\'s (e.g. a school year for a calendar-year indicator).' },
    VALUE_OUT_OF_RANGE: { description: 'The value lies outside the indicator\'s valid range (`validMin`, `validMax`).' },
    SYMBOL_CONTRADICTS_VALUE: { description: 'A symbol or status for a missing value with a number, or no value without one.' },
    RATE_MISMATCH: { description: 'Numerator ÷ denominator does not give the rate (in the indicator\'s unit and decimals).' },
    DUPLICATE_CELL: { description: 'The same cell (indicator, region, breakdown, period) appears again in the upload.' },
    REGION_NOT_WRITABLE: { description: 'Your organization may not write this cell: the region lies outside its territory, or the cell belongs to another organization.' },
    REVISION_NEEDS_RELEASE: { description: 'A new value for a released cell: upload it with `release` (the revision is published as `r`), or withdraw the release first.' },
    CONFLICT: { description: 'The row\'s `version` is not the cell\'s current version: someone changed it since your export.' },
  },
});

export enum ImportStatus {
  COMMITTED = 'COMMITTED',
  REJECTED = 'REJECTED',
  DRY_RUN = 'DRY_RUN',
}
registerEnumType(ImportStatus, {
  name: 'ImportStatus',
  description: 'What became of an upload.',
  valuesConfig: {
    COMMITTED: { description: 'Every row was valid and the upload was written, in one transaction.' },
    REJECTED: { description: 'At least one row was refused (see `errors`): nothing was written.' },
    DRY_RUN: { description: 'Checked and counted as if written, but nothing was written.' },
  },
});

@ObjectType({ description: 'A refused row of an upload: where, and why.' })
export class ImportRowError {
  @Field(() => Int, { description: 'The line in the CSV file (the header is line 1), or the 1-based position in `rows` of `importObservations`.' })
  row: number;

  @Field(() => String, { nullable: true, description: 'The column as the upload names it (`Wert`, `value`, `breakdownCode`, …); null for a problem of the whole line.' })
  column: string | null;

  @Field(() => ImportErrorCodeEnum, { description: 'Stable code of the problem.' })
  code: ImportErrorCode;

  @Field({ description: 'What is wrong, in words (may change; match on `code`).' })
  message: string;
}

@ObjectType({ description: 'The report of an upload (`importObservations`, `POST /import`): what was written, or why nothing was.' })
export class ImportReport {
  @Field(() => ID, { nullable: true, description: 'Id of the upload record (committed or rejected); null for a dry run.' })
  importId: string | null;

  @Field(() => ImportStatus, { description: 'Committed, rejected (nothing written) or dry run (nothing written).' })
  status: ImportStatus;

  @Field({ description: 'True when this answers a repeated request with the same `Idempotency-Key`: the first answer, and nothing written now.' })
  replayed: boolean;

  @Field(() => Int, { description: 'Rows read (without the header and `#` lines).' })
  rows: number;

  @Field(() => Int, { description: 'New cells (first version).' })
  inserted: number;

  @Field(() => Int, { description: 'Cells with a new version (the old one is kept; `asOf` reads it).' })
  revised: number;

  @Field(() => Int, { description: 'Rows equal to the cell\'s current version: nothing written for them.' })
  unchanged: number;

  @Field(() => Int, { description: 'Cells released (Freigabe) by this upload (`release`): new, revised, and unchanged drafts.' })
  released: number;

  @Field(() => Int, { description: 'Versions written: `inserted` + `revised` (counted also for a dry run, as it would have been).' })
  written: number;

  @Field(() => Int, { description: 'Number of row errors; `errors` lists the first 1,000.' })
  errorCount: number;

  @Field(() => [ImportRowError], { description: 'The refused rows, by row; at most 1,000 (`errorCount` has the total).' })
  errors: ImportRowError[];
}

@InputType({ description: 'One cell to upload: indicator, region, period and breakdown name it; value, symbol and status say what it holds.' })
export class ImportRowInput {
  @Field({ description: 'Indicator code, e.g. `C1`.' })
  indicator: string;

  @Field({ description: 'Official region code, e.g. `15084`.' })
  region: string;

  @Field({ description: 'Period code: `2023`, `2023/24` or `2023-03-01`, fitting the indicator.' })
  period: string;

  @Field(() => String, { nullable: true, description: 'Breakdown dimension (`SEX`, `AGE_GROUP`, `NATIONALITY`, `SCHOOL_TYPE`); omitted for the total.' })
  breakdownDimension?: string | null;

  @Field(() => String, { nullable: true, description: 'Breakdown code, e.g. `F`; omitted or `_T` for the total.' })
  breakdownCode?: string | null;

  @Field(() => Float, { nullable: true, description: 'The value; null with a symbol for a missing one (`.`, `x`, `...`, `/`).' })
  value?: number | null;

  @Field(() => Float, { nullable: true, description: 'Numerator of a rate (RATIO indicators); checked against the value with `denominator`.' })
  numerator?: number | null;

  @Field(() => Float, { nullable: true, description: 'Denominator of a rate.' })
  denominator?: number | null;

  @Field(() => ObservationStatus, { nullable: true, description: 'SDMX status; omitted: the status the symbol stands for (A for a plain value).' })
  status?: ObservationStatus | null;

  @Field(() => String, { nullable: true, description: 'Symbol of official statistics (`.` `-` `x` `...` `/` `( )` `0` `p` `r` `s`); omitted for a plain value.' })
  symbol?: string | null;

  @Field(() => Int, { nullable: true, description: 'The cell\'s version your change is based on (from `Observation.version` or the export): another current version is the row error CONFLICT. Omitted: last writer wins (still a new version).' })
  version?: number | null;
}

@InputType({ description: 'An upload of cells through GraphQL: the same checks and rules as `POST /import`.' })
export class ImportObservationsInput {
  @Field(() => [ImportRowInput], { description: 'The cells, at most 10,000 (larger uploads: `POST /import` or `npm run import`).' })
  rows: ImportRowInput[];

  @Field({ defaultValue: false, description: 'Check and count only; write nothing.' })
  dryRun: boolean;

  @Field({ defaultValue: false, description: 'Release (Freigabe) the uploaded cells at once, recorded as releases of your organization (`releases`, withdrawable). Needed to revise a released cell. Without it, new values are drafts only your organization sees.' })
  release: boolean;

  @Field(() => String, { nullable: true, description: 'Why the cells are released (Begründung), recorded with the release; default "Upload <id>".' })
  releaseReason?: string | null;

  @Field(() => String, { nullable: true, description: 'Makes a retry safe: a repeated request with the same key (yours alone) returns the first report and writes nothing; the same key with other rows is CONFLICT.' })
  idempotencyKey?: string | null;
}
