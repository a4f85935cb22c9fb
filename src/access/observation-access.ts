import type { RequestContext } from '../graphql/context';
import { Visibility } from '../modules/indicators/indicator.enums';
import type { Indicator } from '../modules/indicators/indicator.entity';
import type { Region } from '../modules/regions/region.entity';
import { isMember, orgIdOf, type Viewer } from './viewer';

/**
 * Who may see which observation, and how much of it (DESIGN §4). The one place that decides it:
 * the series service, the exports and every later reader call this module, never their own rules.
 *
 * A row is visible to a viewer when
 *   - the viewer's organization owns it (drafts included), or
 *   - it is released and its embargo has passed, and
 *       - its indicator's visibility admits the viewer (PUBLIC: everyone; PARTNERS: any logged-in
 *         organization; OWNER: nobody else), or
 *       - an active data-sharing agreement from its owner to the viewer's organization covers it
 *         (indicator or area, region or level, breakdown; valid today; detail other than
 *         AGGREGATES_ONLY, which opens only aggregates).
 * Row-level security in Postgres enforces the owner/released part again (src/db/migrations).
 *
 * Of a visible cell, the viewer may read small counts and numerators/denominators when it owns the
 * cell or an agreement with detail COUNTS opened it; otherwise the stored suppression pattern
 * applies (value null, status Q, symbol `.`) and numerator/denominator are FORBIDDEN.
 */

/** An active agreement of which the viewer's organization is the recipient. */
export interface Grant {
  agreementId: number;
  providerOrgId: number;
  indicatorIds: number[] | null;
  areaCodes: string[] | null;
  regionIds: number[] | null;
  levels: string[] | null;
  breakdowns: string[] | null;
  counts: boolean;
  purpose: string;
}

/** What a viewer may do with one cell; attached to each point for the field rules. */
export interface CellAccess {
  owner: boolean;
  counts: boolean;
  agreementId: number | null;
}

/** SQL: the agreement (table alias) is in force today — ACTIVE and within its validity dates. */
export const agreementInForce = (alias: string) =>
  `(${alias}.state = 'ACTIVE' AND ${alias}.valid_from <= current_date AND (${alias}.valid_to IS NULL OR ${alias}.valid_to >= current_date))`;

/** Batch function of `grantsForViewer` (one key per request: the viewer). */
export async function loadGrants(ctx: RequestContext): Promise<Grant[]> {
  if (!isMember(ctx.viewer)) return [];
  const rows: Array<Record<string, any>> = await ctx.query(
    `SELECT id, provider_org_id, indicator_ids, area_codes, region_ids, levels, breakdowns, detail, purpose
     FROM data_sharing_agreement a
     WHERE a.recipient_org_id = $1 AND a.detail <> 'AGGREGATES_ONLY' AND ${agreementInForce('a')}
     ORDER BY a.id`,
    [ctx.viewer.orgId],
  );
  return rows.map((r) => ({
    agreementId: r.id,
    providerOrgId: r.provider_org_id,
    indicatorIds: r.indicator_ids,
    areaCodes: r.area_codes,
    regionIds: r.region_ids,
    levels: r.levels,
    breakdowns: r.breakdowns,
    counts: r.detail === 'COUNTS',
    purpose: r.purpose,
  }));
}

/** Indicators whose released cells the viewer sees without an agreement. */
function openIndicatorIds(viewer: Viewer, indicators: Indicator[]): number[] {
  return indicators.filter((i) => i.visibility === Visibility.PUBLIC || (i.visibility === Visibility.PARTNERS && isMember(viewer))).map((i) => i.id);
}

const covers = <T>(scope: T[] | null, value: T) => scope === null || scope.includes(value);

/**
 * The SQL of `observationFilter`: `join` and `where` restrict `observation o` to the rows the
 * viewer may see; `owner` and `counts` are boolean expressions (does the viewer's organization own
 * this row? may the viewer read this row's small counts,
 * numerator and denominator?), `flags` packs owner and counts into one integer for `cellAccess`,
 * and `agreement` is the agreement that opened the row (NULL when it is the viewer's own or
 * public). Packed and computed in SQL so that the hot path reads few columns per cell.
 */
export interface ObservationFilter {
  join: string;
  where: string;
  owner: string;
  counts: string;
  flags: string;
  agreement: string;
}

/** Bits of `ObservationFilter.flags`; the caller may use the bits from 4 up for its own flags. */
const OWNER_BIT = 1;
const COUNTS_BIT = 2;

/**
 * The SQL that restricts `observation o` to the rows the viewer may see, for a statement over
 * `indicators` × `regions` (it must restrict `o.indicator_id` to `indicators` itself) that
 * returns the breakdown dimensions `dimensions` ('' = the total);
 * it appends its parameters to `params`. The statement selects `flags` and `agreement` and hands
 * them to `cellAccess`.
 *
 * `asOf` (an SQL expression for a past instant, or null for now) is for reads of earlier
 * versions: the rules are today's (release state, indicator visibility, agreements, suppression
 * as stored now: a withdrawn release stays withdrawn in the past too), and a cell released by
 * someone else counts only once its release had taken effect at that instant — what others could
 * not see then, an as-of answer does not show them either.
 */
export async function observationFilter(
  ctx: RequestContext,
  indicators: Indicator[],
  regions: Region[],
  dimensions: string[],
  params: unknown[],
  asOf: string | null = null,
): Promise<ObservationFilter> {
  const org = orgIdOf(ctx.viewer);
  // -1 rather than NULL for the public: with NULL the planner folds the condition into a plan
  // without the covering index (a full scan and sort on PostgreSQL 15).
  params.push(org ?? -1);
  const owner = `o.owner_org_id = $${params.length}::int`;
  const openIds = openIndicatorIds(ctx.viewer, indicators);
  // When every indicator is open to the viewer (the public's usual question), the condition is
  // implied by the statement's own restriction to `indicators`, and left out: written out, the
  // planner counts its selectivity a second time (1/100 with a hundred indicators), expects a
  // hundredth of the rows and chose a parallel plan that took twice as long on a bulk pull.
  let open = 'true';
  if (openIds.length < indicators.length) {
    params.push(openIds);
    open = `o.indicator_id = ANY($${params.length}::int[])`;
  }
  const released = `o.release_state = 'RELEASED' AND o.released_at <= ${asOf ?? 'now()'}`;
  const grants = org === null ? [] : await ctx.loaders.grantsForViewer.load(org);
  // The agreements' scope resolved here against this statement's indicators × regions ×
  // dimensions: one key (indicator, region, provider, dimension) per cell group an agreement
  // opens, the widest agreement winning (counts first, then the oldest), so that the SQL needs a
  // plain equality join.
  const opened = new Map<string, [number, number, number, string, number, boolean]>();
  for (const g of grants) {
    for (const i of indicators) {
      // Scope by indicators or by education areas (at least one is set; either suffices).
      if (!(g.indicatorIds?.includes(i.id) || g.areaCodes?.includes(i.areaCode))) continue;
      for (const r of regions) {
        if (!covers(g.regionIds, r.id) || !covers(g.levels, r.level)) continue;
        for (const dim of dimensions) {
          if (dim !== '' && !covers(g.breakdowns, dim)) continue;
          const key = `${i.id}|${r.id}|${g.providerOrgId}|${dim}`;
          const best = opened.get(key);
          if (!best || (g.counts && !best[5])) opened.set(key, [i.id, r.id, g.providerOrgId, dim, g.agreementId, g.counts]);
        }
      }
    }
  }
  if (opened.size === 0) {
    return {
      join: '',
      where: `(${owner} OR (${released} AND ${open}))`,
      owner: `(${owner})`,
      counts: `(${owner})`,
      flags: `(${owner})::int * ${OWNER_BIT + COUNTS_BIT}`,
      agreement: 'NULL::int',
    };
  }
  const first = params.length + 1;
  const rows = [...opened.values()];
  for (let c = 0; c < 6; c++) params.push(rows.map((t) => t[c]));
  const [gi, gr, go, gd, ga, gc] = [0, 1, 2, 3, 4, 5].map((c) => `$${first + c}`);
  const counts = `(${owner} OR coalesce(g.counts, false))`;
  return {
    join: `LEFT JOIN unnest(${gi}::int[], ${gr}::int[], ${go}::int[], ${gd}::text[], ${ga}::int[], ${gc}::bool[])
        AS g(indicator_id, region_id, owner_org_id, dimension, agreement_id, counts)
        ON g.indicator_id = o.indicator_id AND g.region_id = o.region_id AND g.owner_org_id = o.owner_org_id AND g.dimension = o.breakdown_dimension`,
    where: `(${owner} OR (${released} AND (${open} OR g.agreement_id IS NOT NULL)))`,
    owner: `(${owner})`,
    counts,
    flags: `(${owner})::int * ${OWNER_BIT} + ${counts}::int * ${COUNTS_BIT}`,
    agreement: `CASE WHEN ${owner} OR ${open} THEN NULL ELSE g.agreement_id END`,
  };
}

/**
 * CellAccess objects are immutable and few distinct: one per combination, not one per cell (a
 * bulk pull has 100,000 cells). Without an agreement, by the two bits; with one, by agreement.
 */
const PLAIN_ACCESS: CellAccess[] = [0, 1, 2, 3].map((f) => Object.freeze({ owner: (f & OWNER_BIT) !== 0, counts: (f & COUNTS_BIT) !== 0, agreementId: null }));
const OPENED_ACCESS = new Map<number, CellAccess[]>();

/** Access to one row selected with `observationFilter`'s `flags` and `agreement`. */
export function cellAccess(flags: number, agreementId: number | null): CellAccess {
  const bits = flags & (OWNER_BIT | COUNTS_BIT);
  if (agreementId === null) return PLAIN_ACCESS[bits];
  let byBits = OPENED_ACCESS.get(agreementId);
  if (!byBits) {
    byBits = PLAIN_ACCESS.map((a) => Object.freeze({ ...a, agreementId }));
    // Bounded by the agreements ever in force (a handful per organization).
    if (OPENED_ACCESS.size < 100_000) OPENED_ACCESS.set(agreementId, byBits);
  }
  return byBits[bits];
}

/**
 * Purpose binding made visible: every read an agreement opened is logged (who, when, which
 * indicators and regions, how many cells, for which purpose), in the request's transaction.
 */
export async function logAgreementReads(ctx: RequestContext, reads: Map<number, { indicatorIds: Set<number>; regionIds: Set<number>; cells: number }>): Promise<void> {
  if (reads.size === 0 || !isMember(ctx.viewer)) return;
  const grants = new Map((await ctx.loaders.grantsForViewer.load(ctx.viewer.orgId)).map((g) => [g.agreementId, g]));
  const ids = [...reads.keys()];
  await ctx.query(
    `INSERT INTO agreement_read (agreement_id, subject, organization_id, indicator_ids, region_ids, cells, purpose)
     SELECT a, $2, $3, string_to_array(i, ',')::int[], string_to_array(r, ',')::int[], c, p
     FROM unnest($1::int[], $4::text[], $5::text[], $6::int[], $7::text[]) AS t(a, i, r, c, p)`,
    [
      ids,
      ctx.viewer.subject,
      ctx.viewer.orgId,
      ids.map((id) => [...reads.get(id)!.indicatorIds].join(',')),
      ids.map((id) => [...reads.get(id)!.regionIds].join(',')),
      ids.map((id) => reads.get(id)!.cells),
      ids.map((id) => grants.get(id)?.purpose ?? ''),
    ],
  );
}
