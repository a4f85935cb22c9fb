import { Field, InputType } from 'type-graphql';
import { OrganizationKind } from './organization.entity';

@InputType({ description: 'A new organization: a body of the Land or of the Bund, or the Bildungsbüro of a Kommune.' })
export class CreateOrganizationInput {
  @Field({ description: 'Stable short identifier: 3 to 64 of `a-z`, `0-9` and `-`, e.g. `bildungsbuero-15085`. Tokens name the organization by it.' })
  code: string;

  @Field({ description: 'Official German name, e.g. "Bildungsbüro Landkreis Harz"; must not be blank.' })
  name: string;

  @Field(() => OrganizationKind, { description: 'Federal, Land or Kommune body; decides its default rights.' })
  kind: OrganizationKind;

  @Field({ description: 'Official code of the region it belongs to, valid today: `DG` for a federal body, the Land (`15`) for a Land body, a Kreis or Gemeinde for a Kommune.' })
  regionCode: string;
}

