import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { ObservationStatus, ReleaseState } from './observation.enums';

/**
 * One cell: indicator × region × period × breakdown, in one vintage.
 *
 * Values are never overwritten: a revision closes the current row (`superseded_at`) and adds a
 * new one with `version + 1`, so `WHERE superseded_at IS NULL` is "as known now" and a time
 * window on `recorded_at`/`superseded_at` is "as known then". The empty breakdown (dimension `''`,
 * code `_T`) is the total.
 *
 * The hot path reads this table through `observation_series_current` only (see the migrations):
 * one index range scan that covers every column a series returns. An `asOf` read adds the
 * superseded rows through the partial index `observation_series_history`
 * (src/modules/series/revisions.ts).
 */
@Entity({ name: 'observation' })
// Unique per (indicator, region, breakdown, period_start) among current rows, with INCLUDE
// columns TypeORM cannot express: created by the migration, left alone by schema sync.
@Index('observation_series_current', { synchronize: false })
export class Observation {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'indicator_id', type: 'integer' })
  indicatorId: number;

  @Column({ name: 'region_id', type: 'integer' })
  regionId: number;

  /** Period code as in the public contract: `2023`, `2023/24` or `2023-03-01`. */
  @Column({ type: 'varchar', length: 10 })
  period: string;

  /** First day of the period; ranges and ordering use it. */
  @Column({ name: 'period_start', type: 'date' })
  periodStart: string;

  @Column({ name: 'breakdown_dimension', type: 'varchar', length: 16, default: '' })
  breakdownDimension: string;

  @Column({ name: 'breakdown_code', type: 'varchar', length: 16, default: '_T' })
  breakdownCode: string;

  @Column({ type: 'double precision', nullable: true })
  value: number | null;

  @Column({ type: 'double precision', nullable: true })
  numerator: number | null;

  @Column({ type: 'double precision', nullable: true })
  denominator: number | null;

  @Column({ type: 'char', length: 1, default: ObservationStatus.A })
  status: ObservationStatus;

  @Column({ type: 'varchar', length: 4, default: '' })
  symbol: string;

  @Column({ name: 'owner_org_id', type: 'integer' })
  ownerOrgId: number;

  @Column({ name: 'release_state', type: 'varchar', length: 8, default: ReleaseState.DRAFT })
  releaseState: ReleaseState;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt: Date | null;

  @Column({ name: 'released_by', type: 'text', nullable: true })
  releasedBy: string | null;

  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'definition_version', type: 'integer', default: 1 })
  definitionVersion: number;

  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt: Date;

  @Column({ name: 'superseded_at', type: 'timestamptz', nullable: true })
  supersededAt: Date | null;

  /** A published official figure, confidentiality-checked at its source: never suppressed again (DESIGN §4). */
  @Column({ name: 'source_cleared', type: 'boolean', default: false })
  sourceCleared: boolean;

  /** Hidden from audiences without a right to small counts; the stored pattern (src/access/disclosure.ts). */
  @Column({ type: 'boolean', default: false })
  suppressed: boolean;

  @Column({ name: 'source_note', type: 'text', nullable: true })
  sourceNote: string | null;

  @Column({ name: 'internal_note', type: 'text', nullable: true })
  internalNote: string | null;

  @Column({ name: 'uploaded_by', type: 'text', nullable: true })
  uploadedBy: string | null;

  /** The version this row replaced (null for a first version): the audit trail's link to the old values. */
  @Column({ name: 'previous_id', type: 'bigint', nullable: true })
  previousId: string | null;
}
