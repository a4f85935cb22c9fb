import { requireLandAdmin } from '../../access/permissions';
import type { RequestContext } from '../../graphql/context';
import { inKeyOrder } from '../../graphql/batch';
import { badInput, conflict, requiredText } from '../../graphql/errors';
import { RegionLevel } from '../regions/region.enums';
import { Organization, OrganizationKind } from './organization.entity';
import type { CreateOrganizationInput } from './organization.inputs';

const COLUMNS = `o.id, o.code, o.name, o.kind, o.region_id AS "regionId"`;
const toOrganization = (row: object): Organization => Object.assign(new Organization(), row);

/** Organization codes: what tokens carry in their organization claim, so kept plain. */
const ORG_CODE = /^[a-z0-9-]{3,64}$/;

/** The region levels an organization of each kind belongs to (DESIGN §3: a Kommune's organization belongs to its region). */
const REGION_LEVELS: Record<OrganizationKind, RegionLevel[]> = {
  FEDERAL: [RegionLevel.BUND],
  LAND: [RegionLevel.LAND],
  KOMMUNE: [RegionLevel.KREIS, RegionLevel.GEMEINDE],
};

/** Organizations: names and kinds are public (they appear as owners and sources). */
export const OrganizationService = {
  async list(ctx: RequestContext): Promise<Organization[]> {
    return (await ctx.query(`SELECT ${COLUMNS} FROM organization o ORDER BY o.code`)).map(toOrganization);
  },

  /** Batch function for `organizationsById`. */
  async byIds(ctx: RequestContext, ids: readonly number[]): Promise<Array<Organization | null>> {
    const rows: Organization[] = (await ctx.query(`SELECT ${COLUMNS} FROM organization o WHERE o.id = ANY($1)`, [ids])).map(toOrganization);
    return inKeyOrder(ids, rows, (r) => r.id);
  },

  /** One organization by code, or null (for arguments that name an organization). Primes `organizationsById`. */
  async byCode(ctx: RequestContext, code: string): Promise<Organization | null> {
    const [row] = await ctx.query(`SELECT ${COLUMNS} FROM organization o WHERE o.code = $1`, [code]);
    if (!row) return null;
    const org = toOrganization(row);
    ctx.loaders.organizationsById.prime(org.id, org);
    return org;
  },

  /**
   * Creates an organization (Land admins only). A malformed code, a blank name, an unknown region
   * or one of the wrong level for the kind is BAD_USER_INPUT; a code in use is CONFLICT. There is
   * no row-level security on `organization`: the role check here is the gate.
   */
  async create(ctx: RequestContext, input: CreateOrganizationInput): Promise<Organization> {
    requireLandAdmin(ctx);
    if (!ORG_CODE.test(input.code)) throw badInput(`"input.code" must be 3 to 64 of a-z, 0-9 and "-": ${input.code}`, { argument: 'input.code' });
    const name = requiredText('input.name', input.name);
    const region = await ctx.loaders.regionsByCode.load(input.regionCode);
    if (!region) throw badInput(`unknown input.regionCode: ${input.regionCode}`, { argument: 'input.regionCode', unknownCodes: [input.regionCode] });
    const levels = REGION_LEVELS[input.kind];
    if (!levels.includes(region.level)) {
      throw badInput(`an organization of kind ${input.kind} belongs to a region of level ${levels.join(' or ')}; ${region.code} is ${region.level}`, { argument: 'input.regionCode' });
    }
    // ON CONFLICT rather than a unique-violation error: an error would abort the request's transaction.
    const [row] = await ctx.query(
      `INSERT INTO organization AS o (code, name, kind, region_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (code) DO NOTHING RETURNING ${COLUMNS}`,
      [input.code, name, input.kind, region.id],
    );
    if (!row) throw conflict(`an organization with code "${input.code}" exists already`);
    return toOrganization(row);
  },
};
