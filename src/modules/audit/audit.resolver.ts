import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Indicator } from '../indicators/indicator.entity';
import { Region } from '../regions/region.entity';
import { AuditService } from './audit.service';
import { AuditEntry, AuditTrailArgs, AuditTrailPage } from './audit.types';

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditTrailPage, {
    description:
      "The audit trail (Änderungsprotokoll) of cells, newest first: every new version, release and withdrawal, with who, when, through which upload, and the values before and after. Your organization's cells only, Land bodies included (a Kommune's drafts, releases and uploaders are its own). Empty for the public. Nobody can change it.",
  })
  auditTrail(@Ctx() ctx: RequestContext, @Args() args: AuditTrailArgs): Promise<AuditTrailPage> {
    return AuditService.page(ctx, args);
  }

  @FieldResolver(() => Indicator, { nullable: true, description: 'The indicator of the cell.' })
  indicator(@Root() entry: AuditEntry, @Ctx() ctx: RequestContext): Promise<Indicator | null> {
    return ctx.loaders.indicatorsById.load(entry.indicatorId);
  }

  @FieldResolver(() => Region, { nullable: true, description: 'The region of the cell.' })
  region(@Root() entry: AuditEntry, @Ctx() ctx: RequestContext): Promise<Region | null> {
    return ctx.loaders.regionsById.load(entry.regionId);
  }
}
