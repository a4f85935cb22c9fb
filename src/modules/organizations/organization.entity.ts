import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** What kind of body an organization is; decides its default rights (DESIGN §4). */
export enum OrganizationKind {
  FEDERAL = 'FEDERAL',
  LAND = 'LAND',
  KOMMUNE = 'KOMMUNE',
}

registerEnumType(OrganizationKind, {
  name: 'OrganizationKind',
  description: 'What kind of body an organization is.',
  valuesConfig: {
    FEDERAL: { description: 'A federal body, e.g. the Statistisches Bundesamt (Destatis).' },
    LAND: { description: "A body of the Land, e.g. the Bildungsministerium or the Statistisches Landesamt." },
    KOMMUNE: { description: "A Kommune's education office (Bildungsbüro) of a Landkreis or kreisfreie Stadt." },
  },
});

/** A body that owns, releases and receives data: a Land body or a Kommune's Bildungsbüro. */
@Entity({ name: 'organization' })
@ObjectType({ description: "A body that owns and shares data: a Land body (ministry, statistical office) or a Kommune's Bildungsbüro." })
export class Organization {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Field({ description: 'Stable short identifier, e.g. `bildungsbuero-15084` or `statistik-15`.' })
  @Column({ type: 'varchar', length: 64, unique: true })
  code: string;

  @Field({ description: 'Official German name, e.g. "Bildungsbüro Burgenlandkreis".' })
  @Column({ type: 'text' })
  name: string;

  @Field(() => OrganizationKind, { description: 'Federal, Land or Kommune body.' })
  @Column({ type: 'varchar', length: 10 })
  kind: OrganizationKind;

  /** The region the organization belongs to (a Kommune's Kreis, the Land for Land bodies). */
  @Column({ name: 'region_id', type: 'integer' })
  regionId: number;
}
