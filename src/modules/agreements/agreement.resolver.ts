import { Arg, Args, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { EducationArea } from '../indicators/education-area.entity';
import { Indicator } from '../indicators/indicator.entity';
import { Organization } from '../organizations/organization.entity';
import { Region } from '../regions/region.entity';
import { AgreementRead } from './agreement-read.entity';
import { DataSharingAgreement } from './agreement.entity';
import { AgreementService } from './agreement.service';
import { AgreementReadsArgs, AgreementScope, AgreementsArgs, ProposeAgreementInput } from './agreement.types';

/** The objects of a loader's `loadMany`, in key order, without keys that found nothing. */
async function loadAll<K, V>(loader: { loadMany(keys: readonly K[]): Promise<Array<V | null | Error>> }, keys: readonly K[] | null): Promise<V[] | null> {
  if (keys === null) return null;
  return (await loader.loadMany(keys)).filter((v): v is V => v !== null && !(v instanceof Error));
}

@Resolver(() => DataSharingAgreement)
export class AgreementResolver {
  @Query(() => [DataSharingAgreement], { description: "Your organization's data-sharing agreements (Datenbereitstellungen), newest proposal first; empty without login." })
  agreements(@Ctx() ctx: RequestContext, @Args() args: AgreementsArgs): Promise<DataSharingAgreement[]> {
    return AgreementService.list(ctx, args.as, args.state ?? null);
  }

  @Query(() => DataSharingAgreement, { nullable: true, description: 'One agreement by id; null unless your organization is its provider or recipient.' })
  agreement(@Ctx() ctx: RequestContext, @Arg('id', () => Int, { description: 'Id of the agreement.' }) id: number): Promise<DataSharingAgreement | null> {
    return ctx.loaders.agreementsById.load(id);
  }

  @Query(() => [AgreementRead], {
    description: 'The reads an agreement opened (who, when, what, for which purpose), newest first. Only for the providing organization: the recipient gets FORBIDDEN, others NOT_FOUND.',
  })
  agreementReads(@Ctx() ctx: RequestContext, @Args() args: AgreementReadsArgs): Promise<AgreementRead[]> {
    return AgreementService.reads(ctx, args.agreementId, args.first);
  }

  @Mutation(() => DataSharingAgreement, {
    description:
      'Proposes an agreement between your organization and another (either side may propose; editor or admin). It opens nothing until the provider approves it. Unknown codes, blank purpose or legal basis, no indicators and no areas, or `validFrom` after `validTo` are BAD_USER_INPUT.',
  })
  proposeAgreement(@Ctx() ctx: RequestContext, @Arg('input', () => ProposeAgreementInput, { description: 'Parties, scope, detail, purpose, legal basis and validity.' }) input: ProposeAgreementInput): Promise<DataSharingAgreement> {
    return AgreementService.propose(ctx, input);
  }

  @Mutation(() => DataSharingAgreement, { description: "Approves a proposed agreement (the provider's admins only): it becomes ACTIVE. CONFLICT unless it is PROPOSED." })
  approveAgreement(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => Int, { description: 'Id of the agreement.' }) id: number,
    @Arg('reason', () => String, { nullable: true, description: 'Optional note on the decision.' }) reason?: string | null,
  ): Promise<DataSharingAgreement> {
    return AgreementService.approve(ctx, id, reason ?? null);
  }

  @Mutation(() => DataSharingAgreement, { description: "Rejects a proposed agreement (the provider's admins only), with a reason. CONFLICT unless it is PROPOSED." })
  rejectAgreement(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => Int, { description: 'Id of the agreement.' }) id: number,
    @Arg('reason', () => String, { description: 'Why it is rejected; must not be blank.' }) reason: string,
  ): Promise<DataSharingAgreement> {
    return AgreementService.reject(ctx, id, reason);
  }

  @Mutation(() => DataSharingAgreement, { description: 'Revokes a proposed or active agreement (admins of either side), with a reason; it stops opening data at once. CONFLICT when already rejected or revoked.' })
  revokeAgreement(
    @Ctx() ctx: RequestContext,
    @Arg('id', () => Int, { description: 'Id of the agreement.' }) id: number,
    @Arg('reason', () => String, { description: 'Why it is revoked; must not be blank.' }) reason: string,
  ): Promise<DataSharingAgreement> {
    return AgreementService.revoke(ctx, id, reason);
  }

  @FieldResolver(() => Organization, { nullable: true, description: 'The organization that shares its data.' })
  provider(@Root() a: DataSharingAgreement, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return ctx.loaders.organizationsById.load(a.providerOrgId);
  }

  @FieldResolver(() => Organization, { nullable: true, description: 'The organization that receives the data.' })
  recipient(@Root() a: DataSharingAgreement, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return ctx.loaders.organizationsById.load(a.recipientOrgId);
  }

  @FieldResolver(() => Organization, { nullable: true, description: 'The organization (provider or recipient) that proposed the agreement.' })
  proposedByOrganization(@Root() a: DataSharingAgreement, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return ctx.loaders.organizationsById.load(a.proposedByOrgId);
  }

  @FieldResolver(() => AgreementScope, { description: 'What the agreement covers: indicators or education areas, regions, levels, breakdowns.' })
  scope(@Root() a: DataSharingAgreement): AgreementScope {
    return Object.assign(new AgreementScope(), { indicatorIds: a.indicatorIds, areaCodes: a.areaCodes, regionIds: a.regionIds, levels: a.levels, breakdowns: a.breakdowns });
  }
}

@Resolver(() => AgreementScope)
export class AgreementScopeResolver {
  @FieldResolver(() => [Indicator], { nullable: true, description: 'Indicators covered; null when the scope is given by education areas only.' })
  indicators(@Root() s: AgreementScope, @Ctx() ctx: RequestContext): Promise<Indicator[] | null> {
    return loadAll(ctx.loaders.indicatorsById, s.indicatorIds);
  }

  @FieldResolver(() => [EducationArea], { nullable: true, description: 'Education areas covered with all their indicators; null when the scope lists indicators only.' })
  areas(@Root() s: AgreementScope, @Ctx() ctx: RequestContext): Promise<EducationArea[] | null> {
    return loadAll(ctx.loaders.areasByCode, s.areaCodes);
  }

  @FieldResolver(() => [Region], { nullable: true, description: 'Regions covered; null for all regions.' })
  regions(@Root() s: AgreementScope, @Ctx() ctx: RequestContext): Promise<Region[] | null> {
    return loadAll(ctx.loaders.regionsById, s.regionIds);
  }
}

@Resolver(() => AgreementRead)
export class AgreementReadResolver {
  @FieldResolver(() => Organization, { nullable: true, description: "The reader's organization (the recipient)." })
  organization(@Root() r: AgreementRead, @Ctx() ctx: RequestContext): Promise<Organization | null> {
    return ctx.loaders.organizationsById.load(r.organizationId);
  }

  @FieldResolver(() => [Indicator], { description: 'Indicators of the cells read.' })
  async indicators(@Root() r: AgreementRead, @Ctx() ctx: RequestContext): Promise<Indicator[]> {
    return (await loadAll(ctx.loaders.indicatorsById, r.indicatorIds))!;
  }

  @FieldResolver(() => [Region], { description: 'Regions of the cells read.' })
  async regions(@Root() r: AgreementRead, @Ctx() ctx: RequestContext): Promise<Region[]> {
    return (await loadAll(ctx.loaders.regionsById, r.regionIds))!;
  }
}
