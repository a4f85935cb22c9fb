import { PeriodType } from '../indicators/indicator.enums';

/**
 * Period codes, one format everywhere (API, exports, uploads; DESIGN §5):
 *   `2023`        calendar year,         1 Jan 2023 – 31 Dec 2023
 *   `2023/24`     school year,           1 Aug 2023 – 31 Jul 2024
 *   `2023-03-01`  Stichtag (one day)
 */
export interface Period {
  code: string;
  type: PeriodType;
  /** First day, `YYYY-MM-DD`. */
  start: string;
  /** Last day, `YYYY-MM-DD`. */
  end: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

function isRealDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** Parses a period code; returns undefined for anything that is not exactly one of the three shapes. */
export function parsePeriod(code: string): Period | undefined {
  let m = /^(\d{4})$/.exec(code);
  if (m) {
    if (Number(m[1]) < 1900) return undefined;
    return { code, type: PeriodType.YEAR, start: `${m[1]}-01-01`, end: `${m[1]}-12-31` };
  }
  m = /^(\d{4})\/(\d{2})$/.exec(code);
  if (m) {
    const y = Number(m[1]);
    if (y < 1900 || Number(m[2]) !== (y + 1) % 100) return undefined;
    return { code, type: PeriodType.SCHOOL_YEAR, start: `${y}-08-01`, end: `${y + 1}-07-31` };
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(code);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (y < 1900 || !isRealDate(y, mo, d)) return undefined;
    return { code, type: PeriodType.STICHTAG, start: code, end: code };
  }
  return undefined;
}

/** Formats the period of a given type that starts on `start` (inverse of parsePeriod's start). */
export function periodCode(type: PeriodType, start: string): string {
  const y = Number(start.slice(0, 4));
  switch (type) {
    case PeriodType.YEAR:
      return String(y);
    case PeriodType.SCHOOL_YEAR:
      return `${y}/${pad((y + 1) % 100)}`;
    case PeriodType.STICHTAG:
      return start;
  }
}
