import { LocalDateResolver } from 'graphql-scalars';
import { ArgsType, Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BreakdownDimension } from '../indicators/indicator.enums';
import { RegionLevel } from '../regions/region.enums';

/** How much an agreement opens of the cells in its scope (DESIGN §3); src/access/observation-access.ts applies it. */
export enum AgreementDetail {
  COUNTS = 'COUNTS',
  RATES_DISCLOSURE_CONTROLLED = 'RATES_DISCLOSURE_CONTROLLED',
  AGGREGATES_ONLY = 'AGGREGATES_ONLY',
}

registerEnumType(AgreementDetail, {
  name: 'AgreementDetail',
  description: 'How much of the data in scope an agreement (Datenbereitstellung) opens to the recipient.',
  valuesConfig: {
    COUNTS: { description: 'Raw counts: values including small counts, with numerators and denominators.' },
    RATES_DISCLOSURE_CONTROLLED: { description: 'Values with disclosure control: small counts stay suppressed, numerators and denominators stay FORBIDDEN.' },
    AGGREGATES_ONLY: { description: "Only aggregates over several regions; opens none of the provider's cells themselves." },
  },
});

/**
 * Life cycle of an agreement: PROPOSED → ACTIVE (approved by the provider) or REJECTED;
 * PROPOSED or ACTIVE → REVOKED (by either side). REJECTED and REVOKED are final.
 */
export enum AgreementState {
  PROPOSED = 'PROPOSED',
  ACTIVE = 'ACTIVE',
  REJECTED = 'REJECTED',
  REVOKED = 'REVOKED',
}

registerEnumType(AgreementState, {
  name: 'AgreementState',
  description: 'Life-cycle state of a data-sharing agreement.',
  valuesConfig: {
    PROPOSED: { description: "Proposed by either side; waits for the provider's admin to approve or reject it. Opens nothing yet." },
    ACTIVE: { description: 'Approved by the provider: opens the data in scope while today is within its validity.' },
    REJECTED: { description: "Rejected by the provider's admin; final." },
    REVOKED: { description: 'Revoked by an admin of either side (also a proposal withdrawn); final.' },
  },
});

/** Which side of an agreement the viewer's organization is on, for listing. */
export enum AgreementParty {
  PROVIDER = 'PROVIDER',
  RECIPIENT = 'RECIPIENT',
  EITHER = 'EITHER',
}

registerEnumType(AgreementParty, {
  name: 'AgreementParty',
  description: "The side of an agreement your organization is on.",
  valuesConfig: {
    PROVIDER: { description: 'Your organization provides (shares) the data.' },
    RECIPIENT: { description: 'Your organization receives the data.' },
    EITHER: { description: 'Either side.' },
  },
});

/**
 * The scope of an agreement as stored: ids and codes. Its resolver turns them into objects.
 * A cell is in scope when its indicator is listed or belongs to a listed area, and its region,
 * level and breakdown dimension are covered (null = all); totals are always covered.
 */
@ObjectType({ description: 'What an agreement covers. A cell is in scope when its indicator is listed or belongs to a listed education area, and its region, level and breakdown are covered; null means "all" (totals are always covered).' })
export class AgreementScope {
  indicatorIds: number[] | null;
  areaCodes: string[] | null;
  regionIds: number[] | null;

  @Field(() => [RegionLevel], { nullable: true, description: 'Region levels covered, e.g. `[KREIS, GEMEINDE]`; null for all levels.' })
  levels: RegionLevel[] | null;

  @Field(() => [BreakdownDimension], { nullable: true, description: 'Breakdown dimensions covered besides the totals, e.g. `[SEX]`; null for all.' })
  breakdowns: BreakdownDimension[] | null;
}

@ArgsType()
export class AgreementsArgs {
  @Field(() => AgreementParty, { defaultValue: AgreementParty.EITHER, description: 'Only agreements where your organization is on this side.' })
  as: AgreementParty;

  @Field(() => AgreementState, { nullable: true, description: 'Only agreements in this state; omitted means all states.' })
  state?: AgreementState;
}

@ArgsType()
export class AgreementReadsArgs {
  @Field(() => Int, { description: 'Id of the agreement whose reads to list.' })
  agreementId: number;

  @Field(() => Int, { defaultValue: 100, description: 'How many reads to return, newest first; 1 to 200.' })
  first: number;
}

@InputType({ description: 'A proposal of a data-sharing agreement (Datenbereitstellung) between your organization and another one: either side may propose, the provider approves.' })
export class ProposeAgreementInput {
  @Field({ description: 'Code of the organization that shares its data, e.g. `bildungsbuero-15002`; your own organization or the recipient.' })
  providerCode: string;

  @Field({ description: 'Code of the organization that receives the data, e.g. `ministerium-15`; your own organization or the provider.' })
  recipientCode: string;

  @Field(() => [String], { nullable: true, description: 'Indicators covered, by catalogue code, e.g. `["C1"]`. Give this, `areaCodes` or both.' })
  indicatorCodes?: string[];

  @Field(() => [String], { nullable: true, description: 'Education areas covered with all their indicators, e.g. `["C"]`. Give this, `indicatorCodes` or both.' })
  areaCodes?: string[];

  @Field(() => [String], { nullable: true, description: 'Regions covered, by official code, e.g. `["15002"]`; omitted means all regions.' })
  regionCodes?: string[];

  @Field(() => [RegionLevel], { nullable: true, description: 'Region levels covered; omitted means all levels.' })
  levels?: RegionLevel[];

  @Field(() => [BreakdownDimension], { nullable: true, description: 'Breakdown dimensions covered besides the totals; omitted means all.' })
  breakdowns?: BreakdownDimension[];

  @Field(() => AgreementDetail, { description: 'How much the agreement opens: counts, rates with disclosure control, or aggregates only.' })
  detail: AgreementDetail;

  @Field({ description: 'What the recipient uses the data for (Zweck), e.g. "Bildungsbericht 2025"; must not be blank. Logged with every read.' })
  purpose: string;

  @Field({ description: 'Legal basis of the transfer (Rechtsgrundlage), e.g. "§ 3 KoBi-Kooperationsvereinbarung"; must not be blank.' })
  legalBasis: string;

  @Field(() => LocalDateResolver, { nullable: true, description: 'First day of validity; omitted means today.' })
  validFrom?: string;

  @Field(() => LocalDateResolver, { nullable: true, description: 'Last day of validity, not before `validFrom`; omitted means open-ended.' })
  validTo?: string;
}
