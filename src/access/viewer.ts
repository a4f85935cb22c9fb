import { OrganizationKind } from '../modules/organizations/organization.entity';

/** Role within an organization (DESIGN §5 demo identities): read, write own data, manage. */
export enum Role {
  VIEWER = 'VIEWER',
  EDITOR = 'EDITOR',
  ADMIN = 'ADMIN',
}

const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

/** Whether `role` includes the rights of `needed` (admin ⊃ editor ⊃ viewer). */
export const hasRole = (role: Role, needed: Role) => RANK[role] >= RANK[needed];

/** What a verified token or API key says about its bearer; no database involved (src/access/auth.ts). */
export interface Credentials {
  /** Who: the token's `sub`, or `api-key:<id>`. Logged with reads that agreements opened. */
  subject: string;
  /** The organization's code as the token names it, e.g. `bildungsbuero-15084`. */
  orgCode: string;
  role: Role;
  via: 'oidc' | 'demo' | 'api-key';
  apiKeyId?: number;
}

/** A logged-in member of an organization, resolved inside the request's transaction. */
export interface Member extends Credentials {
  kind: 'member';
  orgId: number;
  orgKind: OrganizationKind;
}

/**
 * Who is asking. Built once per request by the context builder and passed to every service
 * (DESIGN §2); nothing decides visibility without it.
 */
export type Viewer = { kind: 'anonymous' } | Member;

export const ANONYMOUS: Viewer = Object.freeze({ kind: 'anonymous' });

export const isMember = (v: Viewer): v is Member => v.kind === 'member';

/** The viewer's organization id, or null for the public. */
export const orgIdOf = (v: Viewer): number | null => (isMember(v) ? v.orgId : null);
