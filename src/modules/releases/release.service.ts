import { requireMember, requireRole } from '../../access/permissions';
import { changeReleasedCells } from '../../access/suppression.service';
import { orgIdOf, Role, type Member } from '../../access/viewer';
import type { RequestContext } from '../../graphql/context';
import { badInput, conflict, notFound, requiredText } from '../../graphql/errors';
import type { Indicator } from '../indicators/indicator.entity';
import { SeriesService } from '../series/series.service';
import { DataRelease } from './release.entity';
import type { ReleaseDataInput, ReleasesArgs } from './release.types';

const COLUMNS = `r.id, r.owner_org_id AS "ownerOrgId", r.indicator_id AS "indicatorId", r.region_ids AS "regionIds",
  r.period_from AS "periodFrom", r.period_to AS "periodTo", r.effective_at AS "effectiveAt", r.released_at AS "releasedAt",
  r.released_by AS "releasedBy", r.reason, r.cells, r.withdrawn_at AS "withdrawnAt", r.withdrawn_by AS "withdrawnBy",
  r.withdraw_reason AS "withdrawReason"`;
const toRelease = (row: object): DataRelease => Object.assign(new DataRelease(), row);
const MAX_PAGE = 500;

/** An indicator by catalogue code; unknown → BAD_USER_INPUT naming the argument. */
async function indicatorByCode(ctx: RequestContext, code: string): Promise<Indicator> {
  const indicator = await ctx.loaders.indicatorsByCode.load(code);
  if (!indicator) throw badInput(`unknown indicatorCode: ${code}`, { argument: 'indicatorCode', unknownCodes: [code] });
  return indicator;
}

/**
 * Release (Freigabe) and its withdrawal (DESIGN §4, issue 3 item 3). A release turns the viewer
 * organization's own current draft cells of one indicator × regions × period range into released
 * cells, effective now or at a later instant (embargo: row-level security and the access module
 * show a cell to others only once `released_at <= now()`), and records who, when, why and how
 * many. The cells' `released_at` is the release's `effective_at`, which is what ties them to it:
 * a withdrawal turns back exactly the cells of its range still released at that instant. Two
 * standing releases of one indicator therefore never share an instant (CONFLICT); a release
 * "now" takes the statement's clock, which no other release shares.
 *
 * Both recompute the stored suppression pattern of the tables they touch, in the same
 * transaction (src/access/suppression.service.ts). Official figures cleared at their source are
 * never suppressed again (the pattern leaves them out).
 *
 * Checks, in the order of src/access/permissions.ts: login (UNAUTHENTICATED), the release must be
 * visible (NOT_FOUND; row-level security shows only one's own), role editor or admin
 * (FORBIDDEN), its state (CONFLICT). Bad input is BAD_USER_INPUT; every failure writes nothing.
 */
export const ReleaseService = {
  async release(ctx: RequestContext, input: ReleaseDataInput): Promise<DataRelease> {
    const member = requireRole(ctx, Role.EDITOR);
    const reason = requiredText('reason', input.reason);
    const { fromStart, toEnd } = SeriesService.parseWindow(ctx, { from: input.from, to: input.to });
    const effectiveAt = input.effectiveAt ?? null;
    if (effectiveAt && effectiveAt.getTime() <= Date.now()) {
      throw badInput('"effectiveAt" must lie in the future (an embargo); omit it to release now', { argument: 'effectiveAt' });
    }
    const indicator = await indicatorByCode(ctx, input.indicatorCode);
    const regions = await SeriesService.resolveRegions(ctx, { regionCodes: input.regionCodes });
    return changeReleasedCells(ctx, member.orgId, [indicator.id], async () => {
      if (effectiveAt) {
        const [clash] = await ctx.query(
          `SELECT r.id FROM data_release r WHERE r.owner_org_id = $1 AND r.indicator_id = $2 AND r.effective_at = $3 AND r.withdrawn_at IS NULL`,
          [member.orgId, indicator.id, effectiveAt],
        );
        if (clash) throw conflict(`release ${clash.id} of ${indicator.code} takes effect at the same instant; choose another "effectiveAt" or release both ranges at once`);
      }
      // One statement: the cells and the record, or nothing when there is no draft in the range.
      const [row] = await ctx.query(
        `WITH at AS (SELECT coalesce($5::timestamptz, clock_timestamp()) AS t),
         released AS (
           UPDATE observation o SET release_state = 'RELEASED', released_at = at.t, released_by = $6
           FROM at
           WHERE o.owner_org_id = $1 AND o.indicator_id = $2 AND o.region_id = ANY($3::int[]) AND o.superseded_at IS NULL
             AND o.period_start >= $4::date AND o.period_start <= $7::date AND o.release_state = 'DRAFT'
           RETURNING o.id)
         INSERT INTO data_release AS r (owner_org_id, indicator_id, region_ids, period_from, period_to, effective_at, released_by, reason, cells)
         SELECT $1, $2, $3::int[], $4::date, $7::date, at.t, $6, $8, count(*) FROM released, at GROUP BY at.t
         RETURNING ${COLUMNS}`,
        [member.orgId, indicator.id, regions.map((r) => r.id), fromStart, effectiveAt, member.subject, toEnd, reason],
      );
      if (!row) throw badInput(`nothing to release: your organization has no draft cells of ${indicator.code} in these regions and periods`, { argument: 'input' });
      return toRelease(row);
    });
  },

  async withdraw(ctx: RequestContext, id: number, reasonText: string): Promise<DataRelease> {
    const member = requireMember(ctx);
    const reason = requiredText('reason', reasonText);
    const [row] = await ctx.query(`SELECT ${COLUMNS} FROM data_release r WHERE r.id = $1 AND r.owner_org_id = $2 FOR UPDATE`, [id, member.orgId]);
    if (!row) throw notFound(`release ${id}`);
    requireRole(ctx, Role.EDITOR);
    const release = toRelease(row);
    if (release.withdrawnAt) throw conflict(`release ${id} was already withdrawn`);
    return changeReleasedCells(ctx, member.orgId, [release.indicatorId], async () => {
      // Earlier versions that the release released are turned back as well (no condition on
      // superseded_at): a withdrawn release must not resurface in an `asOf` read.
      const [withdrawn] = await ctx.query(
        `WITH cells AS (
           UPDATE observation o SET release_state = 'DRAFT', released_at = NULL, released_by = NULL
           FROM data_release d
           WHERE d.id = $1 AND o.owner_org_id = d.owner_org_id AND o.indicator_id = d.indicator_id AND o.region_id = ANY(d.region_ids)
             AND o.period_start BETWEEN d.period_from AND d.period_to
             AND o.release_state = 'RELEASED' AND o.released_at = d.effective_at
           RETURNING o.id),
         r AS (UPDATE data_release SET withdrawn_at = now(), withdrawn_by = $2, withdraw_reason = $3 WHERE id = $1 RETURNING *)
         SELECT ${COLUMNS} FROM r`,
        [id, member.subject, reason],
      );
      return toRelease(withdrawn);
    });
  },

  /**
   * Records the releases of an upload that released its cells itself (`release` of
   * `importObservations` / `POST /import`): one release per indicator, over the regions and the
   * period range of the cells `cellsSql` selects (columns indicator_id, region_id, period_start,
   * period_end), effective at `at` — the `released_at` the upload gave exactly those cells, which
   * ties them to it, so that `withdraw` turns back exactly them. The caller has written the
   * cells, holds the indicators' locks and recomputes the suppression pattern
   * (src/modules/imports/import.service.ts).
   */
  async recordUploadReleases(ctx: RequestContext, member: Member, at: Date, reason: string, cellsSql: string): Promise<number> {
    const rows = await ctx.query(
      `INSERT INTO data_release (owner_org_id, indicator_id, region_ids, period_from, period_to, effective_at, released_by, reason, cells)
       SELECT $1, c.indicator_id, array_agg(DISTINCT c.region_id), min(c.period_start), max(c.period_end), $2, $3, $4, count(*)
       FROM (${cellsSql}) c GROUP BY c.indicator_id
       RETURNING id`,
      [member.orgId, at, member.subject, requiredText('releaseReason', reason)],
    );
    return rows.length;
  },

  /** The viewer organization's releases, newest first; the public has none. */
  async list(ctx: RequestContext, args: ReleasesArgs): Promise<DataRelease[]> {
    if (args.first < 1 || args.first > MAX_PAGE) throw badInput(`"first" must be between 1 and ${MAX_PAGE}`, { argument: 'first' });
    const indicator = args.indicatorCode === undefined || args.indicatorCode === null ? null : await indicatorByCode(ctx, args.indicatorCode);
    const org = orgIdOf(ctx.viewer);
    if (org === null) return [];
    const rows = await ctx.query(
      `SELECT ${COLUMNS} FROM data_release r
       WHERE r.owner_org_id = $1 AND ($2::int IS NULL OR r.indicator_id = $2)
       ORDER BY r.released_at DESC, r.id DESC LIMIT $3`,
      [org, indicator?.id ?? null, args.first],
    );
    return rows.map(toRelease);
  },
};
