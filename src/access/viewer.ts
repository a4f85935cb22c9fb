/**
 * Who is asking. Built once per request by the context builder and passed to every service
 * (DESIGN §2). Logins come with the access issue; until then every request is the public viewer,
 * and the rules below already treat it as such, so that no code path exists without a viewer.
 */
export interface Viewer {
  kind: 'anonymous';
}

export const ANONYMOUS: Viewer = Object.freeze({ kind: 'anonymous' });

/**
 * The SQL condition for observation rows the viewer may see, for a table alias. Row visibility is
 * part of the SQL (house style §6): a row that fails it is absent, exactly like one that does not
 * exist. The public sees released rows only; drafts stay with their owner.
 */
export function observationRowFilter(_viewer: Viewer, alias: string): string {
  return `${alias}.release_state = 'RELEASED'`;
}
