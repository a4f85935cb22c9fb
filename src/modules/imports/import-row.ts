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
/** What is left of a text without its digits. */
const nonDigits = (sql: string) => `translate(${sql}, '0123456789', '')`;
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
  return `CASE WHEN length(${t}) <= 15 AND translate(${t}, 'eE', '') = ${t} THEN ${t}::float8
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
 * checks expect. Built as stacked subqueries (`OFFSET 0` keeps each a level of its own), so that
 * every expression is computed once per row: flattened, PostgreSQL would repeat an expression at
 * each use (measured: 3x the time for 250,000 rows), and a LATERAL chain costs a loop per level.
 */
export function parseRowsSql(layout: RawLayout): string {
  const raw = (c: Exclude<RowColumn, 'file'>) => (layout.fields[c] ? `r.c${layout.fields[c]}` : 'NULL::text');
  const german = layout.german;
  const dims = Object.keys(BreakdownDimension);
  const closed = Object.entries(BREAKDOWN_CODES).filter(([, codes]) => codes !== null) as Array<[string, string[]]>;
  const numberNote = german ? ' (German notation: 1234,5)' : ' (plain notation: 1234.5)';
  // Most numbers are digits with at most a decimal separator: told apart without a regular expression (one costs some 1.5 µs a row).
  const isNumber = (t: string) =>
    german
      ? `(CASE WHEN ${nonDigits(t)} = '' THEN ${t} <> '' WHEN ${nonDigits(t)} = ',' THEN left(${t}, 1) <> ',' AND right(${t}, 1) <> ',' ELSE ${t} ~ ${lit(GERMAN_NUMBER)} END)`
      : `(CASE WHEN ${nonDigits(t)} = '' THEN ${t} <> '' WHEN ${nonDigits(t)} = '.' THEN ${t} <> '.' ELSE ${t} ~ ${lit(PLAIN_NUMBER)} END)`;
  // The German cell's shapes: (12,5) and 59,4 p.
  const bracketed = `(left(x.val_t, 1) = '(' AND right(x.val_t, 1) = ')')`;
  const qualified = `(translate(x.val_t, E' \\t\\n\\r\\f\\u000b', '') <> x.val_t AND x.val_t ~ '^\\S+\\s+\\S+$')`;
  const asPlain = (t: string) => (german ? `replace(replace(${t}, '.', ''), ',', '.')` : t);
  const missing = list([...MISSING_VALUE_SYMBOLS]);
  const statusOfSymbol = Object.entries(STATUS_OF_SYMBOL).map(([symbol, status]) => `WHEN ${lit(symbol)} THEN ${lit(status)}`).join(' ');
  const year = `substr(x.period, 1, 4)::int`;
  const month = `substr(x.period, 6, 2)::int`;
  const level = (columns: string, from: string) => `SELECT x.*, ${columns} FROM (${from}) x OFFSET 0`;

  // 1. The fields, trimmed; B (series break) is derived when read, never stored: the symbol decides the status.
  const fields = `SELECT r.row_no, r.width, left(${trim(raw('indicator'))}, 64) AS indicator, left(${trim(raw('region'))}, 64) AS region,
      left(${trim(raw('period'))}, 32) AS period, ${trim(raw('breakdown_dimension'))} AS dimension,
      coalesce(nullif(${trim(raw('breakdown_code'))}, ''), ${lit(TOTAL_CODE)}) AS code,
      coalesce(${raw('value')}, '') AS val, ${trim(`coalesce(${raw('value')}, '')`)} AS val_t,
      CASE WHEN ${trim(raw('status'))} IN ('', ${lit(ObservationStatus.B)}) THEN NULL ELSE ${trim(raw('status'))} END AS status,
      ${trim(`coalesce(${raw('symbol')}, '')`)} AS symbol0,
      ${raw('numerator')} AS num, ${trim(raw('numerator'))} AS num_t, ${raw('denominator')} AS den, ${trim(raw('denominator'))} AS den_t,
      ${raw('version')} AS ver, ${trim(raw('version'))} AS ver_t, ${layout.countsGiven} AS counts_given
    FROM import_raw r`;
  // 2. The period's type (null: malformed).
  const periodType = level(
    `CASE WHEN length(x.period) = 4 AND ${nonDigits('x.period')} = '' THEN CASE WHEN ${year} >= 1900 THEN ${lit(PeriodType.YEAR)} END
          WHEN length(x.period) = 7 AND ${nonDigits('x.period')} = '/' AND substr(x.period, 5, 1) = '/' THEN CASE WHEN ${year} >= 1900 AND substr(x.period, 6, 2)::int = (${year} + 1) % 100 THEN ${lit(PeriodType.SCHOOL_YEAR)} END
          WHEN length(x.period) = 10 AND ${nonDigits('x.period')} = '--' AND substr(x.period, 5, 1) = '-' AND substr(x.period, 8, 1) = '-' THEN CASE WHEN ${year} >= 1900 AND ${month} BETWEEN 1 AND 12 AND substr(x.period, 9, 2)::int >= 1 THEN
            CASE WHEN substr(x.period, 9, 2)::int <= extract(day FROM make_date(${year}, ${month}, 1) + interval '1 month - 1 day') THEN ${lit(PeriodType.STICHTAG)} END END
     END AS period_type`,
    fields,
  );
  // 3. Period dates, breakdown (the total may come as an empty dimension or as a dimension with code _T), the German cell split.
  const breakdown = level(
    `CASE x.period_type WHEN ${lit(PeriodType.YEAR)} THEN make_date(${year}, 1, 1) WHEN ${lit(PeriodType.SCHOOL_YEAR)} THEN make_date(${year}, 8, 1)
       WHEN ${lit(PeriodType.STICHTAG)} THEN x.period::date END AS period_start,
     CASE x.period_type WHEN ${lit(PeriodType.YEAR)} THEN make_date(${year}, 12, 31) WHEN ${lit(PeriodType.SCHOOL_YEAR)} THEN make_date(${year} + 1, 7, 31)
       WHEN ${lit(PeriodType.STICHTAG)} THEN x.period::date END AS period_end,
     CASE WHEN x.period_type IS NOT NULL AND x.code = ${lit(TOTAL_CODE)} THEN '' ELSE x.dimension END AS dimension_norm,
     CASE WHEN x.period_type IS NULL OR x.code = ${lit(TOTAL_CODE)} THEN NULL
          WHEN x.dimension = '' THEN ${fail('breakdown_dimension', 'UNKNOWN_BREAKDOWN', `format('breakdown code "%s" without a dimension', x.code)`)}
          WHEN x.dimension NOT IN (${list(dims)}) THEN ${fail('breakdown_dimension', 'UNKNOWN_BREAKDOWN', `format('"%s" is not a breakdown dimension (${dims.join(', ')})', left(x.dimension, 32))`)}
          WHEN ${closed.map(([d, codes]) => `(x.dimension = ${lit(d)} AND x.code NOT IN (${list(codes)}))`).join(' OR ')}
            OR (x.dimension NOT IN (${list(closed.map(([d]) => d))}) AND x.code !~ ${lit(OPEN_CODE)})
            THEN ${fail('breakdown_code', 'UNKNOWN_BREAKDOWN', `format('"%s" is not a code of %s', left(x.code, 32), x.dimension)`)}
          WHEN length(x.code) > ${MAX_CODE} THEN ${fail('breakdown_code', 'UNKNOWN_BREAKDOWN', `format('"%s" is too long for a code', left(x.code, 32))`)}
     END AS breakdown_error,
     ${
       german
         ? // The Wert cell: a symbol alone, - (exactly 0), 0, (12,5), 59,4 p, or a number.
           `CASE WHEN x.val_t IN (${missing}) THEN NULL WHEN x.val_t IN ('-', '0') THEN '0'
                WHEN ${bracketed} THEN ${trim(`substr(x.val_t, 2, length(x.val_t) - 2)`)}
                WHEN ${qualified} THEN substring(x.val_t from '^(\\S+)\\s+\\S+$') ELSE x.val_t END AS number,
           CASE WHEN x.val_t IN (${missing}) THEN x.val_t WHEN x.val_t = '-' THEN '-' WHEN x.val_t = '0' THEN ''
                WHEN ${bracketed} THEN '( )'
                WHEN ${qualified} THEN substring(x.val_t from '^\\S+\\s+(\\S+)$') ELSE '' END AS cell_symbol`
         : `x.val_t AS number, NULL::text AS cell_symbol`
     }`,
    periodType,
  );
  // 4. Numbers (value, numerator, denominator, version).
  const numbers = level(
    `${
      german
        ? `CASE WHEN x.val_t = '' THEN ${fail('value', 'SYMBOL_CONTRADICTS_VALUE', lit('no value: write the number, or a symbol saying why there is none (`.` unknown, `x` not applicable, `...` later, `/` not reliable)'))}
                WHEN x.number IS NULL THEN NULL
                WHEN x.cell_symbol NOT IN ('', '-', '( )', 'p', 'r', 's') THEN ${fail('value', 'UNKNOWN_SYMBOL', `format('"%s" is not a qualifier of official statistics (p, r, s)', x.cell_symbol)`)}
                WHEN x.number = '' THEN ${fail('value', 'MALFORMED_NUMBER', `format('"%s" is not a number', x.val)`)}
                WHEN NOT ${isNumber('x.number')} THEN ${fail('value', 'MALFORMED_NUMBER', `format('"%s" is not a number (German notation: 1234,5; 59,4 p; (12,5); or a symbol)', x.val)`)} END`
        : `CASE WHEN x.number <> '' AND NOT ${isNumber('x.number')} THEN ${fail('value', 'MALFORMED_NUMBER', `format('"%s" is not a number (plain notation: 1234.5)', x.val)`)} END`
    } AS value_error,
     CASE WHEN ${isNumber('x.number')} THEN ${toDouble(asPlain('x.number'))} END AS value,
     CASE WHEN x.num_t <> '' AND NOT ${isNumber('x.num_t')} THEN ${fail('numerator', 'MALFORMED_NUMBER', `format('"%s" is not a number${numberNote}', x.num)`)} END AS numerator_error,
     CASE WHEN ${isNumber('x.num_t')} THEN ${toDouble(asPlain('x.num_t'))} END AS numerator,
     CASE WHEN x.den_t <> '' AND NOT ${isNumber('x.den_t')} THEN ${fail('denominator', 'MALFORMED_NUMBER', `format('"%s" is not a number${numberNote}', x.den)`)} END AS denominator_error,
     CASE WHEN ${isNumber('x.den_t')} THEN ${toDouble(asPlain('x.den_t'))} END AS denominator,
     CASE WHEN x.ver_t <> '' AND ${nonDigits('x.ver_t')} = '' AND length(x.ver_t) <= 12 THEN x.ver_t::numeric
          WHEN x.ver_t ~ '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]{1,3})?$' AND length(x.ver_t) <= 40 THEN x.ver_t::numeric END AS version_number,
     x.width IS NULL AND x.period_type IS NOT NULL AND x.breakdown_error IS NULL AS ok`,
    breakdown,
  );
  // 5. The symbol, the version and the first problem up to the symbol's (after it, the symbol's status is known).
  const symbol = level(
    `${german ? `CASE WHEN x.ok AND x.value_error IS NULL THEN x.cell_symbol ELSE x.symbol0 END` : 'x.symbol0'} AS symbol,
     CASE WHEN x.version_number = trunc(x.version_number) AND x.version_number BETWEEN 1 AND 2000000000 THEN x.version_number::int END AS version,
     coalesce(
       CASE WHEN x.width IS NOT NULL THEN ${fail('file', 'MALFORMED_CSV', `format('%s fields where the header has %s', x.width, ${layout.width})`)} END,
       CASE WHEN x.period_type IS NULL THEN ${fail('period', 'MALFORMED_PERIOD', `format('"%s" is not a period code (2023, 2023/24 or 2023-03-01)', x.period)`)} END,
       x.breakdown_error, x.value_error, x.numerator_error, x.denominator_error,
       CASE WHEN x.ver_t <> '' AND (x.version_number IS NULL OR x.version_number <> trunc(x.version_number) OR x.version_number NOT BETWEEN 1 AND 2000000000)
         THEN ${fail('version', 'MALFORMED_NUMBER', `format('"%s" is not a version (a whole number from 1)', x.ver)`)} END
     ) AS first_error`,
    numbers,
  );
  const checked = level(
    `coalesce(x.first_error,
       CASE WHEN x.symbol NOT IN (${list(Object.keys(STATUS_OF_SYMBOL))}) THEN ${fail('symbol', 'UNKNOWN_SYMBOL', `format('"%s" is not a symbol of official statistics (. - x ... / ( ) 0 p r s)', left(x.symbol, 8))`)} END
     ) AS symbol_error`,
    symbol,
  );
  const error = `coalesce(x.symbol_error,
       CASE WHEN x.status NOT IN (${list(STATUSES)}) THEN ${fail('status', 'UNKNOWN_SYMBOL', `format('"%s" is not a status (SDMX OBS_STATUS: ${STATUSES.join(' ')})', left(x.status, 8))`)} END,
       CASE WHEN x.value IN ('Infinity', '-Infinity') THEN ${fail('value', 'MALFORMED_NUMBER', lit('the value is not a finite number'))} END,
       CASE WHEN x.symbol IN (${missing}) AND x.value IS NOT NULL THEN ${fail('symbol', 'SYMBOL_CONTRADICTS_VALUE', `format('the symbol "%s" stands for a missing value, but the row has the value %s', x.symbol, x.value)`)} END,
       CASE WHEN x.value IS NULL AND x.symbol NOT IN (${missing}) THEN ${fail('value', 'SYMBOL_CONTRADICTS_VALUE', lit('no value: give the number, or a symbol saying why there is none (`.` unknown, `x` not applicable, `...` later, `/` not reliable)'))} END,
       CASE WHEN x.symbol = '-' AND x.value <> 0 THEN ${fail('symbol', 'SYMBOL_CONTRADICTS_VALUE', `format('the symbol "-" means exactly zero, but the value is %s', x.value)`)} END,
       CASE WHEN x.status IN (${list(MISSING_STATUSES)}) AND x.value IS NOT NULL THEN ${fail('status', 'SYMBOL_CONTRADICTS_VALUE', `format('the status %s stands for a missing value, but the row has the value %s', x.status, x.value)`)} END
     )`;
  return `
    INSERT INTO import_stage (row_no, indicator_code, region_code, period, period_start, period_end, period_type, breakdown_dimension, breakdown_code,
      value, numerator, denominator, counts_given, status, status_from_symbol, symbol, version, rounded, error_column, error_code, error_message)
    SELECT y.row_no, y.indicator, y.region, y.period, y.period_start, y.period_end, y.period_type, y.dimension_norm, y.code,
      CASE WHEN y.ok AND y.value_error IS NULL THEN y.value END,
      CASE WHEN y.ok AND y.value_error IS NULL THEN y.numerator END,
      CASE WHEN y.ok AND y.value_error IS NULL AND y.numerator_error IS NULL THEN y.denominator END,
      y.counts_given, y.status,
      CASE WHEN y.symbol_error IS NULL THEN CASE y.symbol ${statusOfSymbol} END ELSE ${lit(ObservationStatus.A)} END,
      y.symbol,
      CASE WHEN y.ok AND y.value_error IS NULL AND y.numerator_error IS NULL AND y.denominator_error IS NULL THEN y.version END,
      ${german}, y.error[1], y.error[2], y.error[3]
    FROM (${level(`${error} AS error`, checked)}) y`;
}
