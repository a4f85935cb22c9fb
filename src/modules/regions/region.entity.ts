import { Field, ObjectType } from 'type-graphql';
import { LocalDateResolver } from 'graphql-scalars';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { RegionKind, RegionLevel } from './region.enums';

/**
 * A territorial unit (Gebietseinheit): Germany, the Land, a Kreis or a Gemeinde.
 * Codes are official keys; territorial reforms change them, so a region has validity dates and
 * the code is unique only among regions valid today (`valid_to IS NULL`).
 */
@Entity({ name: 'region' })
@Index('region_code_current', ['code'], { unique: true, where: 'valid_to IS NULL' })
@Index('region_parent', ['parentId'])
@ObjectType({ description: 'A territorial unit (Gebietseinheit): Germany, a Land, a Kreis (district) or a Gemeinde (municipality).' })
export class Region {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Field({ description: 'Official key as a string: `DG` for Germany, `15` for the Land, 5-digit Kreisschlüssel (`15084`), 8-digit AGS for Gemeinden (`15084015`).' })
  @Column({ type: 'varchar', length: 12 })
  code: string;

  @Field({ description: 'Official German name, e.g. "Burgenlandkreis", "Halle (Saale)".' })
  @Column({ type: 'text' })
  name: string;

  @Field(() => RegionLevel, { description: 'Level in the hierarchy (Gebietsebene).' })
  @Column({ type: 'varchar', length: 10 })
  level: RegionLevel;

  @Field(() => RegionKind, { description: 'Legal kind (Gebietsart), e.g. Landkreis or kreisfreie Stadt.' })
  @Column({ type: 'varchar', length: 20 })
  kind: RegionKind;

  @Column({ name: 'parent_id', type: 'integer', nullable: true })
  parentId: number | null;

  @Field(() => LocalDateResolver, { description: 'First day on which this code and territory are valid.' })
  @Column({ name: 'valid_from', type: 'date' })
  validFrom: string;

  @Field(() => LocalDateResolver, { nullable: true, description: 'Last day of validity; null while the region exists as it is today.' })
  @Column({ name: 'valid_to', type: 'date', nullable: true })
  validTo: string | null;
}
