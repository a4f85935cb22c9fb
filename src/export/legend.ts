import type { Indicator } from '../modules/indicators/indicator.entity';

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
