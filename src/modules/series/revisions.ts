import { ObservationStatus } from './observation.enums';

/**
 * Versions of a cell, read side (issue 5 item 4; README "Revisions and as-of queries").
 *
 * A cell (indicator × region × breakdown part × period) is a chain of rows: a revision closes the
 * current row (`superseded_at`) and adds one with `version + 1`, recorded at `recorded_at`. Exactly
 * one row per cell is current (`superseded_at IS NULL`). The version known at an instant T is the
 * row recorded by T and not superseded by T. These SQL fragments are the only place that says so;
 * the series service puts them into its one statement.
 */

/**
 * SQL: the rows of `observation <alias>` that are the version of their cell known at `at` (an SQL
 * expression, e.g. a `$7::timestamptz` parameter), or the current rows when `at` is null. The
 * current form is the predicate of `observation_series_current` (the hot path's covering index).
 */
export function knownAt(alias: string, at: string | null): string {
  if (at === null) return `${alias}.superseded_at IS NULL`;
  return `(${alias}.recorded_at <= ${at} AND (${alias}.superseded_at IS NULL OR ${alias}.superseded_at > ${at}))`;
}

/**
 * SQL: a FROM item `observation <alias>` and the condition that keep the cells known at `at`
 * (null: now), for a statement over many cells. The current read is the table with the covering
 * index's predicate (an index-only scan). The as-of read is a UNION ALL of the current rows
 * recorded by then (again an index-only scan of `observation_series_current`, which holds
 * `recorded_at` for this) and the rows superseded after then (`observation_series_history`):
 * written as one OR condition, the planner turned it into a bitmap scan of the heap, and on 1.65
 * million rows into a sequential scan (README "Revisions and as-of queries").
 */
export function cellsKnownAt(alias: string, at: string | null): { from: string; where: string } {
  if (at === null) return { from: `observation ${alias}`, where: knownAt(alias, null) };
  return {
    from: `(SELECT * FROM observation WHERE superseded_at IS NULL AND recorded_at <= ${at}
      UNION ALL SELECT * FROM observation WHERE superseded_at > ${at} AND recorded_at <= ${at}) ${alias}`,
    where: 'true',
  };
}

/**
 * SQL, a boolean column: whether the cell `alias` is the first of its series after a series
 * break, i.e. computed with another definition version (definition text or population basis,
 * `indicator_definition`) than the cell of the series' nearest earlier period, both as known at
 * `at`. Null (no break) when there is no earlier cell.
 *
 * Derived when read, not stored: it follows revisions and new periods by itself, and it does not
 * depend on the question (a window starting at the break still marks it, because the earlier
 * cell is looked up outside the window). The look-up runs only for cells of a version above 1
 * (an indicator whose definition never changed costs nothing) and is one backward step on the
 * series index. The earlier cell is read under the request's row-level security, so a cell
 * hidden from the viewer by it never decides the mark.
 */
export function seriesBreak(alias: string, at: string | null): string {
  const p = `${alias}_prev`;
  return `CASE WHEN ${alias}.definition_version > 1 THEN ${alias}.definition_version <> (
      SELECT ${p}.definition_version FROM observation ${p}
      WHERE ${p}.indicator_id = ${alias}.indicator_id AND ${p}.region_id = ${alias}.region_id
        AND ${p}.breakdown_dimension = ${alias}.breakdown_dimension AND ${p}.breakdown_code = ${alias}.breakdown_code
        AND ${p}.period_start < ${alias}.period_start AND ${knownAt(p, at)}
      ORDER BY ${p}.period_start DESC LIMIT 1) END`;
}

/**
 * The statuses a break replaces with `B`: those of a shown value (normal, provisional, revised,
 * estimated; the symbol keeps `p`, `r` or `s`). A missing or suppressed value keeps its own status
 * (`Q`, `O`, `M`, `L`, `U`): there is no value whose comparability `B` would qualify, and
 * disclosure control comes first.
 */
const BREAK_REPLACES: ReadonlySet<string> = new Set([ObservationStatus.A, ObservationStatus.P, ObservationStatus.R, ObservationStatus.E]);

/** The status a cell is shown with, given its stored status and whether it starts a series break. */
export function statusWithBreak(status: ObservationStatus, isBreak: boolean): ObservationStatus {
  return isBreak && BREAK_REPLACES.has(status) ? ObservationStatus.B : status;
}
