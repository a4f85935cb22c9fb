import { requireMember, requireRole } from '../../access/permissions';
import { hasRole, isMember, orgIdOf, Role, type Member } from '../../access/viewer';
import type { RequestContext } from '../../graphql/context';
import { groupBy, inKeyOrder } from '../../graphql/batch';
import { badInput, conflict, forbidden, notFound, requiredText } from '../../graphql/errors';
import { Organization, OrganizationKind } from '../organizations/organization.entity';
import { OrganizationService } from '../organizations/organization.service';
import { parsePeriod } from '../series/period';
import { EducationArea } from './education-area.entity';
import { Indicator } from './indicator.entity';
import { AggregationRule, PeriodType, Visibility } from './indicator.enums';
import type { CreateIndicatorInput, UpdateIndicatorInput } from './indicator.inputs';
import { IndicatorDefinition } from './indicator.types';

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

/** Catalogue codes: a letter, then letters, digits, `_` or `-` (e.g. `C1`, `D1b`); the column holds 16. */
const INDICATOR_CODE = /^[A-Za-z][A-Za-z0-9_-]{0,15}$/;
/** A reference day within the period as the statistical offices write it, `DD.MM.` (e.g. `31.12.`). */
const REFERENCE_DAY = /^(0[1-9]|[12][0-9]|3[01])\.(0[1-9]|1[0-2])\.$/;
/** The column's check constraint: decimals BETWEEN 0 AND 6. */
const MAX_DECIMALS = 6;

/** Text fields of `updateIndicator` and their columns; each must not be blank. */
const TEXT_COLUMNS = [
  ['name', 'name'],
  ['nameEn', 'name_en'],
  ['definition', 'definition'],
  ['unit', 'unit'],
  ['source', 'source'],
] as const;

/**
 * Who manages an indicator's catalogue entry (issue 3 §2): admins of a Land body, every
 * indicator; an admin of any other organization, e.g. a Kommune's Bildungsbüro, the indicators
 * its organization owns. A Kommune's own figures (Kita-Bedarfsplanung, VHS courses) need a
 * catalogue entry before they can be uploaded, and defining them is the Kommune's business.
 * Call after `requireRole(ctx, Role.ADMIN)`.
 */
function requireCatalogueRight(member: Member, owner: Organization): void {
  if (member.orgKind !== OrganizationKind.LAND && member.orgId !== owner.id) {
    throw forbidden(`only admins of a Land body or of ${owner.code} manage the indicators of ${owner.code}`);
  }
}

/**
 * Who decides who sees an indicator's released values (DESIGN §4: its owner): the owner's admins;
 * Land admins also for indicators of Land and federal bodies (the official catalogue they
 * steward), never for a Kommune's: the Land must not open a Kommune's data wider than the
 * Kommune chose.
 */
function requireVisibilityRight(member: Member, owner: Organization): void {
  if (member.orgId === owner.id || (member.orgKind === OrganizationKind.LAND && owner.kind !== OrganizationKind.KOMMUNE)) return;
  throw forbidden(`only admins of ${owner.code} decide who sees the values of its indicators`);
}

function checkDecimals(decimals: number): void {
  if (decimals < 0 || decimals > MAX_DECIMALS) throw badInput(`"input.decimals" must be between 0 and ${MAX_DECIMALS}`, { argument: 'input.decimals' });
}

function checkBounds(validMin: number | null, validMax: number | null): void {
  if (validMin !== null && validMax !== null && validMin > validMax) {
    throw badInput(`"validMin" (${validMin}) is above "validMax" (${validMax})`, { argument: 'input.validMin' });
  }
}

const unknownReference = (argument: string, code: string) => badInput(`unknown ${argument}: ${code}`, { argument, unknownCodes: [code] });

/** A population basis given in an input: trimmed text, null for "none applies", undefined when not given. */
function populationBasisOf(argument: string, value: string | null | undefined): string | null | undefined {
  return value === undefined || value === null ? value : requiredText(argument, value);
}

/**
 * SQL for writers of cells (uploads): a LEFT JOIN of the definition version that a cell of
 * indicator `indicatorId` for the period starting `periodStart` (SQL expressions) is computed
 * with, as `<alias>.version` — the version whose periods, from its `valid_from` up to the next
 * version's, hold the period's start. Null where the indicator has no recorded history: take the
 * indicator's `version` then (`coalesce(<alias>.version, i.version)`). A join rather than a
 * subquery per row, so that a million staged rows cost one hash join with the small history.
 */
export function definitionVersionJoin(alias: string, indicatorId: string, periodStart: string): string {
  return `LEFT JOIN (SELECT indicator_id, version, valid_from, lead(valid_from) OVER (PARTITION BY indicator_id ORDER BY version) AS valid_to FROM indicator_definition) ${alias}
    ON ${alias}.indicator_id = ${indicatorId} AND (${alias}.valid_from IS NULL OR ${alias}.valid_from <= ${periodStart})
      AND (${alias}.valid_to IS NULL OR ${periodStart} < ${alias}.valid_to)`;
}

export interface IndicatorFilter {
  areaCode?: string;
  search?: string;
}

/** The indicator catalogue and the education areas: public reference data, one statement per read; changes by admins (`create`, `update`). */
export const IndicatorService = {
  /**
   * One page of the catalogue ordered by code, with the number of all indicators matching the
   * filter (`totalCount`), in one statement: the count is cheap (the catalogue has hundreds of
   * rows) and a second statement would cost a round trip. `search` matches code, German and
   * English name and definition, case-insensitively, as a plain substring (no pattern syntax).
   */
  async page(ctx: RequestContext, filter: IndicatorFilter, first: number, after?: string) {
    const afterCode = after === undefined ? null : decodeCursor(after);
    // The count's row joined with the page's: one row with NULL columns when the page is empty.
    const result: Array<Record<string, unknown> & { total: number }> = await ctx.query(
      `SELECT t.total, p.* FROM (SELECT count(*)::int AS total FROM indicator i WHERE ${FILTER_SQL}) t
       LEFT JOIN LATERAL (
         ${SELECT_INDICATOR}
         WHERE ${FILTER_SQL} AND ($3::text IS NULL OR i.code > $3)
         ORDER BY i.code LIMIT $4
       ) p ON true
       ORDER BY p.code`,
      [filter.areaCode ?? null, filter.search ?? null, afterCode, first + 1],
    );
    const totalCount = result[0].total;
    const rows = toIndicators(
      ctx,
      result.filter((r) => r.id !== null).map(({ total: _, ...row }) => row),
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
      totalCount,
    };
  },

  /** Batch function for `indicatorsByCode` (through `lookups`): key order, null for unknown codes. */
  async byCodes(ctx: RequestContext, codes: readonly string[]): Promise<Array<Indicator | null>> {
    const rows = toIndicators(ctx, await ctx.loaders.lookups.select(`${SELECT_INDICATOR} WHERE i.code = ANY($1)`, [codes]));
    for (const r of rows) ctx.loaders.indicatorsById.prime(r.id, r);
    return inKeyOrder(codes, rows, (r) => r.code);
  },

  /** Batch function for `indicatorsById` (through `lookups`). */
  async byIds(ctx: RequestContext, ids: readonly number[]): Promise<Array<Indicator | null>> {
    const rows = toIndicators(ctx, await ctx.loaders.lookups.select(`${SELECT_INDICATOR} WHERE i.id = ANY($1)`, [ids]));
    return inKeyOrder(ids, rows, (r) => r.id);
  },

  /** Batch function for `indicatorsByAreaCode`: each area's indicators ordered by code. */
  async byAreaCodes(ctx: RequestContext, areaCodes: readonly string[]): Promise<Indicator[][]> {
    const rows = toIndicators(ctx, await ctx.query(`${SELECT_INDICATOR} WHERE i.area_code = ANY($1) ORDER BY i.code`, [areaCodes]));
    const byArea = groupBy(rows, (r) => r.areaCode);
    return areaCodes.map((c) => byArea.get(c) ?? []);
  },

  /**
   * Adds an indicator to the catalogue (admins: see `requireCatalogueRight`), owned by
   * `ownerCode` or the admin's own organization, visible to its owner only unless the input says
   * otherwise (and the admin may say so). Unknown area, owner or weight indicator, malformed or
   * blank fields, or `validMin` above `validMax` are BAD_USER_INPUT; a code in use is CONFLICT.
   * There is no row-level security on `indicator`: these checks are the gate.
   */
  async create(ctx: RequestContext, input: CreateIndicatorInput): Promise<Indicator> {
    const member = requireRole(ctx, Role.ADMIN);
    const owner = input.ownerCode == null ? (await ctx.loaders.organizationsById.load(member.orgId))! : await OrganizationService.byCode(ctx, input.ownerCode);
    if (!owner) throw unknownReference('input.ownerCode', input.ownerCode!);
    requireCatalogueRight(member, owner);
    if (input.visibility !== Visibility.OWNER) requireVisibilityRight(member, owner);

    if (!INDICATOR_CODE.test(input.code)) {
      throw badInput(`"input.code" must be a letter followed by up to 15 letters, digits, "_" or "-": ${input.code}`, { argument: 'input.code' });
    }
    const [name, nameEn, definition, unit, source] = (['name', 'nameEn', 'definition', 'unit', 'source'] as const).map((f) => requiredText(`input.${f}`, input[f]));
    checkDecimals(input.decimals);
    if (!(await ctx.loaders.areasByCode.load(input.areaCode))) throw unknownReference('input.areaCode', input.areaCode);
    const referenceDay = input.referenceDay ?? null;
    if (referenceDay !== null && input.periodType === PeriodType.STICHTAG) {
      throw badInput('"input.referenceDay" does not apply to STICHTAG indicators: their period is the day itself', { argument: 'input.referenceDay' });
    }
    if (referenceDay !== null && !REFERENCE_DAY.test(referenceDay)) throw badInput(`"input.referenceDay" must look like "31.12.": ${referenceDay}`, { argument: 'input.referenceDay' });
    let weightIndicatorId: number | null = null;
    if (input.aggregation === AggregationRule.WEIGHTED_MEAN) {
      if (input.weightIndicatorCode == null) throw badInput('"input.weightIndicatorCode" is required with WEIGHTED_MEAN', { argument: 'input.weightIndicatorCode' });
      const weight = await ctx.loaders.indicatorsByCode.load(input.weightIndicatorCode);
      if (!weight) throw unknownReference('input.weightIndicatorCode', input.weightIndicatorCode);
      weightIndicatorId = weight.id;
    } else if (input.weightIndicatorCode != null) {
      throw badInput(`"input.weightIndicatorCode" applies only to WEIGHTED_MEAN, not ${input.aggregation}`, { argument: 'input.weightIndicatorCode' });
    }
    if (input.levels.length === 0) throw badInput('"input.levels" must name at least one level', { argument: 'input.levels' });
    checkBounds(input.validMin ?? null, input.validMax ?? null);

    // ON CONFLICT rather than a unique-violation error: an error would abort the request's transaction.
    const [row] = await ctx.query(
      `INSERT INTO indicator (code, name, name_en, definition, unit, decimals, area_code, period_type, reference_day, aggregation,
         weight_indicator_id, levels, breakdowns, valid_min, valid_max, source, owner_org_id, visibility)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
       ON CONFLICT (code) DO NOTHING RETURNING id`,
      [
        input.code, name, nameEn, definition, unit, input.decimals, input.areaCode, input.periodType, referenceDay, input.aggregation,
        weightIndicatorId, [...new Set(input.levels)], [...new Set(input.breakdowns)], input.validMin ?? null, input.validMax ?? null, source, owner.id, input.visibility,
      ],
    );
    if (!row) throw conflict(`an indicator with code "${input.code}" exists already`);
    await ctx.query(`INSERT INTO indicator_definition (indicator_id, version, definition, population_basis, changed_by) VALUES ($1, 1, $2, $3, $4)`, [
      row.id,
      definition,
      populationBasisOf('input.populationBasis', input.populationBasis) ?? null,
      member.subject,
    ]);
    return (await ctx.loaders.indicatorsById.load(row.id))!;
  },

  /**
   * Changes an indicator's catalogue entry: Land admins, or admins of its owner
   * (`requireCatalogueRight`); its visibility only as `requireVisibilityRight` allows. A new
   * definition text increments `version` in the same statement. Unknown code: NOT_FOUND; blank or
   * null fields, an empty change, or bounds with `validMin` above `validMax`: BAD_USER_INPUT.
   */
  async update(ctx: RequestContext, code: string, input: UpdateIndicatorInput): Promise<Indicator> {
    const member = requireMember(ctx);
    const indicator = await ctx.loaders.indicatorsByCode.load(code);
    if (!indicator) throw notFound(`indicator ${code}`);
    const owner = (await ctx.loaders.organizationsById.load(indicator.ownerOrgId))!;
    requireRole(ctx, Role.ADMIN);
    requireCatalogueRight(member, owner);
    if (input.visibility != null && input.visibility !== indicator.visibility) requireVisibilityRight(member, owner);

    const changes: Array<[column: string, value: unknown]> = [];
    const notNull = <T>(field: string, value: T | null): T => {
      if (value === null) throw badInput(`"input.${field}" cannot be null`, { argument: `input.${field}` });
      return value;
    };
    for (const [field, column] of TEXT_COLUMNS) {
      if (input[field] !== undefined) changes.push([column, requiredText(`input.${field}`, notNull(field, input[field]))]);
    }
    if (input.decimals !== undefined) {
      checkDecimals(notNull('decimals', input.decimals));
      changes.push(['decimals', input.decimals]);
    }
    if (input.visibility !== undefined) changes.push(['visibility', notNull('visibility', input.visibility)]);
    if (input.validMin !== undefined) changes.push(['valid_min', input.validMin]);
    if (input.validMax !== undefined) changes.push(['valid_max', input.validMax]);
    const basis = populationBasisOf('input.populationBasis', input.populationBasis);
    if (changes.length === 0 && basis === undefined) throw badInput('"input" changes nothing: give at least one field', { argument: 'input' });
    checkBounds(input.validMin === undefined ? indicator.validMin : input.validMin, input.validMax === undefined ? indicator.validMax : input.validMax);
    const validFromCode = input.definitionValidFrom ?? null;
    const validFromPeriod = validFromCode === null ? null : parsePeriod(validFromCode);
    if (validFromPeriod === undefined) {
      throw badInput(`"input.definitionValidFrom" is not a period code (2022, 2022/23 or 2022-05-15): ${validFromCode}`, { argument: 'input.definitionValidFrom' });
    }

    // The entry is locked first, so that concurrent changes of one definition get consecutive versions.
    const [current] = await ctx.query(
      `SELECT i.version, i.definition, d.population_basis AS "populationBasis", d.valid_from AS "validFrom"
       FROM indicator i LEFT JOIN indicator_definition d ON d.indicator_id = i.id AND d.version = i.version
       WHERE i.id = $1 FOR UPDATE OF i`,
      [indicator.id],
    );
    const text = changes.find(([column]) => column === 'definition')?.[1] as string | undefined;
    const newDefinition = (text !== undefined && text !== current.definition) || (basis !== undefined && basis !== (current.populationBasis ?? null));
    if (validFromPeriod && !newDefinition) {
      throw badInput('"input.definitionValidFrom" applies to a new definition: give a changed "definition" or "populationBasis" with it', { argument: 'input.definitionValidFrom' });
    }
    const validFrom = validFromPeriod?.start ?? new Date().toISOString().slice(0, 10);
    if (newDefinition && current.validFrom !== null && validFrom < current.validFrom) {
      throw badInput(`"input.definitionValidFrom" (${validFrom}) lies before the current definition's first period (${current.validFrom})`, { argument: 'input.definitionValidFrom' });
    }
    if (newDefinition) changes.push(['version', current.version + 1]);
    if (changes.length > 0) {
      const params: unknown[] = [indicator.id, ...changes.map(([, value]) => value)];
      await ctx.query(`UPDATE indicator SET ${changes.map(([column], i) => `${column} = $${i + 2}`).join(', ')} WHERE id = $1`, params);
    }
    if (newDefinition) {
      await ctx.query(
        `INSERT INTO indicator_definition (indicator_id, version, definition, population_basis, valid_from, changed_by) VALUES ($1, $2, $3, $4, $5, $6)`,
        [indicator.id, current.version + 1, text ?? current.definition, basis === undefined ? (current.populationBasis ?? null) : basis, validFrom, member.subject],
      );
    }
    ctx.loaders.indicatorsById.clear(indicator.id);
    ctx.loaders.definitionsByIndicatorId.clear(indicator.id);
    ctx.loaders.indicatorsByCode.clear(code);
    return (await ctx.loaders.indicatorsByCode.load(code))!;
  },

  /**
   * Batch function of `definitionsByIndicatorId`: each indicator's definition versions, oldest
   * first. `changedBy` (FieldRule.OWNER) is for those who may change the entry themselves: the
   * owner organization's members, and admins of a Land body (`requireCatalogueRight`).
   */
  async definitionsByIndicatorIds(ctx: RequestContext, ids: readonly number[]): Promise<IndicatorDefinition[][]> {
    const rows: Array<Record<string, any>> = await ctx.query(
      `SELECT d.indicator_id AS "indicatorId", d.version, d.definition, d.population_basis AS "populationBasis", d.valid_from AS "validFrom",
         d.changed_at AS "changedAt", d.changed_by AS "changedBy", i.owner_org_id AS "ownerOrgId"
       FROM indicator_definition d JOIN indicator i ON i.id = d.indicator_id
       WHERE d.indicator_id = ANY($1::int[]) ORDER BY d.indicator_id, d.version`,
      [ids],
    );
    const org = orgIdOf(ctx.viewer);
    const steward = isMember(ctx.viewer) && ctx.viewer.orgKind === OrganizationKind.LAND && hasRole(ctx.viewer.role, Role.ADMIN);
    const byIndicator = groupBy(
      rows.map(({ ownerOrgId, ...row }) => Object.assign(new IndicatorDefinition(), row, { access: { owner: steward || ownerOrgId === org, counts: false, agreementId: null } })),
      (d) => d.indicatorId,
    );
    return ids.map((id) => byIndicator.get(id) ?? []);
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
