/**
 * Disclosure control for counts (DESIGN §4): which cells of a table must be hidden so that no
 * count below the threshold is shown, and none can be recomputed by subtraction.
 *
 * This is the simple method of DESIGN §4, not the statistical offices' stronger ones: it stops
 * exact recomputation, it does not bound how narrowly a hidden cell can be estimated. The pattern
 * depends only on the table (cells and groups), never on the order they are given in or on the
 * query that asks, so it can be computed once per audience and table and stored.
 */

/** The threshold of official statistics: counts of 1 and 2 are not shown. */
export const DEFAULT_DISCLOSURE_THRESHOLD = 3;

/** One cell of a table under disclosure control. */
export interface DisclosureCell {
  /**
   * The count (a rate's numerator, a total, a breakdown part): a non-negative number. `null` when
   * the count is unknown; an unknown cell protects its groups exactly like a hidden one.
   */
  value: number | null;
  /** Already hidden before this run, e.g. published as `.` by its source. */
  hidden: boolean;
}

/**
 * Cell ids bound by an additive relation: a parent region and its children, or a total and its
 * breakdown parts. Which cell is the total does not matter: knowing all but one cell of the group
 * reveals the last one.
 */
export type AdditiveGroup = readonly string[];

export interface DisclosureOptions {
  /** Counts greater than 0 and below this are hidden (primary suppression). Default 3. */
  threshold?: number;
}

/**
 * Returns the ids of every cell that must be hidden: the cells already hidden or unknown, the
 * primary suppressions (0 < count < threshold; a count of exactly 0 is a true zero, published
 * as `-`, and is not hidden), and the secondary suppressions that protect them.
 *
 * Secondary suppression repeats until nothing changes: in every group with exactly one hidden
 * cell, the smallest other visible cell is hidden as well (ties: the smallest id in code-unit
 * order). Zeros are chosen only when a group has no other visible cell: a hidden zero next to a
 * small hidden count barely protects it, since the pair's sum is the count. Each pass looks at
 * all groups against the state at the start of the pass, so the result does not depend on the
 * order of groups, of cells within a group, or of the map.
 *
 * Callers build the groups from every additive relation of the table; groups may overlap (a Kreis
 * is a child of the Land and the parent of its Gemeinden), which is why the passes repeat. A rate
 * whose denominator is visible reveals its numerator, so a rate's cell is its numerator count.
 *
 * @throws RangeError when a group names an unknown cell or a count is negative or not finite.
 */
export function suppressCells(
  cells: ReadonlyMap<string, DisclosureCell>,
  groups: readonly AdditiveGroup[],
  options: DisclosureOptions = {},
): Set<string> {
  const threshold = options.threshold ?? DEFAULT_DISCLOSURE_THRESHOLD;
  const hidden = new Set<string>();
  for (const [id, cell] of cells) {
    if (cell.value !== null && !(Number.isFinite(cell.value) && cell.value >= 0)) {
      throw new RangeError(`disclosure: cell ${id} has count ${cell.value}; counts are finite and non-negative`);
    }
    if (cell.hidden || cell.value === null || (cell.value > 0 && cell.value < threshold)) hidden.add(id);
  }
  // A cell listed twice in a group is still one cell of it.
  const members = groups.map((group) => {
    const ids = [...new Set(group)];
    for (const id of ids) if (!cells.has(id)) throw new RangeError(`disclosure: group names unknown cell ${id}`);
    return ids;
  });

  for (;;) {
    const toHide = new Set<string>();
    for (const ids of members) {
      let hiddenInGroup = 0;
      for (const id of ids) if (hidden.has(id)) hiddenInGroup++;
      if (hiddenInGroup !== 1) continue;
      const complement = smallestVisible(ids, cells, hidden);
      if (complement !== undefined) toHide.add(complement);
    }
    if (toHide.size === 0) return hidden;
    for (const id of toHide) hidden.add(id);
  }
}

/** The visible cell to hide next: smallest positive count, else a zero; ties by smallest id. */
function smallestVisible(ids: readonly string[], cells: ReadonlyMap<string, DisclosureCell>, hidden: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  let bestRank = Infinity;
  for (const id of ids) {
    if (hidden.has(id)) continue;
    const count = cells.get(id)!.value!; // a visible cell has a count
    const rank = count === 0 ? Infinity : count;
    if (best === undefined || rank < bestRank || (rank === bestRank && id < best)) {
      best = id;
      bestRank = rank;
    }
  }
  return best;
}
