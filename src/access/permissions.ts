import type { RequestContext } from '../graphql/context';
import { HubError, forbidden } from '../graphql/errors';
import { hasRole, isMember, type Member, Role } from './viewer';

/**
 * Checks for changes (mutations). Reads never call these: what a viewer may read is decided by
 * src/access/observation-access.ts and the field rules. Order of checks in a service: first make
 * the target row visible or answer NOT_FOUND, then call these (FORBIDDEN), then check its state
 * (CONFLICT) — so that nothing reveals a row the viewer cannot see.
 */

/** The logged-in member, or UNAUTHENTICATED for the public (changes need a login). */
export function requireMember(ctx: RequestContext): Member {
  if (!isMember(ctx.viewer)) throw new HubError('UNAUTHENTICATED', 'log in to change data');
  return ctx.viewer;
}

/** The member, if its role in its organization is at least `role` (API keys: READ = viewer, READ_WRITE = editor). */
export function requireRole(ctx: RequestContext, role: Role): Member {
  const member = requireMember(ctx);
  if (!hasRole(member.role, role)) throw forbidden(`this needs the role ${role.toLowerCase()} in your organization; you are ${member.role.toLowerCase()}`);
  return member;
}

/** The member, if it belongs to a body of the Land and is an admin there (catalogue and organizations). */
export function requireLandAdmin(ctx: RequestContext): Member {
  const member = requireRole(ctx, Role.ADMIN);
  if (member.orgKind !== 'LAND') throw forbidden('only admins of a Land body manage organizations and the indicator catalogue');
  return member;
}
