import { ArgsType, Field, InputType, Int } from 'type-graphql';

@InputType({ description: "A release (Freigabe) of your organization's own draft cells: one indicator × regions × period range, now or from a later instant (embargo)." })
export class ReleaseDataInput {
  @Field({ description: 'The indicator, by catalogue code, e.g. `K15002-SSA`.' })
  indicatorCode: string;

  @Field(() => [String], { description: 'Regions by official code, e.g. `["15084", "15084355"]`; every breakdown part of their cells is released.' })
  regionCodes: string[];

  @Field({ description: 'First period, as a period code (`2024`, `2024/25`, `2024-03-01`): cells whose period starts on or after its first day.' })
  from: string;

  @Field({ description: 'Last period, as a period code: cells whose period starts on or before its last day (same meaning as `to` of `series`).' })
  to: string;

  @Field(() => Date, { nullable: true, description: 'From when others may see the cells; must lie in the future (an embargo, Sperrfrist). Omitted means now.' })
  effectiveAt?: Date | null;

  @Field({ description: 'Why the data is released (Begründung), e.g. "Beschluss des Jugendhilfeausschusses vom 12.03."; must not be blank.' })
  reason: string;
}

@ArgsType()
export class ReleasesArgs {
  @Field({ nullable: true, description: 'Only releases of this indicator, by catalogue code; omitted means all.' })
  indicatorCode?: string;

  @Field(() => Int, { defaultValue: 50, description: 'How many releases to return, newest first; 1 to 500.' })
  first: number;
}

@ArgsType()
export class WithdrawReleaseArgs {
  @Field(() => Int, { description: 'Id of the release to withdraw.' })
  id: number;

  @Field({ description: 'Why the release is withdrawn (Begründung); must not be blank.' })
  reason: string;
}
