import { GraphQLDateTimeISO } from 'graphql-scalars';
import { badInput, rejectNulText } from '../graphql/errors';
import { BreakdownDimension } from '../modules/indicators/indicator.enums';
import { RegionLevel } from '../modules/regions/region.enums';
import type { IndicatorSelectionArgs, PeriodWindowArgs, RegionSelectionArgs } from '../modules/series/series.types';

/** The arguments of the `series` query, read from an export URL's query string. */
export interface ExportArgs {
  indicators: IndicatorSelectionArgs;
  regions: RegionSelectionArgs;
  window: PeriodWindowArgs;
  /** Extra parameters of the format (e.g. CSV's `format`), by name. */
  options: Record<string, string>;
}

type QueryValue = string | string[] | undefined;

/** Parameters every export takes: the `series` arguments, breakdown flattened into two. */
const SERIES_PARAMS = new Set(['indicatorCodes', 'regionCodes', 'regionLevel', 'parentCode', 'from', 'to', 'latest', 'breakdownDimension', 'breakdownCodes', 'asOf']);

/** A list parameter: comma-separated, repeated, or both (`?indicatorCodes=C1,C2&indicatorCodes=D1`). */
function list(value: QueryValue): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** A single-valued parameter; given twice is BAD_USER_INPUT (which one was meant?). */
function single(name: string, value: QueryValue): string | undefined {
  if (Array.isArray(value)) throw badInput(`"${name}" given more than once`, { argument: name });
  return value;
}

function member<T extends string>(name: string, value: string | undefined, allowed: Record<string, T>): T | undefined {
  if (value === undefined) return undefined;
  if (!(Object.values(allowed) as string[]).includes(value)) {
    throw badInput(`"${name}" must be one of ${Object.values(allowed).join(', ')}: ${value}`, { argument: name });
  }
  return value as T;
}

/** A date-time parameter, read by the same scalar (graphql-scalars' DateTimeISO) as GraphQL's `asOf`. */
function dateTime(name: string, text: string): Date {
  try {
    return GraphQLDateTimeISO.parseValue(text) as Date;
  } catch {
    throw badInput(`"${name}" must be an ISO 8601 date-time with a time zone, e.g. 2025-03-31T00:00:00Z: ${text}`, { argument: name });
  }
}

/**
 * Maps an export's query string onto the `series` arguments, checking only what the query
 * string adds (names, repetition, enum and integer syntax). Codes, periods and sizes are
 * validated by SeriesService exactly as for GraphQL. `formatOptions` names the format's own
 * parameters with their allowed values (the first is the default). Unknown parameters are
 * BAD_USER_INPUT, so a typo never silently widens an export.
 */
export function parseExportArgs(query: Record<string, QueryValue>, formatOptions: Record<string, readonly string[]> = {}): ExportArgs {
  rejectNulText(query);
  for (const name of Object.keys(query)) {
    if (!SERIES_PARAMS.has(name) && !(name in formatOptions)) throw badInput(`unknown parameter "${name}"`, { argument: name });
  }
  const latestText = single('latest', query.latest);
  if (latestText !== undefined && !/^\d{1,6}$/.test(latestText)) throw badInput(`"latest" must be an integer: ${latestText}`, { argument: 'latest' });
  const dimension = member('breakdownDimension', single('breakdownDimension', query.breakdownDimension), BreakdownDimension);
  const codes = list(query.breakdownCodes);
  if (codes && !dimension) throw badInput('"breakdownCodes" needs "breakdownDimension"', { argument: 'breakdownCodes' });
  const asOfText = single('asOf', query.asOf);
  const options: Record<string, string> = {};
  for (const [name, allowed] of Object.entries(formatOptions)) {
    options[name] = member(name, single(name, query[name]), Object.fromEntries(allowed.map((a) => [a, a]))) ?? allowed[0];
  }
  return {
    indicators: { indicatorCodes: list(query.indicatorCodes) ?? [] },
    regions: {
      regionCodes: list(query.regionCodes),
      regionLevel: member('regionLevel', single('regionLevel', query.regionLevel), RegionLevel),
      parentCode: single('parentCode', query.parentCode),
    },
    window: {
      from: single('from', query.from),
      to: single('to', query.to),
      latest: latestText === undefined ? undefined : Number(latestText),
      breakdown: dimension ? { dimension, codes } : undefined,
      asOf: asOfText === undefined ? undefined : dateTime('asOf', asOfText),
    },
    options,
  };
}
