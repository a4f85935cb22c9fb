import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { Indicator } from '../indicators/indicator.entity';
import { Region } from '../regions/region.entity';
import { DataRelease } from './release.entity';
import { ReleaseService } from './release.service';
import { ReleaseDataInput, ReleasesArgs, WithdrawReleaseArgs } from './release.types';

@Resolver(() => DataRelease)
export class ReleaseResolver {
  @Query(() => [DataRelease], { description: "Your organization's releases (Freigaben), newest first, with who, when and why, embargo and withdrawal. Empty for the public." })
  releases(@Ctx() ctx: RequestContext, @Args() args: ReleasesArgs): Promise<DataRelease[]> {
    return ReleaseService.list(ctx, args);
  }

  @Mutation(() => DataRelease, {
    description:
      "Releases (Freigabe) your organization's own draft cells of one indicator in the given regions and periods, now or from `effectiveAt` (embargo), and records it; recomputes the disclosure control of the tables concerned. Needs the role editor or admin. No draft cell in the range is BAD_USER_INPUT.",
  })
  releaseData(@Ctx() ctx: RequestContext, @Arg('input', () => ReleaseDataInput, { description: 'What to release, from when, and why.' }) input: ReleaseDataInput): Promise<DataRelease> {
    return ReleaseService.release(ctx, input);
  }

  @Mutation(() => DataRelease, {
    description:
      "Withdraws a release of your organization: its cells that are still released become drafts again (visible only to you), and the withdrawal is recorded. Needs the role editor or admin; another organization's release is NOT_FOUND, one already withdrawn is CONFLICT.",
  })
  withdrawRelease(@Ctx() ctx: RequestContext, @Args() args: WithdrawReleaseArgs): Promise<DataRelease> {
    return ReleaseService.withdraw(ctx, args.id, args.reason);
  }

  @FieldResolver(() => Indicator, { description: 'The indicator released.' })
  async indicator(@Root() release: DataRelease, @Ctx() ctx: RequestContext): Promise<Indicator> {
    return (await ctx.loaders.indicatorsById.load(release.indicatorId))!;
  }

  @FieldResolver(() => [Region], { description: 'The regions of the release, as given (those still valid today).' })
  async regions(@Root() release: DataRelease, @Ctx() ctx: RequestContext): Promise<Region[]> {
    return (await ctx.loaders.regionsById.loadMany(release.regionIds)).filter((r): r is Region => r instanceof Region);
  }
}
