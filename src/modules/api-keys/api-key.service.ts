import { newApiKey } from '../../access/secrets';
import { requireMember, requireRole } from '../../access/permissions';
import { isMember, Role } from '../../access/viewer';
import type { RequestContext } from '../../graphql/context';
import { badInput, conflict, notFound } from '../../graphql/errors';
import { ApiKey } from './api-key.entity';
import type { CreateApiKeyInput } from './api-key.types';

/** Never `secret_hash`: only the authenticator reads it (src/access/auth.ts). */
const COLUMNS = `k.id, k.organization_id AS "organizationId", k.name, k.prefix, k.scope, k.created_at AS "createdAt",
  k.created_by AS "createdBy", k.revoked_at AS "revokedAt", k.revoked_by AS "revokedBy", k.last_used_at AS "lastUsedAt"`;
const toApiKey = (row: object): ApiKey => Object.assign(new ApiKey(), row);
const MAX_NAME = 100;

/**
 * API keys of the viewer's organization. Contract: a key is seen by the members of its
 * organization only (row-level security on api_key says the same), created and revoked by its
 * admins only; an API key itself is at most an editor and so never manages keys.
 */
export const ApiKeyService = {
  /** The keys of the viewer's organization, newest first, revoked ones included; none for the public. */
  async list(ctx: RequestContext): Promise<ApiKey[]> {
    if (!isMember(ctx.viewer)) return [];
    const rows = await ctx.query(`SELECT ${COLUMNS} FROM api_key k WHERE k.organization_id = $1 ORDER BY k.created_at DESC, k.id DESC`, [ctx.viewer.orgId]);
    return rows.map(toApiKey);
  },

  /** Creates a key for the admin's organization; returns the full key, which is not stored anywhere. */
  async create(ctx: RequestContext, input: CreateApiKeyInput): Promise<{ key: string; apiKey: ApiKey }> {
    const admin = requireRole(ctx, Role.ADMIN);
    const name = input.name.trim();
    if (name.length === 0 || name.length > MAX_NAME) throw badInput(`"name" must have 1 to ${MAX_NAME} characters`, { argument: 'input.name' });
    const { key, prefix, secretHash } = newApiKey();
    const [row] = await ctx.query(
      `INSERT INTO api_key AS k (organization_id, name, prefix, secret_hash, scope, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [admin.orgId, name, prefix, secretHash, input.scope, admin.subject],
    );
    return { key, apiKey: toApiKey(row) };
  },

  /**
   * Revokes a key of the viewer's organization: a key of another organization is NOT_FOUND (as if
   * it did not exist), a non-admin FORBIDDEN, an already revoked key CONFLICT. From the next
   * request on, the key is refused (UNAUTHENTICATED).
   */
  async revoke(ctx: RequestContext, id: number): Promise<ApiKey> {
    const member = requireMember(ctx);
    const [current] = await ctx.query(`SELECT k.revoked_at FROM api_key k WHERE k.id = $1 AND k.organization_id = $2 FOR UPDATE`, [id, member.orgId]);
    if (!current) throw notFound(`API key ${id}`);
    requireRole(ctx, Role.ADMIN);
    if (current.revoked_at !== null) throw conflict(`API key ${id} is already revoked`);
    const [row] = await ctx.query(`UPDATE api_key k SET revoked_at = now(), revoked_by = $2 WHERE k.id = $1 RETURNING ${COLUMNS}`, [id, member.subject]);
    return toApiKey(row);
  },
};
