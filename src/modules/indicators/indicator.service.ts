import type { RequestContext } from '../../graphql/context';
import { groupBy, inKeyOrder } from '../../graphql/batch';
import { badInput } from '../../graphql/errors';
import { EducationArea } from './education-area.entity';
import { Indicator } from './indicator.entity';

const COLUMNS = `i.id, i.code, i.name, i.name_en AS "nameEn", i.definition, i.unit, i.decimals, i.area_code AS "areaCode",
  i.period_type AS "periodType", i.reference_day AS "referenceDay", i.aggregation, i.weight_indicator_id AS "weightIndicatorId",
  i.levels, i.breakdowns, i.valid_min AS "validMin", i.valid_max AS "validMax", i.source, i.owner_org_id AS "ownerOrgId",
  i.visibility, i.version`;
const AREA_COLUMNS = `a.code, a.name, a.name_en AS "nameEn", a.sort_order AS "sortOrder"`;
const toArea = (row: object): EducationArea => Object.assign(new EducationArea(), row);
/** Indicator rows come with their area (`Indicator.area` is asked for almost always). */
const SELECT_INDICATOR = `SELECT ${COLUMNS}, json_build_object('code', a.code, 'name', a.name, 'nameEn', a.name_en, 'sortOrder', a.sort_order) AS area
  FROM indicator i JOIN education_area a ON a.code = i.area_code`;

/** Maps rows of SELECT_INDICATOR and primes `areasByCode`, so that `Indicator.area` costs no statement. */
function toIndicators(ctx: RequestContext, rows: Array<Record<string, unknown>>): Indicator[] {
  return rows.map(({ area, ...row }) => {
    const a = toArea(area as object);
    ctx.loaders.areasByCode.prime(a.code, a);
    return Object.assign(new Indicator(), row);
  });
}

/** Cursor of a page of indicators: the last code seen, opaque to clients. */
const encodeCursor = (code: string) => Buffer.from(`indicator:${code}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!raw.startsWith('indicator:') || encodeCursor(raw.slice(10)) !== cursor) throw badInput(`"after" is not a cursor of this list: ${cursor}`, { argument: 'after' });
  return raw.slice(10);
}

/** Filter of `page` and `count`: $1 area code, $2 search text (plain substring, no pattern syntax). */
const FILTER_SQL = `($1::text IS NULL OR i.area_code = $1)
  AND ($2::text IS NULL OR strpos(lower(i.code || ' ' || i.name || ' ' || i.name_en || ' ' || i.definition), lower($2)) > 0)`;

export interface IndicatorFilter {
  areaCode?: string;
  search?: string;
}

/** The indicator catalogue and the education areas: public reference data, one statement per method. */
export const IndicatorService = {
  /**
   * One page of the catalogue ordered by code. `search` matches code, German and English name and
   * definition, case-insensitively, as a plain substring (no pattern syntax).
   */
  async page(ctx: RequestContext, filter: IndicatorFilter, first: number, after?: string) {
    const afterCode = after === undefined ? null : decodeCursor(after);
    const rows = toIndicators(
      ctx,
      await ctx.query(
        `${SELECT_INDICATOR}
         WHERE ${FILTER_SQL} AND ($3::text IS NULL OR i.code > $3)
         ORDER BY i.code LIMIT $4`,
        [filter.areaCode ?? null, filter.search ?? null, afterCode, first + 1],
      )
    );
    const nodes = rows.slice(0, first);
    return {
      edges: nodes.map((node) => ({ node, cursor: encodeCursor(node.code) })),
      pageInfo: {
        hasNextPage: rows.length > first,
        hasPreviousPage: afterCode !== null,
        startCursor: nodes.length ? encodeCursor(nodes[0].code) : null,
        endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].code) : null,
      },
      filter,
    };
  },

  /** Number of indicators matching a filter (for `totalCount`, only computed when asked for). */
  async count(ctx: RequestContext, filter: IndicatorFilter): Promise<number> {
    const [row] = await ctx.query(
      `SELECT count(*)::int AS n FROM indicator i WHERE ${FILTER_SQL}`,
      [filter.areaCode ?? null, filter.search ?? null],
    );
    return row.n;
  },

  /** Batch function for `indicatorsByCode`: key order, null for unknown codes. */
  async byCodes(ctx: RequestContext, codes: readonly string[]): Promise<Array<Indicator | null>> {
    const rows = toIndicators(ctx, await ctx.query(`${SELECT_INDICATOR} WHERE i.code = ANY($1)`, [codes]));
    for (const r of rows) ctx.loaders.indicatorsById.prime(r.id, r);
    return inKeyOrder(codes, rows, (r) => r.code);
  },

  /** Batch function for `indicatorsById`. */
  async byIds(ctx: RequestContext, ids: readonly number[]): Promise<Array<Indicator | null>> {
    const rows = toIndicators(ctx, await ctx.query(`${SELECT_INDICATOR} WHERE i.id = ANY($1)`, [ids]));
    return inKeyOrder(ids, rows, (r) => r.id);
  },

  /** Batch function for `indicatorsByAreaCode`: each area's indicators ordered by code. */
  async byAreaCodes(ctx: RequestContext, areaCodes: readonly string[]): Promise<Indicator[][]> {
    const rows = toIndicators(ctx, await ctx.query(`${SELECT_INDICATOR} WHERE i.area_code = ANY($1) ORDER BY i.code`, [areaCodes]));
    const byArea = groupBy(rows, (r) => r.areaCode);
    return areaCodes.map((c) => byArea.get(c) ?? []);
  },

  /** All education areas in report order. */
  async areas(ctx: RequestContext): Promise<EducationArea[]> {
    return (await ctx.query(`SELECT ${AREA_COLUMNS} FROM education_area a ORDER BY a.sort_order`)).map(toArea);
  },

  /**
   * Batch function for `areasByCode`. The catalogue has seven areas, so the first lookup loads
   * them all and primes the loader: any number of `Indicator.area` fields cost one statement.
   */
  async areasByCodes(ctx: RequestContext, codes: readonly string[]): Promise<Array<EducationArea | null>> {
    const all = await IndicatorService.areas(ctx);
    for (const a of all) ctx.loaders.areasByCode.prime(a.code, a);
    return inKeyOrder(codes, all, (a) => a.code);
  },
};
