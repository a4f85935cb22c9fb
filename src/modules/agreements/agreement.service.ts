import { agreementInForce } from '../../access/observation-access';
import { requireMember, requireRole } from '../../access/permissions';
import { isMember, orgIdOf, Role } from '../../access/viewer';
import { inKeyOrder } from '../../graphql/batch';
import type { RequestContext } from '../../graphql/context';
import { badInput, conflict, forbidden, notFound, requiredText } from '../../graphql/errors';
import { codeList, resolveCodes } from '../series/series.service';
import { AgreementRead } from './agreement-read.entity';
import { DataSharingAgreement } from './agreement.entity';
import { AgreementParty, AgreementState, type ProposeAgreementInput } from './agreement.types';

/**
 * `effectiveNow` uses the same rule as the grants of src/access/observation-access.ts
 * (ACTIVE, valid_from ≤ current_date ≤ valid_to), so it says exactly whether the agreement opens
 * data at this moment.
 */
const COLUMNS = `a.id, a.provider_org_id AS "providerOrgId", a.recipient_org_id AS "recipientOrgId", a.indicator_ids AS "indicatorIds",
  a.area_codes AS "areaCodes", a.region_ids AS "regionIds", a.levels, a.breakdowns, a.detail, a.purpose, a.legal_basis AS "legalBasis",
  a.valid_from AS "validFrom", a.valid_to AS "validTo", a.state, a.proposed_by AS "proposedBy", a.proposed_by_org_id AS "proposedByOrgId",
  a.proposed_at AS "proposedAt", a.decided_by AS "decidedBy", a.decided_at AS "decidedAt", a.decision_reason AS "decisionReason",
  a.revoked_by AS "revokedBy", a.revoked_at AS "revokedAt", a.revoke_reason AS "revokeReason",
  ${agreementInForce('a')} AS "effectiveNow"`;
const toAgreement = (row: object): DataSharingAgreement => Object.assign(new DataSharingAgreement(), row);

/** An UPDATE of `data_sharing_agreement a` that returns the changed agreements. */
const changed = (update: string) => `${update} RETURNING ${COLUMNS}`;

const READ_COLUMNS = `r.id, r.agreement_id AS "agreementId", r.read_at AS "readAt", r.subject, r.organization_id AS "organizationId",
  r.indicator_ids AS "indicatorIds", r.region_ids AS "regionIds", r.cells, r.purpose`;

/** Largest page of the read log: a full page with its nested lists stays within the default query cost limit. */
const MAX_READS = 200;

/**
 * Data-sharing agreements (DESIGN §3) and their read log. Row-level security already limits
 * both tables to the two parties of an agreement; every statement here filters by party again,
 * so a missing policy alone would not leak a row. An agreement of other organizations behaves
 * like one that does not exist: absent, null, NOT_FOUND.
 *
 * Who may do what: either side proposes (editor or admin); the provider's admin approves or
 * rejects; an admin of either side revokes; only the provider lists the reads.
 */
export const AgreementService = {
  /** The viewer's agreements on the given side, newest proposal first; [] for the public. */
  async list(ctx: RequestContext, as: AgreementParty, state: AgreementState | null): Promise<DataSharingAgreement[]> {
    if (!isMember(ctx.viewer)) return [];
    const side = { PROVIDER: 'a.provider_org_id = $1', RECIPIENT: 'a.recipient_org_id = $1', EITHER: '$1 IN (a.provider_org_id, a.recipient_org_id)' }[as];
    const rows = await ctx.query(
      `SELECT ${COLUMNS} FROM data_sharing_agreement a
       WHERE ${side} AND ($2::text IS NULL OR a.state = $2)
       ORDER BY a.proposed_at DESC, a.id DESC`,
      [ctx.viewer.orgId, state],
    );
    return rows.map(toAgreement);
  },

  /** Batch function for `agreementsById`: key order, null where the viewer is no party (or no such id). */
  async byIds(ctx: RequestContext, ids: readonly number[]): Promise<Array<DataSharingAgreement | null>> {
    if (!isMember(ctx.viewer)) return ids.map(() => null);
    const rows: DataSharingAgreement[] = (
      await ctx.query(`SELECT ${COLUMNS} FROM data_sharing_agreement a WHERE a.id = ANY($1) AND $2 IN (a.provider_org_id, a.recipient_org_id)`, [ids, ctx.viewer.orgId])
    ).map(toAgreement);
    return inKeyOrder(ids, rows, (r) => r.id);
  },

  /**
   * The reads an agreement opened, newest first. Only the provider's organization lists them
   * (it is their data whose use is made visible): the recipient gets FORBIDDEN, anyone else
   * NOT_FOUND. `first` must be 1…200.
   */
  async reads(ctx: RequestContext, agreementId: number, first: number): Promise<AgreementRead[]> {
    if (first < 1 || first > MAX_READS) throw badInput(`"first" must be between 1 and ${MAX_READS}`, { argument: 'first' });
    const agreement = await ctx.loaders.agreementsById.load(agreementId);
    if (!agreement) throw notFound(`agreement ${agreementId}`);
    if (agreement.providerOrgId !== orgIdOf(ctx.viewer)) throw forbidden('only the providing organization lists the reads of an agreement');
    const rows = await ctx.query(
      `SELECT ${READ_COLUMNS} FROM agreement_read r JOIN data_sharing_agreement a ON a.id = r.agreement_id
       WHERE r.agreement_id = $1 AND a.provider_org_id = $2
       ORDER BY r.read_at DESC, r.id DESC LIMIT $3`,
      [agreementId, agreement.providerOrgId, first],
    );
    return rows.map((row: object) => Object.assign(new AgreementRead(), row));
  },

  /**
   * A new agreement in state PROPOSED. The viewer (editor or admin) must belong to one of the two
   * organizations. Scope codes are checked against the catalogue and the regions valid today;
   * unknown ones are BAD_USER_INPUT naming them.
   */
  async propose(ctx: RequestContext, input: ProposeAgreementInput): Promise<DataSharingAgreement> {
    const member = requireRole(ctx, Role.EDITOR);
    const purpose = requiredText('purpose', input.purpose);
    const legalBasis = requiredText('legalBasis', input.legalBasis);
    const list = (argument: string, codes: string[] | null | undefined) => (codes === undefined || codes === null ? null : codeList(ctx, argument, codes));
    const indicatorCodes = list('indicatorCodes', input.indicatorCodes);
    const areaCodes = list('areaCodes', input.areaCodes);
    const regionCodes = list('regionCodes', input.regionCodes);
    const levels = list('levels', input.levels);
    const breakdowns = list('breakdowns', input.breakdowns);
    if (!indicatorCodes && !areaCodes) throw badInput('give "indicatorCodes", "areaCodes" or both: an agreement must name the data it covers', { argument: 'indicatorCodes' });
    if (input.providerCode === input.recipientCode) throw badInput('provider and recipient must be different organizations', { argument: 'recipientCode' });
    if (input.validFrom && input.validTo && input.validFrom > input.validTo) throw badInput(`"validFrom" (${input.validFrom}) is after "validTo" (${input.validTo})`, { argument: 'validFrom' });

    const orgRows: Array<{ id: number; code: string }> = await ctx.query(`SELECT id, code FROM organization WHERE code = ANY($1)`, [[input.providerCode, input.recipientCode]]);
    const orgsByCode = (codes: string[]) => codes.map((c) => orgRows.find((o) => o.code === c) ?? null);
    const [provider] = await resolveCodes('providerCode', [input.providerCode], orgsByCode);
    const [recipient] = await resolveCodes('recipientCode', [input.recipientCode], orgsByCode);
    const indicators = indicatorCodes && (await resolveCodes('indicatorCodes', indicatorCodes, (c) => ctx.loaders.indicatorsByCode.loadMany(c)));
    if (areaCodes) await resolveCodes('areaCodes', areaCodes, (c) => ctx.loaders.areasByCode.loadMany(c));
    const regions = regionCodes && (await resolveCodes('regionCodes', regionCodes, (c) => ctx.loaders.regionsByCode.loadMany(c)));
    if (member.orgId !== provider.id && member.orgId !== recipient.id) throw forbidden('you can only propose agreements to which your own organization is a party');
    // Without validFrom the agreement starts today (the database's date, as for validity checks).
    if (!input.validFrom && input.validTo) {
      const [{ today }] = await ctx.query(`SELECT current_date::text AS today`);
      if (today > input.validTo) throw badInput(`"validTo" (${input.validTo}) is before today, where the agreement would start`, { argument: 'validTo' });
    }

    const [row] = await ctx.query(
      `INSERT INTO data_sharing_agreement AS a (provider_org_id, recipient_org_id, indicator_ids, area_codes, region_ids, levels, breakdowns,
         detail, purpose, legal_basis, valid_from, valid_to, state, proposed_by, proposed_by_org_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::date, current_date), $12, '${AgreementState.PROPOSED}', $13, $14)
       RETURNING ${COLUMNS}`,
      [
        provider.id,
        recipient.id,
        indicators?.map((i) => i.id) ?? null,
        areaCodes,
        regions?.map((r) => r.id) ?? null,
        levels,
        breakdowns,
        input.detail,
        purpose,
        legalBasis,
        input.validFrom ?? null,
        input.validTo ?? null,
        member.subject,
        member.orgId,
      ],
    );
    return toAgreement(row);
  },

  /** PROPOSED → ACTIVE, by an admin of the provider; `reason` is optional (blank counts as none). */
  approve(ctx: RequestContext, id: number, reason: string | null): Promise<DataSharingAgreement> {
    return decide(ctx, id, AgreementState.ACTIVE, reason?.trim() || null);
  },

  /** PROPOSED → REJECTED, by an admin of the provider, with a reason. */
  reject(ctx: RequestContext, id: number, reason: string): Promise<DataSharingAgreement> {
    return decide(ctx, id, AgreementState.REJECTED, requiredText('reason', reason));
  },

  /** PROPOSED or ACTIVE → REVOKED, by an admin of either side, with a reason; the agreement stops opening data at once. */
  async revoke(ctx: RequestContext, id: number, reason: string): Promise<DataSharingAgreement> {
    const why = requiredText('reason', reason);
    const member = requireMember(ctx);
    const agreement = await visibleForChange(ctx, id);
    requireRole(ctx, Role.ADMIN);
    const [row] = await ctx.query(
      changed(`UPDATE data_sharing_agreement a SET state = '${AgreementState.REVOKED}', revoked_by = $2, revoked_at = now(), revoke_reason = $3
       WHERE a.id = $1 AND a.state IN ('${AgreementState.PROPOSED}', '${AgreementState.ACTIVE}') AND $4 IN (a.provider_org_id, a.recipient_org_id)`),
      [id, member.subject, why, member.orgId],
    );
    if (!row) throw conflict(`agreement ${id} is ${agreement.state.toLowerCase()}; only a proposed or active agreement can be revoked`);
    return toAgreement(row);
  },
};

/** The agreement if the viewer's organization is a party, else NOT_FOUND (first check of every change). */
async function visibleForChange(ctx: RequestContext, id: number): Promise<DataSharingAgreement> {
  const agreement = await ctx.loaders.agreementsById.load(id);
  if (!agreement) throw notFound(`agreement ${id}`);
  return agreement;
}

/** Approve or reject: NOT_FOUND for non-parties, FORBIDDEN unless the provider's admin, CONFLICT unless PROPOSED. */
async function decide(ctx: RequestContext, id: number, to: AgreementState.ACTIVE | AgreementState.REJECTED, reason: string | null): Promise<DataSharingAgreement> {
  const member = requireMember(ctx);
  const agreement = await visibleForChange(ctx, id);
  if (agreement.providerOrgId !== member.orgId) throw forbidden("only the provider's admins approve or reject an agreement");
  requireRole(ctx, Role.ADMIN);
  // The state condition in the UPDATE itself: of two concurrent decisions only one wins.
  const [row] = await ctx.query(
    changed(`UPDATE data_sharing_agreement a SET state = $2, decided_by = $3, decided_at = now(), decision_reason = $4
     WHERE a.id = $1 AND a.state = '${AgreementState.PROPOSED}' AND a.provider_org_id = $5`),
    [id, to, member.subject, reason, member.orgId],
  );
  if (!row) throw conflict(`agreement ${id} is not proposed (it is ${agreement.state.toLowerCase()}); only a proposal can be approved or rejected`);
  return toAgreement(row);
}
