import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** What an API key may do; the authenticator maps it to a role (READ → viewer, READ_WRITE → editor). */
export enum ApiKeyScope {
  READ = 'READ',
  READ_WRITE = 'READ_WRITE',
}

registerEnumType(ApiKeyScope, {
  name: 'ApiKeyScope',
  description: 'What an API key may do within its organization.',
  valuesConfig: {
    READ: { description: 'Read what the organization may read, like a viewer.' },
    READ_WRITE: { description: 'Read and change the organization’s data, like an editor; never administer (e.g. create keys).' },
  },
});

/**
 * An API key of a report generator (issue "who may see what"): bound to one organization, with
 * read or read/write scope, revocable, its last use recorded. The key itself is shown once, when
 * it is created; the table keeps only the SHA-256 of its secret part (src/access/secrets.ts), and
 * the GraphQL type never carries even that.
 */
@Entity({ name: 'api_key' })
@ObjectType({ description: 'An API key for a report generator or script: bound to your organization, read or read/write, revocable. The key itself is shown only once, when it is created.' })
export class ApiKey {
  @Field(() => Int, { description: 'Id of the key, for `revokeApiKey`.' })
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'organization_id', type: 'integer' })
  organizationId: number;

  @Field({ description: 'What the key is for, e.g. "Bildungsbericht 2025 (Power BI)".' })
  @Column({ type: 'text' })
  name: string;

  @Field({ description: 'The public part of the key (`kobi_<prefix>_…`), to recognise it in logs and configurations; not a secret.' })
  @Column({ type: 'varchar', length: 16, unique: true })
  prefix: string;

  /** SHA-256 of the secret part; read only by the authenticator, never selected for GraphQL. */
  @Column({ name: 'secret_hash', type: 'bytea' })
  secretHash: Buffer;

  @Field(() => ApiKeyScope, { description: 'What the key may do: `READ` (like a viewer) or `READ_WRITE` (like an editor). A key never administers.' })
  @Column({ type: 'varchar', length: 10 })
  scope: ApiKeyScope;

  @Field({ description: 'When the key was created.' })
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Field({ description: 'Who created the key (the subject of their login).' })
  @Column({ name: 'created_by', type: 'text' })
  createdBy: string;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; null while it is valid. A revoked key is refused (UNAUTHENTICATED).' })
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** Who revoked the key (the subject of their login). */
  @Column({ name: 'revoked_by', type: 'text', nullable: true })
  revokedBy: string | null;

  @Field(() => Date, { nullable: true, description: 'When the key was last used to authenticate a request; null if never.' })
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
