import type { AuthChecker } from 'type-graphql';
import type { RequestContext } from '../graphql/context';
import { HubError } from '../graphql/errors';
import type { CellAccess } from './observation-access';

/**
 * Rules for restricted fields, declared beside each field with `@Authorized(FieldRule.X)` and
 * enforced here only (house style §5). A restricted field is nullable; a denied one is null with a
 * FORBIDDEN error at its path, and its row stays (DESIGN §4).
 */
export enum FieldRule {
  /** Small counts, numerators and denominators: the owner, and agreements with detail COUNTS. */
  COUNTS = 'COUNTS',
  /** Internal notes, uploader, who released: the owner organization only. */
  OWNER = 'OWNER',
}

const MESSAGES: Record<FieldRule, string> = {
  COUNTS: 'counts of this cell are reserved to its owner and to agreements that grant counts',
  OWNER: 'this field is reserved to the organization that owns it',
};

/** The one auth checker: the root carries the access that the access module decided for it. */
export const fieldRuleChecker: AuthChecker<RequestContext, FieldRule> = ({ root }, rules) => {
  const access = (root as { access?: CellAccess }).access;
  for (const rule of rules) {
    const allowed = rule === FieldRule.COUNTS ? access?.counts : access?.owner;
    if (!allowed) throw new HubError('FORBIDDEN', MESSAGES[rule]);
  }
  return true;
};
