import { groupBy } from '../graphql/batch';
import type { HubSettings } from '../graphql/context';
import { suppressCells, type AdditiveGroup, type DisclosureCell } from './disclosure';

/**
 * The stored suppression pattern (DESIGN §4, issue 3 item 6): which released cells an audience
 * without a right to small counts sees as `.` (status Q). It is decided per table (one indicator
 * in one period) whenever the released cells of that table change — a release, a withdrawal, the
 * seed — and stored in `observation.suppressed`; the series service applies it to every question
 * alike, so combining the answers to different questions reveals nothing.
 *
 * One pattern serves every audience that is subject to disclosure control:
 *   - the public and organizations without a COUNTS agreement: visibility is a property of the
 *     indicator, and an agreement without COUNTS only opens whole rows, so each of them sees
 *     either none of a table or the same released cells of it (a subset, for an agreement scoped
 *     to some regions, levels or breakdowns: seeing less never reveals more);
 *   - the owner and recipients of a COUNTS agreement see every value: for them the flag is
 *     ignored (src/access/observation-access.ts, CellAccess.counts).
 * The input is the released cells: a draft is left out (nobody but its owner sees it), an
 * embargoed cell is taken in (it becomes visible without a new computation when its embargo
 * passes). A cell the audience does not see, but the pattern counts as visible, can only make the
 * pattern stricter than needed, never weaker.
 *
 * What is computed (src/access/disclosure.ts does the hiding): the count of a cell is its value
 * for SUM indicators and its numerator for RATIO indicators — a rate is hidden with its
 * numerator, and a rate shown beside its (published) denominator reveals the numerator, so a
 * rate's visibility follows its numerator. Other rules (WEIGHTED_MEAN, NONE) hold no counts and
 * are never suppressed. The additive groups of a table are
 *   - the region hierarchy: a region and its direct children present in the table, per breakdown
 *     part (e.g. a Kreis and its Gemeinden, for the total and again for `F` and for `M`);
 *   - the breakdown margins: in one region, the total and the parts of one dimension.
 * Official figures already cleared at their source (`source_cleared`) keep the status their
 * source gave them and are never suppressed again.
 */

/** One released cell under disclosure control, as the pattern sees it. */
export interface PatternCell {
  /** The observation id. */
  id: string;
  /** The table the cell belongs to: one indicator in one period (any key that says so). */
  table: string;
  regionId: number;
  parentRegionId: number | null;
  /** Breakdown dimension; `''` for the total. */
  dimension: string;
  code: string;
  /**
   * The value of a SUM cell, the numerator of a RATIO cell; null when unknown (e.g. `...`, or a
   * rate uploaded without its numerator: it protects its groups, but its own rate stays visible).
   */
  count: number | null;
  /**
   * Hidden by an earlier pattern, in this row or in an earlier version of the cell: it stays
   * hidden. A pattern computed afresh after a revision could choose other complements and show a
   * cell that an earlier answer hid; that answer (still readable with `asOf`) and the new one
   * together would then give the hidden count away.
   */
  suppressedBefore?: boolean;
}

/**
 * The ids of the cells to store as suppressed: primary suppressions (0 < count < threshold; 0 is
 * a true zero) and the secondary ones that keep them from being recomputed, table by table.
 * Cells without a count are not flagged themselves (a missing value keeps its own status), but
 * they protect their groups like hidden cells. Pure and independent of the order of `cells`.
 */
export function suppressionPattern(cells: readonly PatternCell[], threshold: number): Set<string> {
  const flagged = new Set<string>();
  for (const table of groupBy(cells, (c) => c.table).values()) {
    const counts = new Map<string, DisclosureCell>(table.map((c) => [c.id, { value: c.count, hidden: c.suppressedBefore ?? false }]));
    const groups: AdditiveGroup[] = [];
    for (const part of groupBy(table, (c) => `${c.dimension}|${c.code}`).values()) {
      const idOfRegion = new Map(part.map((c) => [c.regionId, c.id]));
      const children = groupBy(
        part.filter((c) => c.parentRegionId !== null && idOfRegion.has(c.parentRegionId)),
        (c) => c.parentRegionId!,
      );
      for (const [parentId, kids] of children) groups.push([idOfRegion.get(parentId)!, ...kids.map((k) => k.id)]);
    }
    for (const inRegion of groupBy(table, (c) => c.regionId).values()) {
      const total = inRegion.find((c) => c.dimension === '');
      if (!total) continue;
      for (const parts of groupBy(inRegion.filter((c) => c.dimension !== ''), (c) => c.dimension).values()) groups.push([total.id, ...parts.map((p) => p.id)]);
    }
    for (const id of suppressCells(counts, groups, { threshold })) if (counts.get(id)!.value !== null) flagged.add(id);
  }
  return flagged;
}

/**
 * What computing and storing a pattern needs: a request context (as the owner, under row-level
 * security), or the seed's own connection (the table owner) with the threshold it seeds for.
 */
export interface SuppressionScope {
  query(sql: string, params?: unknown[]): Promise<any>;
  config: Pick<HubSettings, 'disclosureThreshold'>;
}

/**
 * Recomputes and stores the pattern of every table of `indicatorIds` that holds current cells of
 * `ownerOrgId`: its released, not source-cleared cells are the input; every current, not
 * source-cleared cell of the owner gets its flag (drafts: false). A cell hidden before (this row,
 * or an earlier version of the cell) stays hidden: patterns only grow, so no answer, now or `asOf`
 * an earlier instant, uncovers what another answer hid. Two statements, whatever the number of tables. Callers that change released cells in a request use `changeReleasedCells`,
 * which also serializes concurrent changes.
 *
 * @returns how many cells the pattern covered and how many it hides.
 */
export async function recomputeSuppression(scope: SuppressionScope, ownerOrgId: number, indicatorIds: readonly number[]): Promise<{ cells: number; suppressed: number }> {
  const rows: Array<Record<string, any>> = await scope.query(
    `SELECT o.id::text AS id, o.indicator_id || '|' || o.period_start AS table_key, o.region_id, r.parent_id,
        o.breakdown_dimension, o.breakdown_code, CASE WHEN i.aggregation = 'RATIO' THEN o.numerator ELSE o.value END AS count,
        o.suppressed OR EXISTS (
          SELECT 1 FROM observation p
          WHERE p.indicator_id = o.indicator_id AND p.region_id = o.region_id AND p.period_start = o.period_start
            AND p.breakdown_dimension = o.breakdown_dimension AND p.breakdown_code = o.breakdown_code
            AND p.owner_org_id = o.owner_org_id AND p.superseded_at IS NOT NULL AND p.suppressed) AS suppressed_before
     FROM observation o
       JOIN indicator i ON i.id = o.indicator_id
       JOIN region r ON r.id = o.region_id
     WHERE o.owner_org_id = $1 AND o.indicator_id = ANY($2::int[]) AND o.superseded_at IS NULL
       AND o.release_state = 'RELEASED' AND NOT o.source_cleared AND i.aggregation IN ('SUM', 'RATIO')`,
    [ownerOrgId, indicatorIds],
  );
  const hidden = suppressionPattern(
    rows.map((r) => ({
      id: r.id,
      table: r.table_key,
      regionId: r.region_id,
      parentRegionId: r.parent_id,
      dimension: r.breakdown_dimension,
      code: r.breakdown_code,
      count: r.count,
      suppressedBefore: r.suppressed_before,
    })),
    scope.config.disclosureThreshold,
  );
  // Only the flags that change are written.
  await scope.query(
    `UPDATE observation o SET suppressed = (o.id = ANY($3::bigint[]))
     WHERE o.owner_org_id = $1 AND o.indicator_id = ANY($2::int[]) AND o.superseded_at IS NULL AND NOT o.source_cleared
       AND o.suppressed <> (o.id = ANY($3::bigint[]))`,
    [ownerOrgId, indicatorIds, [...hidden]],
  );
  return { cells: rows.length, suppressed: hidden.size };
}

/** Namespace of the transaction-level advisory locks that serialize changes per indicator. */
const LOCK_NAMESPACE = 0x6b6f6269; // "kobi"

/**
 * Takes the transaction-level lock of each indicator: changes of cells of the same indicator
 * (releases, withdrawals, uploads) wait for each other until the holder's transaction ends, and a
 * statement after the lock sees what the previous holder committed. Re-entrant within a
 * transaction. Returns the ids, deduplicated and sorted.
 */
export async function lockIndicators(scope: Pick<SuppressionScope, 'query'>, indicatorIds: readonly number[]): Promise<number[]> {
  // In ascending order (unnest keeps the array's order), so that two changes never wait crosswise.
  const ids = [...new Set(indicatorIds)].sort((a, b) => a - b);
  if (ids.length) await scope.query(`SELECT pg_advisory_xact_lock($1::int, id) FROM unnest($2::int[]) AS id`, [LOCK_NAMESPACE, ids]);
  return ids;
}

/**
 * Runs `change` (statements that release, withdraw or revise the owner's cells of
 * `indicatorIds`) and then recomputes their pattern, in the caller's transaction. Changes of the
 * same indicators wait for each other (an advisory lock until the end of the transaction): a
 * pattern computed beside another transaction's uncommitted release would miss its cells. The
 * lock is taken before `change` touches any row, so two changes cannot deadlock on it.
 */
export async function changeReleasedCells<T>(scope: SuppressionScope, ownerOrgId: number, indicatorIds: readonly number[], change: () => Promise<T>): Promise<T> {
  const ids = await lockIndicators(scope, indicatorIds);
  const result = await change();
  await recomputeSuppression(scope, ownerOrgId, ids);
  return result;
}
