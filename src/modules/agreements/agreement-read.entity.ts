import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One read that an agreement opened (purpose binding made visible): written by
 * src/access/observation-access.ts in the reading request's transaction, listed to the provider.
 */
@Entity({ name: 'agreement_read' })
@ObjectType({ description: 'One read of data that a data-sharing agreement opened: who read what, when, and for which purpose.' })
export class AgreementRead {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Column({ name: 'agreement_id', type: 'integer' })
  agreementId: number;

  @Field(() => Date, { description: 'When the data was read.' })
  @Column({ name: 'read_at', type: 'timestamptz' })
  readAt: Date;

  @Field({ description: "Who read it: the subject of the reader's login (e.g. `demo:land-analyst`) or `api-key:<id>`." })
  @Column({ type: 'text' })
  subject: string;

  @Column({ name: 'organization_id', type: 'integer' })
  organizationId: number;

  @Column({ name: 'indicator_ids', type: 'integer', array: true })
  indicatorIds: number[];

  @Column({ name: 'region_ids', type: 'integer', array: true })
  regionIds: number[];

  @Field(() => Int, { description: 'How many cells the agreement opened in this read.' })
  @Column({ type: 'integer' })
  cells: number;

  @Field({ description: "The agreement's purpose at the time of the read." })
  @Column({ type: 'text' })
  purpose: string;
}
