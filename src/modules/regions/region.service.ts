import type { RequestContext } from '../../graphql/context';
import { groupBy, inKeyOrder } from '../../graphql/batch';
import { Region } from './region.entity';
import { RegionLevel } from './region.enums';

const COLUMNS = `r.id, r.code, r.name, r.level, r.kind, r.parent_id AS "parentId", r.valid_from AS "validFrom", r.valid_to AS "validTo"`;
const toRegion = (row: object): Region => Object.assign(new Region(), row);

/** Primes `regionsById` with regions just read, so that later lookups by id cost no statement. */
function primed(ctx: RequestContext, regions: Region[]): Region[] {
  for (const r of regions) ctx.loaders.regionsById.prime(r.id, r);
  return regions;
}

export interface RegionFilter {
  level?: RegionLevel;
  parentCode?: string;
  codes?: string[];
}

/**
 * Regions valid today (`valid_to IS NULL`). Regions are public reference data (official keys and
 * names), so no visibility rule applies to them; the data attached to them has its own rules.
 * Every method is one SQL statement.
 */
export const RegionService = {
  /**
   * Regions valid today, ordered by code: those of `level`; with `parentCode`, the descendants of
   * that region at `level`, or its direct children when no level is given; with `codes`, only
   * those. An unknown parent gives []. Primes `regionsById`. One part of `lookups`.
   */
  async list(ctx: RequestContext, filter: RegionFilter): Promise<Region[]> {
    return (await RegionService.listUnder(ctx, filter)) ?? [];
  },

  /** `list`, but null when `parentCode` names no region valid today (checked in the same statement). */
  async listUnder(ctx: RequestContext, filter: RegionFilter): Promise<Region[] | null> {
    const { level = null, parentCode, codes = null } = filter;
    if (parentCode === undefined) {
      const rows = await ctx.loaders.lookups.select(
        `SELECT ${COLUMNS} FROM region r
         WHERE r.valid_to IS NULL AND ($1::text IS NULL OR r.level = $1) AND ($2::text[] IS NULL OR r.code = ANY($2))
         ORDER BY r.code`,
        [level, codes],
      );
      return primed(ctx, rows.map(toRegion));
    }
    // The parent itself comes along (depth 0), so that an unknown parent is told from one
    // without regions at that level.
    const rows = await ctx.loaders.lookups.select<{ depth: number }>(
      `WITH RECURSIVE sub AS (
         SELECT id, 0 AS depth FROM region WHERE code = $1 AND valid_to IS NULL
         UNION ALL
         SELECT r.id, sub.depth + 1 FROM region r JOIN sub ON r.parent_id = sub.id WHERE r.valid_to IS NULL
       )
       SELECT ${COLUMNS}, sub.depth FROM sub JOIN region r ON r.id = sub.id
       WHERE sub.depth = 0 OR ((($2::text IS NULL AND sub.depth = 1) OR r.level = $2) AND ($3::text[] IS NULL OR r.code = ANY($3)))
       ORDER BY sub.depth > 0, r.code`,
      [parentCode, level, codes],
    );
    if (rows[0]?.depth !== 0) return null;
    return primed(
      ctx,
      rows.slice(1).map(({ depth: _, ...row }) => toRegion(row)),
    );
  },

  /** Batch function for `regionsById` (through `lookups`): results in key order, null for unknown ids. */
  async byIds(ctx: RequestContext, ids: readonly number[]): Promise<Array<Region | null>> {
    const rows = (await ctx.loaders.lookups.select(`SELECT ${COLUMNS} FROM region r WHERE r.id = ANY($1)`, [ids])).map(toRegion);
    return inKeyOrder(ids, rows, (r) => r.id);
  },

  /** Batch function for `regionsByCode` (regions valid today, through `lookups`): key order, null for unknown codes. Primes `regionsById`. */
  async byCodes(ctx: RequestContext, codes: readonly string[]): Promise<Array<Region | null>> {
    const rows = primed(ctx, (await ctx.loaders.lookups.select(`SELECT ${COLUMNS} FROM region r WHERE r.code = ANY($1) AND r.valid_to IS NULL`, [codes])).map(toRegion));
    return inKeyOrder(codes, rows, (r) => r.code);
  },

  /** Batch function for `regionsByParentId`: the children of each parent, ordered by code. */
  async childrenOf(ctx: RequestContext, parentIds: readonly number[]): Promise<Region[][]> {
    const rows: Region[] = (
      await ctx.query(`SELECT ${COLUMNS} FROM region r WHERE r.parent_id = ANY($1) AND r.valid_to IS NULL ORDER BY r.code`, [parentIds])
    ).map(toRegion);
    const byParent = groupBy(rows, (r) => r.parentId!);
    return parentIds.map((id) => byParent.get(id) ?? []);
  },
};
