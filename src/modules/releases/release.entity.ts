import { LocalDateResolver } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A release (Freigabe) of an organization's own cells: one indicator × regions × period range,
 * effective now or at a later instant (embargo). The row is the record of who released what,
 * when and why, and of its withdrawal; the cells carry the state itself (`release_state`,
 * `released_at` = `effective_at`, `released_by`). Row-level security shows a release only to its
 * owner organization (src/db/migrations/1764100000000-access.ts), so no field is restricted.
 */
@Entity({ name: 'data_release' })
@ObjectType({ description: 'A release (Freigabe) of your organization\'s own data for one indicator × regions × periods: who released how many cells, when and why, from when they are visible (embargo), and its withdrawal. Only your organization sees its releases.' })
export class DataRelease {
  @Field(() => Int, { description: 'Id of the release, for `withdrawRelease`.' })
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'owner_org_id', type: 'integer' })
  ownerOrgId: number;

  @Column({ name: 'indicator_id', type: 'integer' })
  indicatorId: number;

  @Column({ name: 'region_ids', type: 'integer', array: true })
  regionIds: number[];

  @Field(() => LocalDateResolver, { description: 'First day of the range: the start of the period `from` (cells whose period starts on or after it).' })
  @Column({ name: 'period_from', type: 'date' })
  periodFrom: string;

  @Field(() => LocalDateResolver, { description: 'Last day of the range: the end of the period `to` (cells whose period starts on or before it).' })
  @Column({ name: 'period_to', type: 'date' })
  periodTo: string;

  @Field({ description: 'When the cells became (or become) visible to others. Later than `releasedAt` means an embargo (Sperrfrist): until then only your organization sees them.' })
  @Column({ name: 'effective_at', type: 'timestamptz' })
  effectiveAt: Date;

  @Field({ description: 'When the release was recorded.' })
  @Column({ name: 'released_at', type: 'timestamptz', default: () => 'now()' })
  releasedAt: Date;

  @Field({ description: 'Who released: the subject of their login, e.g. `demo:halle-editor`.' })
  @Column({ name: 'released_by', type: 'text' })
  releasedBy: string;

  @Field({ description: 'Why the data was released, as given (Begründung).' })
  @Column({ type: 'text' })
  reason: string;

  @Field(() => Int, { description: 'How many cells (all breakdown parts) the release turned from draft into released.' })
  @Column({ type: 'integer' })
  cells: number;

  @Field(() => Date, { nullable: true, description: 'When the release was withdrawn; null while it stands.' })
  @Column({ name: 'withdrawn_at', type: 'timestamptz', nullable: true })
  withdrawnAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Who withdrew it (subject of their login); null while it stands.' })
  @Column({ name: 'withdrawn_by', type: 'text', nullable: true })
  withdrawnBy: string | null;

  @Field(() => String, { nullable: true, description: 'Why it was withdrawn, as given; null while it stands.' })
  @Column({ name: 'withdraw_reason', type: 'text', nullable: true })
  withdrawReason: string | null;
}
