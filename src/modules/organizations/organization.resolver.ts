import { Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Region } from '../regions/region.entity';
import { Organization } from './organization.entity';
import { OrganizationService } from './organization.service';

@Resolver(() => Organization)
export class OrganizationResolver {
  @Query(() => [Organization], { description: 'All organizations (Land bodies and Bildungsbüros), ordered by code.' })
  organizations(@Ctx() ctx: RequestContext): Promise<Organization[]> {
    return OrganizationService.list(ctx);
  }

  @FieldResolver(() => Region, { nullable: true, description: "The region the organization belongs to: a Kommune's Kreis, the Land for Land bodies." })
  region(@Root() org: Organization, @Ctx() ctx: RequestContext): Promise<Region | null> {
    return ctx.loaders.regionsById.load(org.regionId);
  }
}
