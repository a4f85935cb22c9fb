import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An education area (Bildungsbereich): the themes A–G of the Anwendungsleitfaden. */
@Entity({ name: 'education_area' })
@ObjectType({ description: 'An education area (Bildungsbereich), one of the themes A–G of the Anwendungsleitfaden, e.g. C "Frühkindliche Bildung".' })
export class EducationArea {
  @Field({ description: 'Letter of the theme: `A` Rahmenbedingungen … `G` Weiterbildung.' })
  @PrimaryColumn({ type: 'varchar', length: 4 })
  code: string;

  @Field({ description: 'German name, e.g. "Frühkindliche Bildung".' })
  @Column({ type: 'text' })
  name: string;

  @Field({ description: 'English name, e.g. "Early childhood education".' })
  @Column({ name: 'name_en', type: 'text' })
  nameEn: string;

  @Field(() => Int, { description: 'Position in listings and reports.' })
  @Column({ name: 'sort_order', type: 'integer' })
  sortOrder: number;
}
