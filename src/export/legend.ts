import type { RequestContext } from '../graphql/context';
import type { Indicator } from '../modules/indicators/indicator.entity';
import { ObservationStatus } from '../modules/series/observation.enums';
import type { ExportCell, ExportSelection } from './export-source';

/**
 * The symbols of official statistics with their German meaning, as in
 * seeds/reference/status-codes.csv (test/export.test.ts keeps the two equal). Written into every
 * export beside the data, so that a table read on its own explains itself.
 */
export const SYMBOL_LEGEND: ReadonlyArray<readonly [symbol: string, meaning: string]> = [
  ['-', 'nichts vorhanden (genau null)'],
  ['0', 'weniger als die Hälfte von 1 in der letzten besetzten Stelle, jedoch mehr als nichts'],
  ['.', 'Zahlenwert unbekannt oder geheim zu halten'],
  ['x', 'Tabellenfach gesperrt, weil Aussage nicht sinnvoll'],
  ['...', 'Angabe fällt später an'],
  ['/', 'keine Angaben, da Zahlenwert nicht sicher genug'],
  ['( )', 'Aussagewert eingeschränkt'],
  ['p', 'vorläufige Zahl'],
  ['r', 'berichtigte Zahl'],
  ['s', 'geschätzte Zahl'],
];

/**
 * A cell as a German table shows it: the value with the indicator's decimal places and a decimal
 * comma (`59,0`, never `59` for a rate shown with one decimal) and its qualifier (`59,4 p`, also
 * `r`, `s`), `(12,5)` for limited reliability, or the symbol alone where it stands for the value
 * (`.`, `-`, `x`, `...`, `/`, `0`). `format=plain` keeps the stored precision instead.
 */
export function germanCell(value: number | null, symbol: string, decimals: number): string {
  if (value === null) return symbol || '.';
  if (symbol === '-' || symbol === '0') return symbol;
  const number = value.toFixed(decimals).replace('.', ',');
  if (symbol === '( )') return `(${number})`;
  return symbol ? `${number} ${symbol}` : number;
}

/** One source note per indicator: `Quelle C1: …`. */
export function sourceNotes(indicators: Indicator[]): string[] {
  return indicators.map((i) => `Quelle ${i.code}: ${i.source}`);
}

/** `Stand: …` for an export read with `asOf`: which state of the data the file shows. */
export function asOfNote(sel: ExportSelection): string[] {
  return sel.window.asOf ? [`Stand: ${sel.window.asOf.toISOString()} (Werte, wie sie zu diesem Zeitpunkt bekannt waren)`] : [];
}

/**
 * The series breaks of an export, explained: the cells with status `B` are collected while the
 * export streams (one entry per indicator × definition version × period, not per cell), and
 * written as notes beside the legend, e.g. `Zeitreihenbruch G2 ab 2022: Definition Version 2,
 * Bevölkerungsbasis Zensus 2022 – …`. CSV `format=de` has no status column, so this is where its
 * readers learn of a break.
 */
export class BreakNotes {
  private readonly seen = new Map<string, { indicator: Indicator; version: number; period: string }>();

  add(c: ExportCell): void {
    if (c.status !== ObservationStatus.B) return;
    const key = `${c.indicator.id}|${c.definitionVersion}|${c.period}`;
    if (!this.seen.has(key)) this.seen.set(key, { indicator: c.indicator, version: c.definitionVersion, period: c.period });
  }

  async notes(ctx: RequestContext): Promise<string[]> {
    const entries = [...this.seen.values()];
    const histories = await ctx.loaders.definitionsByIndicatorId.loadMany([...new Set(entries.map((e) => e.indicator.id))]);
    const definitions = new Map(histories.flatMap((h) => (Array.isArray(h) ? h : [])).map((d) => [`${d.indicatorId}|${d.version}`, d]));
    return entries.map(({ indicator, version, period }) => {
      const d = definitions.get(`${indicator.id}|${version}`);
      const basis = d?.populationBasis ? `, Bevölkerungsbasis ${d.populationBasis}` : '';
      return `Zeitreihenbruch ${indicator.code} ab ${period}: Definition Version ${version}${basis}${d ? ` – ${d.definition}` : ''}`;
    });
  }
}
