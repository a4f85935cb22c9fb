import { ArgsType, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ObservationStatus, ReleaseState } from '../series/observation.enums';

export enum AuditAction {
  INSERT = 'INSERT',
  REVISE = 'REVISE',
  RELEASE = 'RELEASE',
  WITHDRAW = 'WITHDRAW',
  UPDATE = 'UPDATE',
}
registerEnumType(AuditAction, {
  name: 'AuditAction',
  description: 'What happened to a cell.',
  valuesConfig: {
    INSERT: { description: 'Its first version was written.' },
    REVISE: { description: 'A new version was written; the old one is kept (`old…` fields).' },
    RELEASE: { description: 'It was released (Freigabe).' },
    WITHDRAW: { description: 'Its release was withdrawn: a draft again.' },
    UPDATE: { description: 'Its values were changed in place, outside the hub (by hand in the database); the hub itself never does this.' },
  },
});

/** One row of `observation_audit` (src/db/migrations/1764200000000-imports.ts). */
@ObjectType({ description: 'One change of one cell (Änderungsprotokoll): who, when, through which upload, from what to what.' })
export class AuditEntry {
  @Field(() => ID, { description: 'Id of the entry; entries are numbered in the order they were written.' })
  id: string;

  @Field({ description: 'When the change was made (for a new version: its `recorded_at`).' })
  changedAt: Date;

  @Field({ description: 'Who made it: the subject of the login (`demo:halle-editor`, `api-key:7`), or `db:<user>` for changes made directly in the database (seed, maintenance).' })
  changedBy: string;

  @Field(() => ID, { nullable: true, description: 'The upload it came with (`ImportReport.importId`); null for changes outside uploads (e.g. `releaseData`).' })
  importId: string | null;

  @Field(() => AuditAction, { description: 'What happened.' })
  action: AuditAction;

  indicatorId: number;
  regionId: number;

  @Field({ description: 'Period code of the cell.' })
  period: string;

  @Field({ description: "Breakdown dimension of the cell; '' for the total." })
  breakdownDimension: string;

  @Field({ description: 'Breakdown code of the cell; `_T` for the total.' })
  breakdownCode: string;

  @Field(() => Float, { nullable: true, description: 'Value before; null for a first version or a missing value.' })
  oldValue: number | null;

  @Field(() => ObservationStatus, { nullable: true, description: 'Status before; null for a first version.' })
  oldStatus: ObservationStatus | null;

  @Field(() => String, { nullable: true, description: 'Symbol before; null for a first version.' })
  oldSymbol: string | null;

  @Field(() => Int, { nullable: true, description: 'Version before; null for a first version.' })
  oldVersion: number | null;

  @Field(() => ReleaseState, { nullable: true, description: 'Release state before; null for a first version.' })
  oldReleaseState: ReleaseState | null;

  @Field(() => Float, { nullable: true, description: 'Value after; null for a missing value.' })
  newValue: number | null;

  @Field(() => ObservationStatus, { description: 'Status after.' })
  newStatus: ObservationStatus;

  @Field({ description: 'Symbol after.' })
  newSymbol: string;

  @Field(() => Int, { description: 'Version after.' })
  newVersion: number;

  @Field(() => ReleaseState, { description: 'Release state after.' })
  newReleaseState: ReleaseState;
}

@ObjectType({ description: 'A page of the audit trail, newest first.' })
export class AuditTrailPage {
  @Field(() => [AuditEntry], { description: 'The entries of this page, newest first.' })
  entries: AuditEntry[];

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next (older) page; null on the last page.' })
  endCursor: string | null;
}

@ArgsType()
export class AuditTrailArgs {
  @Field(() => String, { nullable: true, description: 'Only cells of this indicator (catalogue code).' })
  indicatorCode?: string | null;

  @Field(() => String, { nullable: true, description: 'Only cells of this region (official code).' })
  regionCode?: string | null;

  @Field(() => String, { nullable: true, description: 'Only cells of this period (period code).' })
  period?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only changes of this upload (`ImportReport.importId`).' })
  importId?: string | null;

  @Field(() => Int, { defaultValue: 50, description: 'How many entries, 1 to 500.' })
  first: number;

  @Field(() => String, { nullable: true, description: '`endCursor` of the previous page.' })
  after?: string | null;
}
