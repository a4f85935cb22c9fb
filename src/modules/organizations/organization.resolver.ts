import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Region } from '../regions/region.entity';
import { Organization } from './organization.entity';
import { CreateOrganizationInput } from './organization.inputs';
import { OrganizationService } from './organization.service';

@Resolver(() => Organization)
export class OrganizationResolver {
  @Query(() => [Organization], { description: 'All organizations (Land bodies and Bildungsbüros), ordered by code.' })
  organizations(@Ctx() ctx: RequestContext): Promise<Organization[]> {
    return OrganizationService.list(ctx);
  }

  @Mutation(() => Organization, {
    description:
      'Creates an organization (admins of a Land body only; others FORBIDDEN, the public UNAUTHENTICATED). A malformed code, a blank name, or an unknown region or one of the wrong level for the kind is BAD_USER_INPUT; a code in use is CONFLICT.',
  })
  createOrganization(@Ctx() ctx: RequestContext, @Arg('input', () => CreateOrganizationInput, { description: 'Code, name, kind and region of the organization.' }) input: CreateOrganizationInput): Promise<Organization> {
    return OrganizationService.create(ctx, input);
  }

  @FieldResolver(() => Region, { nullable: true, description: "The region the organization belongs to: a Kommune's Kreis, the Land for Land bodies." })
  region(@Root() org: Organization, @Ctx() ctx: RequestContext): Promise<Region | null> {
    return ctx.loaders.regionsById.load(org.regionId);
  }
}
