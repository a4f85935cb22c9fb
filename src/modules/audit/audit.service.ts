import { isMember } from '../../access/viewer';
import type { RequestContext } from '../../graphql/context';
import { badInput } from '../../graphql/errors';
import { AuditEntry, type AuditTrailArgs, type AuditTrailPage } from './audit.types';

const MAX_PAGE = 500;
const COLUMNS = `a.id::text AS id, a.changed_at AS "changedAt", a.changed_by AS "changedBy", a.import_id::text AS "importId", a.action,
  a.indicator_id AS "indicatorId", a.region_id AS "regionId", a.period, a.breakdown_dimension AS "breakdownDimension",
  a.breakdown_code AS "breakdownCode", a.old_value AS "oldValue", a.old_status AS "oldStatus", a.old_symbol AS "oldSymbol",
  a.old_version AS "oldVersion", a.old_release_state AS "oldReleaseState", a.new_value AS "newValue", a.new_status AS "newStatus",
  a.new_symbol AS "newSymbol", a.new_version AS "newVersion", a.new_release_state AS "newReleaseState"`;

const encodeCursor = (id: string) => Buffer.from(`audit:${id}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^audit:\d{1,18}$/.test(raw) || encodeCursor(raw.slice(6)) !== cursor) throw badInput(`"after" is not a cursor of this list: ${cursor}`, { argument: 'after' });
  return raw.slice(6);
}

/**
 * The audit trail of cells (issue 5 item 5), newest first: the members of a cell's owner
 * organization read its entries, nobody else (row-level security says the same). Issue 5 also
 * named Land admins, but an entry holds the values before and after, the release state and who
 * made the change, which DESIGN §4 keeps from Land bodies for a Kommune's cells (drafts, releases,
 * uploader identity): a Land admin reads the trail of the Land body it belongs to. Nobody can
 * change it: the request role has no INSERT, UPDATE or DELETE on the table, triggers write it.
 */
export const AuditService = {
  async page(ctx: RequestContext, args: AuditTrailArgs): Promise<AuditTrailPage> {
    if (args.first < 1 || args.first > MAX_PAGE) throw badInput(`"first" must be between 1 and ${MAX_PAGE}`, { argument: 'first' });
    const before = args.after ? decodeCursor(args.after) : null;
    if (args.importId !== undefined && args.importId !== null && !/^\d{1,18}$/.test(args.importId)) throw badInput('"importId" is not an upload id', { argument: 'importId' });
    if (!isMember(ctx.viewer)) return { entries: [], endCursor: null };
    const rows: Array<Record<string, unknown>> = await ctx.query(
      `SELECT ${COLUMNS} FROM observation_audit a
       WHERE a.owner_org_id = $1
         AND ($2::text IS NULL OR a.indicator_id = (SELECT id FROM indicator WHERE code = $2))
         AND ($3::text IS NULL OR a.region_id = (SELECT id FROM region WHERE code = $3 AND valid_to IS NULL))
         AND ($4::text IS NULL OR a.period = $4)
         AND ($5::bigint IS NULL OR a.import_id = $5)
         AND ($6::bigint IS NULL OR a.id < $6)
       ORDER BY a.id DESC LIMIT $7`,
      [ctx.viewer.orgId, args.indicatorCode ?? null, args.regionCode ?? null, args.period ?? null, args.importId ?? null, before, args.first + 1],
    );
    const entries = rows.slice(0, args.first).map((r) => Object.assign(new AuditEntry(), r));
    return { entries, endCursor: rows.length > args.first ? encodeCursor(entries[entries.length - 1].id) : null };
  },
};
