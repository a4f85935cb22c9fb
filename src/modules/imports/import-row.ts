import { BREAKDOWN_CODES, BreakdownDimension, TOTAL_CODE } from '../indicators/indicator.enums';
import { MISSING_VALUE_SYMBOLS, ObservationStatus } from '../series/observation.enums';
import { parsePeriod } from '../series/period';

/**
 * One row of an upload as it is staged for the set-based checks (src/modules/imports/import.service.ts):
 * what the three ways in (CSV `de`, CSV `plain`, the GraphQL mutation) have in common after the
 * row-local parsing done here. Everything that needs the catalogue or the stored cells (unknown
 * codes, ranges, rights, versions) is checked in SQL, over the whole upload at once.
 */
export interface StagedRow {
  /** Row number for the report: the line in a CSV file (header = 1), the 1-based position in `rows` of the mutation. */
  row: number;
  indicator: string;
  region: string;
  period: string;
  periodStart: string | null;
  periodEnd: string | null;
  periodType: string | null;
  /** '' for the total, whose code is `_T`. */
  dimension: string;
  code: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  /** Whether the upload says anything about numerator and denominator (a column, or the fields); if not, they are not compared. */
  countsGiven: boolean;
  /** The status as given; null when the upload has none (format `de`: the symbol says it). */
  status: string | null;
  /** The status the symbol stands for, used when none is given. */
  statusFromSymbol: string;
  symbol: string;
  /** The version the row was edited from (conditional update); null: last writer wins. */
  version: number | null;
  /** The value as a German table shows it, rounded to the indicator's decimals: unchanged if it equals the stored value so rounded. */
  rounded: boolean;
  /** The first row-local problem, if any (the SQL checks add theirs). */
  error: RowError | null;
}

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
const MISSING_STATUSES = new Set(['L', 'M', 'O', 'Q']);
const STATUSES = new Set(Object.values(ObservationStatus) as string[]);
/** Codes of the open breakdown lists (AGE_GROUP, SCHOOL_TYPE): what the column holds. */
const OPEN_CODE = /^[A-Za-z0-9_+-]{1,16}$/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const GERMAN_NUMBER = /^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$/;
const MAX_CODE = 16;

/** The raw fields of one row, before parsing (CSV cells or the mutation's fields). */
export interface RawRow {
  row: number;
  indicator: string;
  region: string;
  period: string;
  dimension: string;
  code: string;
  /** The value's text in the format's notation (CSV), or the number (mutation). */
  value: string | number | null;
  status?: string | null;
  symbol?: string;
  numerator?: string | number | null;
  denominator?: string | number | null;
  version?: string | number | null;
}

const fail = (column: RowColumn, code: ImportErrorCode, message: string): RowError => ({ column, code, message });

function parseNumber(text: string | number | null | undefined, german: boolean): number | null | RowError | undefined {
  if (text === undefined) return undefined;
  if (text === null) return null;
  if (typeof text === 'number') return text;
  const t = text.trim();
  if (t === '') return null;
  if (german ? !GERMAN_NUMBER.test(t) : !PLAIN_NUMBER.test(t)) return fail('value', 'MALFORMED_NUMBER', `"${text}" is not a number${german ? ' (German notation: 1234,5)' : ' (plain notation: 1234.5)'}`);
  return Number(german ? t.replace(/\./g, '').replace(',', '.') : t);
}

/**
 * A German table cell (the `Wert` column of `format=de`, as src/export/legend.ts germanCell writes
 * it) split into value and symbol: `59,4`, `59,4 p` (also `r`, `s`), `(12,5)`, or a symbol alone
 * (`.`, `-` = exactly zero, `x`, `...`, `/`, `0`).
 */
function parseGermanCell(text: string): { value: number | null; symbol: string } | RowError {
  const t = text.trim();
  if (t === '') return fail('value', 'SYMBOL_CONTRADICTS_VALUE', 'no value: write the number, or a symbol saying why there is none (`.` unknown, `x` not applicable, `...` later, `/` not reliable)');
  if (MISSING_VALUE_SYMBOLS.has(t)) return { value: null, symbol: t };
  if (t === '-') return { value: 0, symbol: '-' };
  if (t === '0') return { value: 0, symbol: '' };
  let number = t;
  let symbol = '';
  const bracketed = /^\((.*)\)$/.exec(t);
  const qualified = /^(\S+)\s+(\S+)$/.exec(t);
  if (bracketed) [number, symbol] = [bracketed[1], '( )'];
  else if (qualified) {
    if (!['p', 'r', 's'].includes(qualified[2])) return fail('value', 'UNKNOWN_SYMBOL', `"${qualified[2]}" is not a qualifier of official statistics (p, r, s)`);
    [number, symbol] = [qualified[1], qualified[2]];
  }
  const value = parseNumber(number, true);
  if (value === null || value === undefined) return fail('value', 'MALFORMED_NUMBER', `"${text}" is not a number`);
  if (typeof value === 'object') return { ...value, message: `"${text}" is not a number (German notation: 1234,5; 59,4 p; (12,5); or a symbol)` };
  return { value, symbol };
}

/**
 * Parses a row's fields: period, breakdown, numbers, symbol and status, and what can be checked
 * on the row alone (a symbol contradicting the value). `german`: the value is a German table
 * cell (format `de`), which also carries the symbol.
 */
export function parseRow(raw: RawRow, german: boolean): StagedRow {
  const staged: StagedRow = {
    row: raw.row,
    indicator: raw.indicator.trim(),
    region: raw.region.trim(),
    period: raw.period.trim(),
    periodStart: null,
    periodEnd: null,
    periodType: null,
    dimension: raw.dimension.trim(),
    code: raw.code.trim() || TOTAL_CODE,
    value: null,
    numerator: null,
    denominator: null,
    countsGiven: raw.numerator !== undefined || raw.denominator !== undefined,
    // `B` (series break) is derived when read, never stored (src/modules/series/revisions.ts): an
    // exported `B` says nothing the symbol does not, so the symbol decides the status.
    status: raw.status === undefined || raw.status === null || ['', ObservationStatus.B].includes(raw.status.trim()) ? null : raw.status.trim(),
    statusFromSymbol: ObservationStatus.A,
    symbol: (raw.symbol ?? '').trim(),
    version: null,
    rounded: german,
    error: null,
  };
  staged.error = check(staged, raw, german);
  return staged;
}

function check(s: StagedRow, raw: RawRow, german: boolean): RowError | null {
  // Truncated for staging; the catalogue lookups then report them unknown.
  s.indicator = s.indicator.slice(0, 64);
  s.region = s.region.slice(0, 64);
  s.period = s.period.slice(0, 32);
  const period = parsePeriod(s.period);
  if (!period) return fail('period', 'MALFORMED_PERIOD', `"${s.period}" is not a period code (2023, 2023/24 or 2023-03-01)`);
  [s.periodStart, s.periodEnd, s.periodType] = [period.start, period.end, period.type];

  // The total may come as an empty dimension or as a dimension with code _T (an export with a breakdown writes both).
  if (s.code === TOTAL_CODE) s.dimension = '';
  else if (s.dimension === '') return fail('breakdown_dimension', 'UNKNOWN_BREAKDOWN', `breakdown code "${s.code}" without a dimension`);
  if (s.dimension !== '') {
    if (!(s.dimension in BreakdownDimension)) return fail('breakdown_dimension', 'UNKNOWN_BREAKDOWN', `"${s.dimension.slice(0, 32)}" is not a breakdown dimension (${Object.keys(BreakdownDimension).join(', ')})`);
    const closed = BREAKDOWN_CODES[s.dimension as BreakdownDimension];
    if (closed ? !closed.includes(s.code) : !OPEN_CODE.test(s.code)) return fail('breakdown_code', 'UNKNOWN_BREAKDOWN', `"${s.code.slice(0, 32)}" is not a code of ${s.dimension}`);
  }
  if (s.indicator.length > MAX_CODE * 4 || s.code.length > MAX_CODE) return fail('breakdown_code', 'UNKNOWN_BREAKDOWN', `"${s.code.slice(0, 32)}" is too long for a code`);

  if (german) {
    const cell = parseGermanCell(String(raw.value ?? ''));
    if ('code' in cell) return cell;
    [s.value, s.symbol] = [cell.value, cell.symbol];
  } else {
    const value = parseNumber(raw.value, false);
    if (value !== null && typeof value === 'object') return value;
    s.value = value ?? null;
  }
  for (const column of ['numerator', 'denominator'] as const) {
    const n = parseNumber(raw[column], german);
    if (n !== null && typeof n === 'object') return { ...n, column };
    s[column] = n ?? null;
  }
  if (raw.version !== undefined && raw.version !== null && String(raw.version).trim() !== '') {
    const v = Number(String(raw.version).trim());
    if (!Number.isInteger(v) || v < 1 || v > 2_000_000_000) return fail('version', 'MALFORMED_NUMBER', `"${raw.version}" is not a version (a whole number from 1)`);
    s.version = v;
  }

  if (!(s.symbol in STATUS_OF_SYMBOL)) return fail('symbol', 'UNKNOWN_SYMBOL', `"${s.symbol.slice(0, 8)}" is not a symbol of official statistics (. - x ... / ( ) 0 p r s)`);
  s.statusFromSymbol = STATUS_OF_SYMBOL[s.symbol];
  if (s.status !== null && !STATUSES.has(s.status)) return fail('status', 'UNKNOWN_SYMBOL', `"${s.status.slice(0, 8)}" is not a status (SDMX OBS_STATUS: ${[...STATUSES].join(' ')})`);
  if (s.value !== null && !Number.isFinite(s.value)) return fail('value', 'MALFORMED_NUMBER', 'the value is not a finite number');
  if (MISSING_VALUE_SYMBOLS.has(s.symbol) && s.value !== null) return fail('symbol', 'SYMBOL_CONTRADICTS_VALUE', `the symbol "${s.symbol}" stands for a missing value, but the row has the value ${s.value}`);
  if (s.value === null && !MISSING_VALUE_SYMBOLS.has(s.symbol)) return fail('value', 'SYMBOL_CONTRADICTS_VALUE', 'no value: give the number, or a symbol saying why there is none (`.` unknown, `x` not applicable, `...` later, `/` not reliable)');
  if (s.symbol === '-' && s.value !== 0) return fail('symbol', 'SYMBOL_CONTRADICTS_VALUE', `the symbol "-" means exactly zero, but the value is ${s.value}`);
  if (s.status !== null && MISSING_STATUSES.has(s.status) && s.value !== null) return fail('status', 'SYMBOL_CONTRADICTS_VALUE', `the status ${s.status} stands for a missing value, but the row has the value ${s.value}`);
  return null;
}
