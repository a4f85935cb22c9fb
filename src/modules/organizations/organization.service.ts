import type { RequestContext } from '../../graphql/context';
import { inKeyOrder } from '../../graphql/batch';
import { Organization } from './organization.entity';

const COLUMNS = `o.id, o.code, o.name, o.kind, o.region_id AS "regionId"`;
const toOrganization = (row: object): Organization => Object.assign(new Organization(), row);

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
};
