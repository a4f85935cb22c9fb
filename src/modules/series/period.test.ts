import { describe, expect, it } from 'vitest';
import { PeriodType } from '../indicators/indicator.enums';
import { parsePeriod, periodCode } from './period';

describe('period codes', () => {
  it.each([
    ['2023', PeriodType.YEAR, '2023-01-01', '2023-12-31'],
    ['2023/24', PeriodType.SCHOOL_YEAR, '2023-08-01', '2024-07-31'],
    ['1999/00', PeriodType.SCHOOL_YEAR, '1999-08-01', '2000-07-31'],
    ['2023-03-01', PeriodType.STICHTAG, '2023-03-01', '2023-03-01'],
    ['2024-02-29', PeriodType.STICHTAG, '2024-02-29', '2024-02-29'],
  ])('parses %s', (code, type, start, end) => {
    expect(parsePeriod(code)).toEqual({ code, type, start, end });
    expect(periodCode(type, start)).toBe(code);
  });

  it.each(['23', '2023/25', '2023/2024', '2023-13-01', '2023-02-29', '2023-3-1', ' 2023', '2023 ', '1899', 'abcd', ''])('refuses %j', (code) => {
    expect(parsePeriod(code)).toBeUndefined();
  });
});
