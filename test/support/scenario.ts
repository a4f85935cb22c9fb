import type { DataSource } from 'typeorm';

/*
 * Builders for scenario data (house style §11): indicators, cells and agreements written through
 * the owner connection (the migrating user, which row-level security lets through), named by
 * codes rather than ids so that a test reads like its scenario. They never touch the demo rows.
 */

/** An indicator of a test scenario, in education area G; its id. */
export async function insertIndicator(
  db: DataSource,
  spec: { code: string; owner: string; visibility: 'PUBLIC' | 'PARTNERS' | 'OWNER'; aggregation?: 'SUM' | 'RATIO' },
): Promise<number> {
  const [row] = await db.query(
    `INSERT INTO indicator (code, name, name_en, definition, unit, decimals, area_code, period_type, aggregation, levels, source, owner_org_id, visibility)
     SELECT $1::text, 'Testkennzahl ' || $1::text, 'Test indicator ' || $1::text, 'Szenario eines Tests', '%', 1, 'G', 'YEAR', $2, '{LAND,KREIS}', 'test scenario', o.id, $3
     FROM organization o WHERE o.code = $4
     RETURNING id`,
    [spec.code, spec.aggregation ?? 'RATIO', spec.visibility, spec.owner],
  );
  if (!row) throw new Error(`unknown organization ${spec.owner}`);
  return row.id;
}

export interface CellSpec {
  indicator: string;
  /** Official region code, e.g. `15002`. */
  region: string;
  /** A calendar year, e.g. `2023`. */
  period: string;
  owner: string;
  /** `embargoed`: released, but effective only 30 days from now. */
  state: 'DRAFT' | 'RELEASED' | 'embargoed';
  value: number | null;
  numerator?: number | null;
  denominator?: number | null;
  status?: string;
  symbol?: string;
  suppressed?: boolean;
  sourceCleared?: boolean;
  internalNote?: string | null;
  uploadedBy?: string | null;
  releasedBy?: string | null;
}

/** One current cell (total breakdown) of a scenario; its id. */
export async function insertCell(db: DataSource, c: CellSpec): Promise<number> {
  const released = c.state !== 'DRAFT';
  const [row] = await db.query(
    `INSERT INTO observation (indicator_id, region_id, period, period_start, value, numerator, denominator, status, symbol, owner_org_id,
       release_state, released_at, released_by, suppressed, source_cleared, internal_note, uploaded_by)
     SELECT i.id, r.id, $3::text, make_date($3::text::int, 1, 1), $4, $5, $6, $7, $8, o.id,
       $9, CASE $10::text WHEN 'RELEASED' THEN now() - interval '1 day' WHEN 'embargoed' THEN now() + interval '30 days' END, $11, $12, $13, $14, $15
     FROM indicator i, region r, organization o
     WHERE i.code = $1 AND r.code = $2 AND r.valid_to IS NULL AND o.code = $16
     RETURNING id`,
    [
      c.indicator,
      c.region,
      c.period,
      c.value,
      c.numerator ?? null,
      c.denominator ?? null,
      c.status ?? 'A',
      c.symbol ?? '',
      released ? 'RELEASED' : 'DRAFT',
      c.state,
      released ? (c.releasedBy ?? null) : null,
      c.suppressed ?? false,
      c.sourceCleared ?? false,
      c.internalNote ?? null,
      c.uploadedBy ?? null,
      c.owner,
    ],
  );
  if (!row) throw new Error(`unknown indicator, region or organization in ${JSON.stringify(c)}`);
  return row.id;
}

/** A data-sharing agreement from `provider` to `recipient` over indicators; its id. */
export async function insertAgreement(
  db: DataSource,
  a: {
    provider: string;
    recipient: string;
    indicators: string[];
    detail: 'COUNTS' | 'RATES_DISCLOSURE_CONTROLLED' | 'AGGREGATES_ONLY';
    state?: 'PROPOSED' | 'ACTIVE' | 'REJECTED' | 'REVOKED';
    /** Days from today; negative for an agreement that has expired. */
    validToDays?: number;
  },
): Promise<number> {
  const [row] = await db.query(
    `INSERT INTO data_sharing_agreement (provider_org_id, recipient_org_id, indicator_ids, detail, purpose, legal_basis, valid_from, valid_to, state, proposed_by, proposed_by_org_id)
     SELECT p.id, r.id, (SELECT array_agg(id ORDER BY id) FROM indicator WHERE code = ANY($3)), $4, 'Test: Bildungsbericht', 'Test: § 3 Kooperationsvereinbarung',
       current_date - 365, CASE WHEN $5::int IS NULL THEN NULL ELSE current_date + $5::int END, $6, 'test', p.id
     FROM organization p, organization r WHERE p.code = $1 AND r.code = $2
     RETURNING id`,
    [a.provider, a.recipient, a.indicators, a.detail, a.validToDays ?? null, a.state ?? 'ACTIVE'],
  );
  if (!row) throw new Error(`unknown organization in ${JSON.stringify(a)}`);
  return row.id;
}

/** Organization id by code. */
export async function orgId(db: DataSource, code: string): Promise<number> {
  const [row] = await db.query(`SELECT id FROM organization WHERE code = $1`, [code]);
  if (!row) throw new Error(`unknown organization ${code}`);
  return row.id;
}
