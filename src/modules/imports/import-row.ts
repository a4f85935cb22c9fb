import { BREAKDOWN_CODES, BreakdownDimension, PeriodType, TOTAL_CODE } from '../indicators/indicator.enums';
import { MISSING_VALUE_SYMBOLS, ObservationStatus } from '../series/observation.enums';

/**
 * The row-local parse of an upload, in SQL (src/modules/imports/import.service.ts): every way in
 * (CSV `de`, CSV `plain`, the GraphQL mutation) first stages its rows as text fields in
 * `import_raw (row_no, width, c1 … cN)` — a server's CSV body straight through COPY, otherwise
 * batched INSERTs — and one statement (parseRowsSql) turns them into `import_stage`: period,
 * breakdown, numbers, symbol and status, and the first row-local problem of each row. Everything
 * that needs the catalogue or the stored cells (unknown codes, ranges, rights, versions) is
 * checked afterwards, also in SQL, over the whole upload at once.
 */

/** Logical columns of a row; the report names them as the upload's format does (COLUMN_NAMES). */
export type RowColumn = 'indicator' | 'region' | 'period' | 'breakdown_dimension' | 'breakdown_code' | 'value' | 'status' | 'symbol' | 'numerator' | 'denominator' | 'version' | 'file';

export interface RowError {
  column: RowColumn;
  code: ImportErrorCode;
  message: string;
}

/**
 * The stable codes of row errors (README "Uploads"). Clients match on them, never on messages.
 * `CONFLICT` is also the request-level code of a reused idempotency key; here it is a row whose
 * `version` is not the cell's current one.
 */
export const IMPORT_ERROR_CODES = [
  'MISSING_COLUMN',
  'MALFORMED_CSV',
  'UNKNOWN_INDICATOR',
  'UNKNOWN_REGION',
  'UNKNOWN_BREAKDOWN',
  'MALFORMED_PERIOD',
  'MALFORMED_NUMBER',
  'UNKNOWN_SYMBOL',
  'PERIOD_TYPE_MISMATCH',
  'VALUE_OUT_OF_RANGE',
  'SYMBOL_CONTRADICTS_VALUE',
  'RATE_MISMATCH',
  'DUPLICATE_CELL',
  'REGION_NOT_WRITABLE',
  'REVISION_NEEDS_RELEASE',
  'CONFLICT',
] as const;
export type ImportErrorCode = (typeof IMPORT_ERROR_CODES)[number];

export const IMPORT_FORMATS = ['de', 'plain', 'graphql'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The plain CSV's header names are the logical columns themselves. */
const PLAIN_NAMES = Object.fromEntries(
  (['indicator', 'region', 'period', 'breakdown_dimension', 'breakdown_code', 'value', 'status', 'symbol', 'numerator', 'denominator', 'version'] as const).map((c) => [c, c]),
) as Record<Exclude<RowColumn, 'file'>, string>;

/** How each format names the logical columns, for the report (CSV headers as the export writes them). */
export const COLUMN_NAMES: Record<ImportFormat, Record<RowColumn, string>> = {
  de: {
    indicator: 'Indikator',
    region: 'Regionalschlüssel',
    period: 'Zeitraum',
    breakdown_dimension: 'Aufgliederung',
    breakdown_code: 'Ausprägung',
    value: 'Wert',
    status: 'Wert',
    symbol: 'Wert',
    numerator: 'Zähler',
    denominator: 'Nenner',
    version: 'version',
    file: '',
  },
  plain: { ...PLAIN_NAMES, file: '' },
  graphql: { ...PLAIN_NAMES, breakdown_dimension: 'breakdownDimension', breakdown_code: 'breakdownCode', file: '' },
};

/** The status each symbol of official statistics stands for (seeds/reference/status-codes.csv; `.` is "unknown" unless the cell says secret). */
const STATUS_OF_SYMBOL: Record<string, ObservationStatus> = {
  '': ObservationStatus.A,
  '-': ObservationStatus.A,
  '0': ObservationStatus.A,
  '.': ObservationStatus.L,
  x: ObservationStatus.M,
  '...': ObservationStatus.O,
  '/': ObservationStatus.U,
  '( )': ObservationStatus.U,
  p: ObservationStatus.P,
  r: ObservationStatus.R,
  s: ObservationStatus.E,
};
/** Statuses of a cell without a value. */
const MISSING_STATUSES = ['L', 'M', 'O', 'Q'];
const STATUSES = Object.values(ObservationStatus) as string[];
/** Codes of the open breakdown lists (AGE_GROUP, SCHOOL_TYPE): what the column holds. */
const OPEN_CODE = '^[A-Za-z0-9_+-]{1,16}$';
const PLAIN_NUMBER = '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$';
const GERMAN_NUMBER = '^[+-]?([0-9]{1,3}(\\.[0-9]{3})+|[0-9]+)(,[0-9]+)?$';
const MAX_CODE = 16;

/** Where an upload's fields are in `import_raw`: what the header said (CSV), or the mutation's fixed layout. */
export interface RawLayout {
  /** Fields per row: columns c1 … c<width> of `import_raw`. */
  width: number;
  /** The field (1-based) of each logical column the upload has; a column it lacks is absent. */
  fields: Partial<Record<Exclude<RowColumn, 'file'>, number>>;
  /** SQL over `r`: whether a row says anything about numerator and denominator (if not, they are not compared). */
  countsGiven: string;
  /** The value is a German table cell (format `de`), which also carries the symbol; numbers in German notation. */
  german: boolean;
}

/** SQL text literal. */
const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;
const list = (items: string[]) => items.map(lit).join(', ');
/** Trims as JavaScript's String.prototype.trim does for what occurs in files (spaces, tabs, line ends, NBSP, BOM). */
const trim = (sql: string) => `btrim(${sql}, E' \\t\\n\\r\\f\\u000b\\u00a0\\ufeff')`;
/** An error of a row as text[]: logical column, code, message (SQL). */
const fail = (column: RowColumn, code: ImportErrorCode, message: string) => `ARRAY[${lit(column)}, ${lit(code)}, ${message}]`;

/**
 * A number's text (matched by PLAIN_NUMBER, or German notation already turned into it) as double
 * precision, as JavaScript's Number() reads it: beyond the range of a double it is ±Infinity,
 * below it 0 (PostgreSQL's cast would fail on both).
 */
function toDouble(t: string): string {
  const exponent = `coalesce(substring(${t} from '[eE]([+-]?[0-9]+)$'), '0')`;
  // Short plain decimals (nearly all) cannot leave the range: cast directly.
  return `CASE WHEN length(${t}) <= 15 AND ${t} !~ '[eE]' THEN ${t}::float8
    WHEN split_part(lower(${t}), 'e', 1) !~ '[1-9]' THEN 0::float8
    WHEN length(${exponent}) > 4 OR length(${t}) > 400 THEN CASE WHEN ${exponent} LIKE '-%' THEN 0::float8 WHEN ${t} LIKE '-%' THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END
    WHEN abs(${t}::numeric) >= 1.7976931348623158e308 THEN sign(${t}::numeric) * 'Infinity'::float8
    WHEN abs(${t}::numeric) < 1e-300 THEN 0::float8 ELSE ${t}::numeric::float8 END`;
}

/**
 * The statement that parses `import_raw r` into `import_stage` (README "Uploads": the row codes).
 * A row gets its first problem in this order: wrong number of fields (MALFORMED_CSV), period,
 * breakdown, value, numerator, denominator, version, symbol, status, then a symbol or status
 * contradicting the value; a field after the first problem stays unparsed (null), as the later
 * checks expect.
 */
export function parseRowsSql(layout: RawLayout): string {
  const raw = (c: Exclude<RowColumn, 'file'>) => (layout.fields[c] ? `r.c${layout.fields[c]}` : 'NULL::text');
  const german = layout.german;
  const dims = Object.keys(BreakdownDimension);
  const closed = Object.entries(BREAKDOWN_CODES).filter(([, codes]) => codes !== null) as Array<[string, string[]]>;
  const numberNote = german ? ' (German notation: 1234,5)' : ' (plain notation: 1234.5)';
  // A number field (numerator, denominator) in the format's notation: [text for toDouble or null, error or null].
  const number = (c: 'numerator' | 'denominator') => {
    const t = trim(raw(c));
    return {
      error: `CASE WHEN ${t} <> '' AND ${t} !~ ${lit(german ? GERMAN_NUMBER : PLAIN_NUMBER)} THEN ${fail(c, 'MALFORMED_NUMBER', `format('"%s" is not a number${numberNote}', ${raw(c)})`)} END`,
      value: `CASE WHEN ${t} ~ ${lit(german ? GERMAN_NUMBER : PLAIN_NUMBER)} THEN ${toDouble(german ? `replace(replace(${t}, '.', ''), ',', '.')` : t)} END`,
    };
  };
  const numerator = number('numerator');
  const denominator = number('denominator');
  const value = german
    ? {
        // The `Wert` cell: a symbol alone, `-` (exactly 0), `0`, `(12,5)`, `59,4 p`, or a number.
        split: `SELECT CASE WHEN a.val_t IN (${list([...MISSING_VALUE_SYMBOLS])}) THEN NULL WHEN a.val_t IN ('-', '0') THEN '0'
                         WHEN a.val_t ~ '^\\(.*\\)$' THEN substring(a.val_t from '^\\((.*)\\)$')
                         WHEN a.val_t ~ '^\\S+\\s+\\S+$' THEN substring(a.val_t from '^(\\S+)\\s+\\S+$') ELSE a.val_t END AS number,
                    CASE WHEN a.val_t IN (${list([...MISSING_VALUE_SYMBOLS])}) THEN a.val_t WHEN a.val_t = '-' THEN '-' WHEN a.val_t = '0' THEN ''
                         WHEN a.val_t ~ '^\\(.*\\)$' THEN '( )'
                         WHEN a.val_t ~ '^\\S+\\s+\\S+$' THEN substring(a.val_t from '^\\S+\\s+(\\S+)$') ELSE '' END AS symbol`,
        error: `CASE WHEN a.val_t = '' THEN ${fail('value', 'SYMBOL_CONTRADICTS_VALUE', lit('no value: write the number, or a symbol saying why there is none (`.` unknown, `x` not applicable, `...` later, `/` not reliable)'))}
                     WHEN c.number IS NULL THEN NULL
                     WHEN c.symbol NOT IN ('', '-', '( )', 'p', 'r', 's') THEN ${fail('value', 'UNKNOWN_SYMBOL', `format('"%s" is not a qualifier of official statistics (p, r, s)', c.symbol)`)}
                     WHEN ${trim('c.number')} = '' THEN ${fail('value', 'MALFORMED_NUMBER', `format('"%s" is not a number', a.val)`)}
                     WHEN ${trim('c.number')} !~ ${lit(GERMAN_NUMBER)} THEN ${fail('value', 'MALFORMED_NUMBER', `format('"%s" is not a number (German notation: 1234,5; 59,4 p; (12,5); or a symbol)', a.val)`)} END`,
        value: `CASE WHEN ${trim('c.number')} ~ ${lit(GERMAN_NUMBER)} THEN ${toDouble(`replace(replace(${trim('c.number')}, '.', ''), ',', '.')`)} END`,
        symbol: `CASE WHEN v.error IS NULL THEN c.symbol ELSE a.symbol END`,
      }
    : {
        split: `SELECT NULL::text AS number, NULL::text AS symbol`,
        error: `CASE WHEN a.val_t <> '' AND a.val_t !~ ${lit(PLAIN_NUMBER)} THEN ${fail('value', 'MALFORMED_NUMBER', `format('"%s" is not a number (plain notation: 1234.5)', a.val)`)} END`,
        value: `CASE WHEN a.val_t ~ ${lit(PLAIN_NUMBER)} THEN ${toDouble('a.val_t')} END`,
        symbol: 'a.symbol',
      };
  const version = trim(raw('version'));
  const versionNumber = `CASE WHEN ${version} ~ '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' AND length(${version}) <= 40 THEN ${version}::numeric END`;
  const missing = list([...MISSING_VALUE_SYMBOLS]);
  const statusOfSymbol = Object.entries(STATUS_OF_SYMBOL).map(([symbol, status]) => `WHEN ${lit(symbol)} THEN ${lit(status)}`).join(' ');
  const yearOf = `substr(a.period, 1, 4)::int`;
  return `
    INSERT INTO import_stage (row_no, indicator_code, region_code, period, period_start, period_end, period_type, breakdown_dimension, breakdown_code,
      value, numerator, denominator, counts_given, status, status_from_symbol, symbol, version, rounded, error_column, error_code, error_message)
    SELECT r.row_no, a.indicator, a.region, a.period, p.period_start, p.period_end, p.period_type, b.dimension, a.code,
      CASE WHEN b.ok AND v.error IS NULL THEN v.value END,
      CASE WHEN b.ok AND v.error IS NULL THEN n.numerator END,
      CASE WHEN b.ok AND v.error IS NULL AND n.numerator_error IS NULL THEN n.denominator END,
      ${layout.countsGiven}, a.status,
      CASE WHEN e0.error IS NULL THEN CASE s.symbol ${statusOfSymbol} END ELSE 'A' END,
      s.symbol,
      CASE WHEN b.ok AND v.error IS NULL AND n.numerator_error IS NULL AND n.denominator_error IS NULL THEN w.version::int END,
      ${german}, e.error[1], e.error[2], e.error[3]
    FROM import_raw r
    CROSS JOIN LATERAL (
      SELECT left(${trim(raw('indicator'))}, 64) AS indicator, left(${trim(raw('region'))}, 64) AS region, left(${trim(raw('period'))}, 32) AS period,
        ${trim(raw('breakdown_dimension'))} AS dimension, coalesce(nullif(${trim(raw('breakdown_code'))}, ''), ${lit(TOTAL_CODE)}) AS code,
        coalesce(${raw('value')}, '') AS val, ${trim(`coalesce(${raw('value')}, '')`)} AS val_t,
        -- B (series break) is derived when read, never stored: the symbol decides the status.
        CASE WHEN ${trim(raw('status'))} IN ('', ${lit(ObservationStatus.B)}) THEN NULL ELSE ${trim(raw('status'))} END AS status,
        ${trim(`coalesce(${raw('symbol')}, '')`)} AS symbol
    ) a
    CROSS JOIN LATERAL (
      SELECT CASE WHEN a.period ~ '^[0-9]{4}$' THEN CASE WHEN ${yearOf} >= 1900 THEN ${lit(PeriodType.YEAR)} END
                  WHEN a.period ~ '^[0-9]{4}/[0-9]{2}$' THEN CASE WHEN ${yearOf} >= 1900 AND substr(a.period, 6, 2)::int = (${yearOf} + 1) % 100 THEN ${lit(PeriodType.SCHOOL_YEAR)} END
                  WHEN a.period ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN CASE WHEN ${yearOf} >= 1900 AND substr(a.period, 6, 2)::int BETWEEN 1 AND 12 AND substr(a.period, 9, 2)::int >= 1 THEN
                    CASE WHEN substr(a.period, 9, 2)::int <= extract(day FROM make_date(${yearOf}, substr(a.period, 6, 2)::int, 1) + interval '1 month - 1 day') THEN ${lit(PeriodType.STICHTAG)} END END
             END AS period_type
    ) t
    CROSS JOIN LATERAL (
      SELECT t.period_type,
        CASE t.period_type WHEN ${lit(PeriodType.YEAR)} THEN make_date(${yearOf}, 1, 1) WHEN ${lit(PeriodType.SCHOOL_YEAR)} THEN make_date(${yearOf}, 8, 1)
          WHEN ${lit(PeriodType.STICHTAG)} THEN a.period::date END AS period_start,
        CASE t.period_type WHEN ${lit(PeriodType.YEAR)} THEN make_date(${yearOf}, 12, 31) WHEN ${lit(PeriodType.SCHOOL_YEAR)} THEN make_date(${yearOf} + 1, 7, 31)
          WHEN ${lit(PeriodType.STICHTAG)} THEN a.period::date END AS period_end
    ) p
    CROSS JOIN LATERAL (
      -- The total may come as an empty dimension or as a dimension with code _T (an export with a breakdown writes both).
      SELECT CASE WHEN p.period_type IS NOT NULL AND a.code = ${lit(TOTAL_CODE)} THEN '' ELSE a.dimension END AS dimension,
        CASE WHEN p.period_type IS NULL OR a.code = ${lit(TOTAL_CODE)} THEN NULL
             WHEN a.dimension = '' THEN ${fail('breakdown_dimension', 'UNKNOWN_BREAKDOWN', `format('breakdown code "%s" without a dimension', a.code)`)}
             WHEN a.dimension NOT IN (${list(dims)}) THEN ${fail('breakdown_dimension', 'UNKNOWN_BREAKDOWN', `format('"%s" is not a breakdown dimension (${dims.join(', ')})', left(a.dimension, 32))`)}
             WHEN ${closed.map(([d, codes]) => `(a.dimension = ${lit(d)} AND a.code NOT IN (${list(codes)}))`).join(' OR ')}
               OR (a.dimension NOT IN (${list(closed.map(([d]) => d))}) AND a.code !~ ${lit(OPEN_CODE)})
               THEN ${fail('breakdown_code', 'UNKNOWN_BREAKDOWN', `format('"%s" is not a code of %s', left(a.code, 32), a.dimension)`)}
             WHEN length(a.code) > ${MAX_CODE} THEN ${fail('breakdown_code', 'UNKNOWN_BREAKDOWN', `format('"%s" is too long for a code', left(a.code, 32))`)}
        END AS error
    ) b0
    CROSS JOIN LATERAL (SELECT b0.dimension, r.width IS NULL AND p.period_type IS NOT NULL AND b0.error IS NULL AS ok) b
    CROSS JOIN LATERAL (${value.split}) c
    CROSS JOIN LATERAL (SELECT ${value.error} AS error, ${value.value} AS value) v
    CROSS JOIN LATERAL (SELECT ${value.symbol} AS symbol) s
    CROSS JOIN LATERAL (SELECT ${numerator.error} AS numerator_error, ${numerator.value} AS numerator,
      ${denominator.error} AS denominator_error, ${denominator.value} AS denominator) n
    CROSS JOIN LATERAL (SELECT ${versionNumber} AS version) w0
    CROSS JOIN LATERAL (
      SELECT CASE WHEN ${version} <> '' AND (w0.version IS NULL OR w0.version <> trunc(w0.version) OR w0.version NOT BETWEEN 1 AND 2000000000)
        THEN ${fail('version', 'MALFORMED_NUMBER', `format('"%s" is not a version (a whole number from 1)', ${raw('version')})`)} END AS error,
        CASE WHEN w0.version = trunc(w0.version) AND w0.version BETWEEN 1 AND 2000000000 THEN w0.version END AS version
    ) w
    CROSS JOIN LATERAL (
      -- The first problem up to the symbol's (after it, the symbol's status is known).
      SELECT coalesce(
        CASE WHEN r.width IS NOT NULL THEN ${fail('file', 'MALFORMED_CSV', `format('%s fields where the header has %s', r.width, ${layout.width})`)} END,
        CASE WHEN p.period_type IS NULL THEN ${fail('period', 'MALFORMED_PERIOD', `format('"%s" is not a period code (2023, 2023/24 or 2023-03-01)', a.period)`)} END,
        b0.error, v.error, n.numerator_error, n.denominator_error, w.error,
        CASE WHEN s.symbol NOT IN (${list(Object.keys(STATUS_OF_SYMBOL))}) THEN ${fail('symbol', 'UNKNOWN_SYMBOL', `format('"%s" is not a symbol of official statistics (. - x ... / ( ) 0 p r s)', left(s.symbol, 8))`)} END
      ) AS error
    ) e0
    CROSS JOIN LATERAL (
      SELECT coalesce(e0.error,
        CASE WHEN a.status NOT IN (${list(STATUSES)}) THEN ${fail('status', 'UNKNOWN_SYMBOL', `format('"%s" is not a status (SDMX OBS_STATUS: ${STATUSES.join(' ')})', left(a.status, 8))`)} END,
        CASE WHEN v.value IN ('Infinity', '-Infinity') THEN ${fail('value', 'MALFORMED_NUMBER', lit('the value is not a finite number'))} END,
        CASE WHEN s.symbol IN (${missing}) AND v.value IS NOT NULL THEN ${fail('symbol', 'SYMBOL_CONTRADICTS_VALUE', `format('the symbol "%s" stands for a missing value, but the row has the value %s', s.symbol, v.value)`)} END,
        CASE WHEN v.value IS NULL AND s.symbol NOT IN (${missing}) THEN ${fail('value', 'SYMBOL_CONTRADICTS_VALUE', lit('no value: give the number, or a symbol saying why there is none (`.` unknown, `x` not applicable, `...` later, `/` not reliable)'))} END,
        CASE WHEN s.symbol = '-' AND v.value <> 0 THEN ${fail('symbol', 'SYMBOL_CONTRADICTS_VALUE', `format('the symbol "-" means exactly zero, but the value is %s', v.value)`)} END,
        CASE WHEN a.status IN (${list(MISSING_STATUSES)}) AND v.value IS NOT NULL THEN ${fail('status', 'SYMBOL_CONTRADICTS_VALUE', `format('the status %s stands for a missing value, but the row has the value %s', a.status, v.value)`)} END
      ) AS error
    ) e`;
}
