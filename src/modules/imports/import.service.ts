import { createHash } from 'node:crypto';
import { requireRole } from '../../access/permissions';
import { lockIndicators, recomputeSuppression } from '../../access/suppression.service';
import { Role, type Member } from '../../access/viewer';
import type { RequestContext } from '../../graphql/context';
import { badInput, conflict } from '../../graphql/errors';
import { definitionVersionJoin } from '../indicators/indicator.service';
import { ReleaseService } from '../releases/release.service';
import type { RawRecord, RawSource } from './csv-source';
import { COLUMN_NAMES, parseRowsSql, type ImportFormat, type RawLayout, type RowColumn, type RowError } from './import-row';
import { ImportReport, ImportStatus, type ImportRowError, type ImportRowInput } from './import.types';

/** Most row errors a report lists (`errorCount` has them all). */
export const MAX_REPORTED_ERRORS = 1000;
/** Namespace of the advisory locks on idempotency keys (the indicators' locks use another). */
const KEY_LOCK_NAMESPACE = 0x696d7074; // "impt"
/** How long one statement of an upload may run (README "Uploads"). */
const UPLOAD_STATEMENT_TIMEOUT = '10min';
/** Longest idempotency key accepted. */
const MAX_KEY = 200;

/** An upload to run: its rows (streamed, as text fields), problems of the file as a whole, and the hash of its payload. */
export interface ImportSource extends RawSource {
  format: ImportFormat;
}

export interface ImportOptions {
  dryRun: boolean;
  release: boolean;
  releaseReason?: string | null;
  idempotencyKey?: string | null;
}

/** The staging table's columns: what parseRowsSql makes of the raw fields. */
const STAGE_COLUMNS: Array<[name: string, type: string]> = [
  ['row_no', 'integer'],
  ['indicator_code', 'text'],
  ['region_code', 'text'],
  ['period', 'text'],
  ['period_start', 'date'],
  ['period_end', 'date'],
  ['period_type', 'text'],
  ['breakdown_dimension', 'text'],
  ['breakdown_code', 'text'],
  ['value', 'double precision'],
  ['numerator', 'double precision'],
  ['denominator', 'double precision'],
  ['counts_given', 'boolean'],
  ['status', 'text'],
  ['status_from_symbol', 'text'],
  ['symbol', 'text'],
  ['version', 'integer'],
  ['rounded', 'boolean'],
  ['error_code', 'text'],
  ['error_column', 'text'],
  ['error_message', 'text'],
];

/**
 * The one upload pipeline (issue 5; README "Uploads"), behind `importObservations`, `POST /import`
 * and the CLI. In the request's transaction, as the request role under row-level security:
 *
 * 1. Stage: the rows stream as text fields into a temporary table — a CSV body straight into
 *    COPY on a server, batched `INSERT … SELECT unnest(…)` otherwise — and one statement parses
 *    them (period, numbers, symbol; src/modules/imports/import-row.ts). Memory holds one chunk
 *    or batch, whatever the size.
 * 2. Idempotency: with a key, a committed upload of the same uploader with that key answers with
 *    its stored report (same payload hash) or CONFLICT (another payload). The key's advisory lock
 *    makes a concurrent twin wait and then replay.
 * 3. Lock the upload's indicators (the lock releases and withdrawals take too), then resolve
 *    every row against the catalogue, the uploader's territory and the current cells in one
 *    statement, and list every problem with one statement per kind of check (set-based).
 * 4. Any error: nothing is written; the report and the upload record (REJECTED) are. Otherwise
 *    the changed cells get a new version (the current one is closed with `superseded_at`; both
 *    carry the same instant), unchanged rows write nothing, and with `release` the cells are
 *    released and recorded as releases (ReleaseService), then the suppression pattern is
 *    recomputed. A dry run does all of it and rolls it back to a savepoint.
 * The audit trail is written by triggers (src/db/migrations/1764200000000-imports.ts).
 */
export const ImportService = {
  async run(ctx: RequestContext, source: ImportSource, options: ImportOptions): Promise<ImportReport> {
    const member = requireRole(ctx, Role.EDITOR);
    const key = options.idempotencyKey?.trim() || null;
    if (key !== null && key.length > MAX_KEY) throw badInput(`the idempotency key may have at most ${MAX_KEY} characters`, { argument: 'idempotencyKey' });
    const reason = options.releaseReason?.trim() || null;

    // A key already used: read (and hash) the payload without staging it, then replay or refuse.
    if (key !== null) {
      const stored = await storedReport(ctx, member, key);
      if (stored) {
        await source.drain();
        return replay(stored, payloadHash(source, options));
      }
    }

    // A large upload's set-based statements each take seconds (a million rows: some 10 s on two
    // cores), beyond DATABASE_STATEMENT_TIMEOUT meant for queries; this transaction only.
    await ctx.query(`SET LOCAL statement_timeout = '${UPLOAD_STATEMENT_TIMEOUT}'`);
    // The upload's id first: the audit trigger records it with every change (`kobi.import_id`).
    const [{ id: importId }] = await ctx.query(`SELECT set_config('kobi.import_id', nextval(pg_get_serial_sequence('data_import', 'id'))::text, true) AS id`);
    await ctx.query(
      `CREATE TEMP TABLE import_stage (${STAGE_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')}) ON COMMIT DROP;
       CREATE TEMP TABLE import_error (row_no integer NOT NULL, seq smallint NOT NULL, column_name text, code text NOT NULL, message text NOT NULL) ON COMMIT DROP`,
    );
    const rows = await stage(ctx, source);

    if (key !== null) {
      // Concurrent requests with one key: the second waits here until the first has committed
      // (or rolled back), then finds its report.
      await ctx.query(`SELECT pg_advisory_xact_lock($1::int, hashtext($2))`, [KEY_LOCK_NAMESPACE, `${member.orgId}|${member.subject}|${key}`]);
      const stored = await storedReport(ctx, member, key);
      if (stored) return replay(stored, payloadHash(source, options));
    }
    const hash = payloadHash(source, options);
    const record = (report: ImportReport) =>
      ctx.query(
        `INSERT INTO data_import (id, organization_id, subject, format, status, release_requested, idempotency_key, payload_hash, rows, inserted, revised, unchanged, released, error_count, report)
         VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)`,
        [importId, member.orgId, member.subject, source.format, report.status, options.release, report.status === ImportStatus.COMMITTED ? key : null, hash, report.rows,
          report.inserted, report.revised, report.unchanged, report.released, report.errorCount, JSON.stringify(report)],
      );

    if (source.problems.length) {
      const report = emptyReport(importId, ImportStatus.REJECTED, rows);
      report.errors = source.problems.map((p) => rowError(source.format, p.row, p.column, p.code, p.message));
      report.errorCount = report.errors.length;
      await record(report);
      return report;
    }

    await ctx.query('ANALYZE import_stage');
    const indicatorRows: Array<{ id: number }> = await ctx.query(
      `SELECT i.id FROM indicator i WHERE i.code IN (SELECT DISTINCT indicator_code FROM import_stage)`,
    );
    const indicatorIds = await lockIndicators(ctx, indicatorRows.map((r) => r.id));
    // One instant for the whole upload, taken under the locks: later than every version it can
    // close (their writers committed before we got the locks), so recorded_at/superseded_at
    // stay ordered per cell however uploads interleave.
    const [{ t }] = await ctx.query(`SELECT clock_timestamp() AS t`);
    await resolve(ctx, member, options.release);
    await check(ctx, options.release);

    const counts = await countActions(ctx, options.release);
    const report = emptyReport(importId, ImportStatus.REJECTED, rows);
    Object.assign(report, counts);
    const errors = await reportedErrors(ctx, source.format);
    if (errors.count) {
      Object.assign(report, { inserted: 0, revised: 0, unchanged: 0, released: 0, written: 0, errorCount: errors.count, errors: errors.list });
      await record(report);
      return report;
    }

    await ctx.query('SAVEPOINT import_apply');
    const collisions = await apply(ctx, member, t, options.release, reason ?? `Upload ${importId}`, indicatorIds);
    if (collisions) {
      await ctx.query('ROLLBACK TO SAVEPOINT import_apply');
      const list = collisions.list.map((e) => rowError(source.format, e.row, e.column, e.code, e.message));
      Object.assign(report, { inserted: 0, revised: 0, unchanged: 0, released: 0, written: 0, errorCount: collisions.count, errors: list });
      await record(report);
      return report;
    }
    if (options.dryRun) {
      await ctx.query('ROLLBACK TO SAVEPOINT import_apply');
      return { ...report, importId: null, status: ImportStatus.DRY_RUN };
    }
    report.status = ImportStatus.COMMITTED;
    await record(report);
    return report;
  },
};

/** The stored report of the uploader's committed upload with this key, and its payload hash. */
async function storedReport(ctx: RequestContext, member: Member, key: string): Promise<{ report: ImportReport; hash: string } | null> {
  const [row] = await ctx.query(
    `SELECT report, payload_hash FROM data_import WHERE organization_id = $1 AND subject = $2 AND idempotency_key = $3 AND status = 'COMMITTED'`,
    [member.orgId, member.subject, key],
  );
  return row ? { report: row.report, hash: row.payload_hash } : null;
}

/** The payload's hash with the options that change what it writes (the same rows released or not are different uploads). */
function payloadHash(source: ImportSource, options: ImportOptions): string {
  return createHash('sha256').update(`${source.hash()}|release=${options.release}|reason=${options.releaseReason ?? ''}`).digest('hex');
}

function replay(stored: { report: ImportReport; hash: string }, hash: string): ImportReport {
  if (stored.hash !== hash) {
    throw conflict('this idempotency key was used for another upload (other rows or options); use a new key for a new upload');
  }
  return { ...stored.report, replayed: true };
}

function emptyReport(importId: string | null, status: ImportStatus, rows: number): ImportReport {
  return Object.assign(new ImportReport(), { importId, status, replayed: false, rows, inserted: 0, revised: 0, unchanged: 0, released: 0, written: 0, errorCount: 0, errors: [] });
}

function rowError(format: ImportFormat, row: number, column: RowColumn | null, code: string, message: string): ImportRowError {
  return { row, column: column === null || column === 'file' ? null : COLUMN_NAMES[format][column], code: code as ImportRowError['code'], message };
}

/** Streams the rows into `import_raw` and parses them into `import_stage`; returns how many. */
async function stage(ctx: RequestContext, source: ImportSource): Promise<number> {
  const layout = await source.open();
  if (!layout) return 0;
  const fields = Array.from({ length: layout.width }, (_, f) => `c${f + 1}`);
  await ctx.query(`CREATE TEMP TABLE import_raw (row_no integer NOT NULL, width integer, ${fields.map((c) => `${c} text`).join(', ')}) ON COMMIT DROP`);
  let count = 0;
  if (ctx.config.stageWithCopy && source.copy) {
    count = await ctx.tx.copyFrom(`COPY import_raw FROM STDIN (FORMAT csv, DELIMITER '${source.copy.delimiter}')`, source.copy.stream());
  } else {
    const sql = `INSERT INTO import_raw SELECT * FROM unnest($1::int[], $2::int[], ${fields.map((_, f) => `$${f + 3}::text[]`).join(', ')})`;
    for await (const batch of source.batches()) {
      await ctx.query(sql, [batch.map((r) => r.row), batch.map((r) => r.width), ...fields.map((_, f) => batch.map((r: RawRecord) => r.fields[f] ?? null))]);
      count += batch.length;
    }
  }
  if (!source.problems.length) await ctx.query(parseRowsSql(layout));
  return count;
}

/**
 * One statement: every staged row with its indicator, region, whether the region is in the
 * uploader's territory (its organization's region and everything below), the cell's current
 * version (as far as row-level security shows it: one's own, and others' released cells), and
 * what the row would do: INSERT a first version, REVISE (a new version), leave it UNCHANGED, or
 * RELEASE an unchanged draft (with `release`).
 */
async function resolve(ctx: RequestContext, member: Member, release: boolean): Promise<void> {
  await ctx.query(
    `CREATE TEMP TABLE import_territory ON COMMIT DROP AS
       WITH RECURSIVE t AS (SELECT region_id AS id FROM organization WHERE id = $1
                            UNION SELECT r.id FROM region r JOIN t ON r.parent_id = t.id)
       SELECT id FROM t`,
    [member.orgId],
  );
  await ctx.query(
    `CREATE TEMP TABLE import_cell ON COMMIT DROP AS
     SELECT y.*,
       CASE WHEN y.current_id IS NULL THEN 'INSERT'
            WHEN y.same_value AND y.symbol = y.current_symbol AND (y.status IS NULL OR y.status = y.current_status)
                 AND (NOT y.counts_given OR (y.numerator IS NOT DISTINCT FROM y.current_numerator AND y.denominator IS NOT DISTINCT FROM y.current_denominator))
              THEN CASE WHEN $1::boolean AND y.current_release = 'DRAFT' THEN 'RELEASE' ELSE 'UNCHANGED' END
            ELSE 'REVISE' END AS action,
       -- A released cell revised (with release) is a berichtigte Zahl, unless the row says more than a plain value.
       (y.current_release = 'RELEASED' AND $1::boolean AND coalesce(y.status, y.status_from_symbol) = 'A' AND y.symbol = '') AS revised_mark
     FROM (
       SELECT s.*, i.id AS indicator_id, i.period_type AS indicator_period_type, i.valid_min, i.valid_max, i.breakdowns, i.decimals,
         i.unit, i.aggregation, coalesce(dv.version, i.version) AS definition_version, r.id AS region_id, w.id IS NOT NULL AS in_territory,
         c.id AS current_id, c.version AS current_version, c.value AS current_value, c.numerator AS current_numerator,
         c.denominator AS current_denominator, c.status AS current_status, c.symbol AS current_symbol, c.owner_org_id AS current_owner,
         c.release_state AS current_release, c.source_cleared AS current_source_cleared, c.source_note AS current_source_note,
         c.internal_note AS current_internal_note,
         CASE WHEN s.rounded AND s.value IS NOT NULL AND c.value IS NOT NULL THEN round(c.value::numeric, i.decimals) = s.value::numeric
              ELSE c.value IS NOT DISTINCT FROM s.value END AS same_value
       FROM import_stage s
         LEFT JOIN indicator i ON i.code = s.indicator_code
         ${definitionVersionJoin('dv', 'i.id', 's.period_start')}
         LEFT JOIN region r ON r.code = s.region_code AND r.valid_to IS NULL
         LEFT JOIN import_territory w ON w.id = r.id
         LEFT JOIN observation c ON c.indicator_id = i.id AND c.region_id = r.id AND c.breakdown_dimension = s.breakdown_dimension
           AND c.breakdown_code = s.breakdown_code AND c.period_start = s.period_start AND c.superseded_at IS NULL
       WHERE s.error_code IS DISTINCT FROM 'MALFORMED_CSV'
     ) y`,
    [release],
  );
}

/**
 * The checks over `import_cell x` ($1 the uploader's organization, $2 whether release was asked
 * for): sequence (the order within a row), condition, logical column, code, message (SQL).
 */
const CELL_CHECKS: Array<[seq: number, condition: string, column: RowColumn, code: string, message: string]> = [
  [1, 'x.indicator_id IS NULL', 'indicator', 'UNKNOWN_INDICATOR', `format('no indicator has the code "%s"', x.indicator_code)`],
  [2, 'x.region_id IS NULL', 'region', 'UNKNOWN_REGION', `format('no current region has the code "%s"', x.region_code)`],
  [
    3,
    `x.indicator_id IS NOT NULL AND x.error_code IS NULL AND x.breakdown_dimension <> '' AND NOT (x.breakdown_dimension = ANY (x.breakdowns))`,
    'breakdown_dimension',
    'UNKNOWN_BREAKDOWN',
    `format('indicator %s is not broken down by %s', x.indicator_code, x.breakdown_dimension)`,
  ],
  [
    4,
    'x.indicator_id IS NOT NULL AND x.period_type IS NOT NULL AND x.period_type <> x.indicator_period_type',
    'period',
    'PERIOD_TYPE_MISMATCH',
    `format('indicator %s has periods of type %s; "%s" is a %s', x.indicator_code, x.indicator_period_type, x.period, x.period_type)`,
  ],
  [
    5,
    'x.value IS NOT NULL AND x.error_code IS NULL AND (coalesce(x.value < x.valid_min, false) OR coalesce(x.value > x.valid_max, false))',
    'value',
    'VALUE_OUT_OF_RANGE',
    `format('%s lies outside the valid range of %s (%s to %s)', x.value, x.indicator_code, coalesce(x.valid_min::text, '…'), coalesce(x.valid_max::text, '…'))`,
  ],
  [
    6,
    // The rate in the indicator's unit: % of, per 1000, or a plain ratio (e.g. children per FTE), within its rounding.
    `x.aggregation = 'RATIO' AND x.error_code IS NULL AND x.value IS NOT NULL AND x.numerator IS NOT NULL AND x.denominator IS NOT NULL
       AND (x.denominator = 0 OR abs(x.value - x.numerator / x.denominator * (CASE WHEN x.unit = '%' THEN 100 WHEN x.unit ~ '1\\.?000' THEN 1000 ELSE 1 END))
            > 0.5 * 10 ^ (-x.decimals) + 1e-9 * abs(x.value))`,
    'value',
    'RATE_MISMATCH',
    `format('%s ÷ %s does not give %s (%s)', x.numerator, x.denominator, x.value, x.unit)`,
  ],
  [
    7,
    'x.region_id IS NOT NULL AND (NOT x.in_territory OR (x.current_owner IS NOT NULL AND x.current_owner <> $1))',
    'region',
    'REGION_NOT_WRITABLE',
    `format('your organization may not write this cell of region %s (outside its territory, or kept by another organization)', x.region_code)`,
  ],
  [
    8,
    'x.version IS NOT NULL AND x.indicator_id IS NOT NULL AND x.region_id IS NOT NULL AND x.version IS DISTINCT FROM x.current_version',
    'version',
    'CONFLICT',
    `CASE WHEN x.current_version IS NULL THEN format('the row was edited from version %s, but the cell has none (yet)', x.version)
          ELSE format('the row was edited from version %s, but the cell is at version %s now: export it again and redo the change', x.version, x.current_version) END`,
  ],
  [
    9,
    `x.action = 'REVISE' AND x.current_release = 'RELEASED' AND NOT $2::boolean`,
    'value',
    'REVISION_NEEDS_RELEASE',
    `'the cell is released: a new value must be released with the upload (release), or the release withdrawn first'`,
  ],
];

/** Every problem of every row, one set-based statement per kind, into `import_error`. */
async function check(ctx: RequestContext, release: boolean): Promise<void> {
  await ctx.query(
    `INSERT INTO import_error (row_no, seq, column_name, code, message)
     SELECT s.row_no, 0, s.error_column, s.error_code, s.error_message FROM import_stage s WHERE s.error_code IS NOT NULL`,
  );
  // Checks that need the catalogue, the territory and the current cell; the row-local ones
  // (seq 0) came with the staging. A row may fail several. The conditions are cheap booleans and
  // filter first; messages are formatted only for the rows that fail.
  const failing = CELL_CHECKS.map(([, condition]) => `(${condition})`).join(' OR ');
  const values = CELL_CHECKS.map(([seq, condition, column, code, message]) => `(${seq}, ${condition}, '${column}', '${code}', ${message})`).join(',\n       ');
  await ctx.query(
    `INSERT INTO import_error (row_no, seq, column_name, code, message)
     SELECT x.row_no, e.seq, e.col, e.code, e.msg
     FROM (SELECT * FROM import_cell x WHERE ${failing}) x CROSS JOIN LATERAL (VALUES
       ${values}
     ) AS e(seq, failed, col, code, msg)
     WHERE e.failed`,
    [ctx.viewer.kind === 'member' ? ctx.viewer.orgId : -1, release],
  );
  // A cell twice in one upload: every repetition after its first row.
  await ctx.query(
    `INSERT INTO import_error (row_no, seq, column_name, code, message)
     SELECT d.row_no, 10, 'period', 'DUPLICATE_CELL', format('the same cell as row %s', d.first_row)
     FROM (SELECT s.row_no, min(s.row_no) OVER (PARTITION BY s.indicator_code, s.region_code, s.breakdown_dimension, s.breakdown_code, s.period_start) AS first_row
           FROM import_stage s WHERE s.period_start IS NOT NULL) d
     WHERE d.row_no <> d.first_row`,
  );
}

async function countActions(ctx: RequestContext, release: boolean): Promise<Pick<ImportReport, 'inserted' | 'revised' | 'unchanged' | 'released' | 'written'>> {
  const [c] = await ctx.query(
    `SELECT count(*) FILTER (WHERE action = 'INSERT')::int AS inserted, count(*) FILTER (WHERE action = 'REVISE')::int AS revised,
       count(*) FILTER (WHERE action IN ('UNCHANGED', 'RELEASE'))::int AS unchanged, count(*) FILTER (WHERE action = 'RELEASE')::int AS released_drafts
     FROM import_cell`,
  );
  const written = c.inserted + c.revised;
  return { inserted: c.inserted, revised: c.revised, unchanged: c.unchanged, released: release ? written + c.released_drafts : 0, written };
}

async function reportedErrors(ctx: RequestContext, format: ImportFormat): Promise<{ count: number; list: ImportRowError[] }> {
  const [{ n }] = await ctx.query(`SELECT count(*)::int AS n FROM import_error`);
  if (!n) return { count: 0, list: [] };
  const rows: Array<{ row_no: number; column_name: RowColumn | null; code: string; message: string }> = await ctx.query(
    `SELECT row_no, column_name, code, message FROM import_error ORDER BY row_no, seq LIMIT ${MAX_REPORTED_ERRORS}`,
  );
  return { count: n, list: rows.map((r) => rowError(format, r.row_no, r.column_name, r.code, r.message)) };
}

/**
 * Writes a checked upload: closes the current versions of revised cells and inserts the new
 * versions (one statement each), releases unchanged drafts and records the releases when asked.
 * When a cell collides with a current version that row-level security hid (another
 * organization's draft), returns those rows as REGION_NOT_WRITABLE errors (count and the first
 * ones) for the caller to roll back and report; null when all was written.
 */
async function apply(ctx: RequestContext, member: Member, t: Date, release: boolean, reason: string, indicatorIds: number[]): Promise<{ count: number; list: Array<RowError & { row: number }> } | null> {
  await ctx.query(`UPDATE observation o SET superseded_at = $1 FROM import_cell x WHERE x.action = 'REVISE' AND o.id = x.current_id`, [t]);
  const insert = (onConflict: string) =>
    `INSERT INTO observation AS o (indicator_id, region_id, period, period_start, breakdown_dimension, breakdown_code, value, numerator, denominator,
       status, symbol, owner_org_id, release_state, released_at, released_by, version, definition_version, recorded_at, uploaded_by, previous_id,
       source_cleared, source_note, internal_note)
     SELECT x.indicator_id, x.region_id, x.period, x.period_start, x.breakdown_dimension, x.breakdown_code,
       CASE WHEN x.same_value THEN x.current_value ELSE x.value END,
       CASE WHEN x.counts_given THEN x.numerator WHEN x.same_value THEN x.current_numerator END,
       CASE WHEN x.counts_given THEN x.denominator WHEN x.same_value THEN x.current_denominator END,
       CASE WHEN x.revised_mark THEN 'R' ELSE coalesce(x.status, CASE WHEN x.symbol = x.current_symbol THEN x.current_status END, x.status_from_symbol) END,
       CASE WHEN x.revised_mark THEN 'r' ELSE x.symbol END,
       $2, CASE WHEN $3 THEN 'RELEASED' ELSE 'DRAFT' END, CASE WHEN $3 THEN $1::timestamptz END, CASE WHEN $3 THEN $4 END,
       coalesce(x.current_version, 0) + 1, x.definition_version, $1, $4, x.current_id,
       coalesce(x.current_source_cleared, false), x.current_source_note, x.current_internal_note
     FROM import_cell x WHERE x.action IN ('INSERT', 'REVISE') ${onConflict}`;
  const params = [t, member.orgId, release, member.subject];
  // A plain INSERT first (the speculative insertion of ON CONFLICT costs a third more); it can
  // only collide with a current version that row-level security hid from the checks.
  await ctx.query('SAVEPOINT import_insert');
  try {
    await ctx.query(insert(''), params);
  } catch (err) {
    if ((err as { driverError?: { code?: string } }).driverError?.code !== '23505') throw err;
    await ctx.query('ROLLBACK TO SAVEPOINT import_insert');
    await ctx.query(insert('ON CONFLICT (indicator_id, region_id, breakdown_dimension, breakdown_code, period_start) WHERE superseded_at IS NULL DO NOTHING'), params);
    // The rows that found their cell taken; read before the caller rolls the upload back.
    const taken: Array<{ row_no: number; region_code: string; n: number }> = await ctx.query(
      `SELECT x.row_no, x.region_code, count(*) OVER ()::int AS n
       FROM import_cell x
       WHERE x.action = 'INSERT' AND NOT EXISTS (
         SELECT 1 FROM observation o WHERE o.indicator_id = x.indicator_id AND o.region_id = x.region_id AND o.breakdown_dimension = x.breakdown_dimension
           AND o.breakdown_code = x.breakdown_code AND o.period_start = x.period_start AND o.superseded_at IS NULL AND o.recorded_at = $1 AND o.owner_org_id = $2)
       ORDER BY x.row_no LIMIT ${MAX_REPORTED_ERRORS}`,
      [t, member.orgId],
    );
    return {
      count: taken[0]?.n ?? 0,
      list: taken.map((r) => ({ row: r.row_no, column: 'region', code: 'REGION_NOT_WRITABLE', message: `your organization may not write this cell of region ${r.region_code} (kept by another organization)` })),
    };
  }
  if (release) {
    await ctx.query(
      `UPDATE observation o SET release_state = 'RELEASED', released_at = $1, released_by = $2 FROM import_cell x WHERE x.action = 'RELEASE' AND o.id = x.current_id`,
      [t, member.subject],
    );
    const released = `SELECT indicator_id, region_id, period_start, period_end FROM import_cell WHERE action IN ('INSERT', 'REVISE', 'RELEASE')`;
    if (await ReleaseService.recordUploadReleases(ctx, member, t, reason, released)) await recomputeSuppression(ctx, member.orgId, indicatorIds);
  }
  return null;
}


/** Most rows of one `importObservations`; larger uploads go through `POST /import` (streamed). */
export const MAX_GRAPHQL_ROWS = 10_000;

/** Where the mutation's fields are in `import_raw` (c12: whether the row gives numerator or denominator). */
const GRAPHQL_LAYOUT: RawLayout = {
  width: 12,
  fields: { indicator: 1, region: 2, period: 3, breakdown_dimension: 4, breakdown_code: 5, value: 6, status: 7, symbol: 8, numerator: 9, denominator: 10, version: 11 },
  countsGiven: `(r.c12 = 't')`,
  german: false,
};

/** The rows of `importObservations` as an upload source (row = 1-based position in `rows`); numbers go as JavaScript writes them, which the plain notation reads. */
export function rowsSource(rows: ImportRowInput[]): ImportSource {
  const text = (v: number | string | null | undefined) => (v === null || v === undefined ? null : String(v));
  return {
    format: 'graphql',
    problems: [],
    open: async () => GRAPHQL_LAYOUT,
    async *batches() {
      if (rows.length > MAX_GRAPHQL_ROWS) throw badInput(`at most ${MAX_GRAPHQL_ROWS} rows per importObservations; upload larger files with POST /import`, { argument: 'input.rows' });
      yield rows.map((r, i) => ({
        row: i + 1,
        width: null,
        fields: [r.indicator, r.region, r.period, r.breakdownDimension ?? '', r.breakdownCode ?? '', text(r.value), text(r.status), r.symbol ?? '', text(r.numerator), text(r.denominator), text(r.version),
          r.numerator !== undefined || r.denominator !== undefined ? 't' : 'f'],
      }));
    },
    drain: async () => undefined,
    hash: () => createHash('sha256').update(JSON.stringify(rows)).digest('hex'),
  };
}
