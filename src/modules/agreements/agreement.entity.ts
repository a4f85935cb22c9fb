import { LocalDateResolver } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { BreakdownDimension } from '../indicators/indicator.enums';
import type { RegionLevel } from '../regions/region.enums';
import { AgreementDetail, AgreementState } from './agreement.types';

/**
 * A data-sharing agreement (Datenbereitstellung, DESIGN §3): the provider opens the data in its
 * scope to the recipient, with a detail level, for a purpose and on a legal basis, while it is
 * ACTIVE and today is within its validity. Row-level security shows a row only to its two parties.
 */
@Entity({ name: 'data_sharing_agreement' })
@ObjectType({ description: 'A data-sharing agreement (Datenbereitstellung): which data an organization (provider) shares with another (recipient), how detailed, for which purpose, on which legal basis and for how long. Seen only by its two parties.' })
export class DataSharingAgreement {
  @Field(() => Int, { description: 'Id of the agreement; cells it opened carry it as `agreementId`.' })
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'provider_org_id', type: 'integer' })
  providerOrgId: number;

  @Column({ name: 'recipient_org_id', type: 'integer' })
  recipientOrgId: number;

  @Column({ name: 'indicator_ids', type: 'integer', array: true, nullable: true })
  indicatorIds: number[] | null;

  @Column({ name: 'area_codes', type: 'text', array: true, nullable: true })
  areaCodes: string[] | null;

  @Column({ name: 'region_ids', type: 'integer', array: true, nullable: true })
  regionIds: number[] | null;

  @Column({ type: 'text', array: true, nullable: true })
  levels: RegionLevel[] | null;

  @Column({ type: 'text', array: true, nullable: true })
  breakdowns: BreakdownDimension[] | null;

  @Field(() => AgreementDetail, { description: 'How much of the data in scope the agreement opens.' })
  @Column({ type: 'varchar', length: 32 })
  detail: AgreementDetail;

  @Field({ description: 'What the recipient uses the data for (Zweck); logged with every read it opens.' })
  @Column({ type: 'text' })
  purpose: string;

  @Field({ description: 'Legal basis of the transfer (Rechtsgrundlage).' })
  @Column({ name: 'legal_basis', type: 'text' })
  legalBasis: string;

  @Field(() => LocalDateResolver, { description: 'First day of validity.' })
  @Column({ name: 'valid_from', type: 'date' })
  validFrom: string;

  @Field(() => LocalDateResolver, { nullable: true, description: 'Last day of validity; null when open-ended.' })
  @Column({ name: 'valid_to', type: 'date', nullable: true })
  validTo: string | null;

  @Field(() => AgreementState, { description: 'Life-cycle state: proposed, active, rejected or revoked.' })
  @Column({ type: 'varchar', length: 10 })
  state: AgreementState;

  @Field({ description: 'Who proposed it (the subject of their login, e.g. `demo:halle-editor`).' })
  @Column({ name: 'proposed_by', type: 'text' })
  proposedBy: string;

  @Column({ name: 'proposed_by_org_id', type: 'integer' })
  proposedByOrgId: number;

  @Field(() => Date, { description: 'When it was proposed.' })
  @Column({ name: 'proposed_at', type: 'timestamptz' })
  proposedAt: Date;

  @Field(() => String, { nullable: true, description: "Who approved or rejected it (an admin of the provider); null while proposed or when revoked before a decision." })
  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was approved or rejected.' })
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was approved (optional) or rejected.' })
  @Column({ name: 'decision_reason', type: 'text', nullable: true })
  decisionReason: string | null;

  @Field(() => String, { nullable: true, description: 'Who revoked it (an admin of either side).' })
  @Column({ name: 'revoked_by', type: 'text', nullable: true })
  revokedBy: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was revoked.' })
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was revoked.' })
  @Column({ name: 'revoke_reason', type: 'text', nullable: true })
  revokeReason: string | null;

  /** ACTIVE and today (the database's current_date) within validity; computed by the service's SELECT. */
  @Field({ description: 'True when the agreement opens data right now: ACTIVE and today within `validFrom`…`validTo`.' })
  effectiveNow: boolean;
}
