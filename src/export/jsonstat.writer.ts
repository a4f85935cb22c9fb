import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../graphql/context';
import { HubError } from '../graphql/errors';
import { TOTAL_CODE } from '../modules/indicators/indicator.enums';
import { parsePeriod } from '../modules/series/period';
import { cellPages, writeChunk, type ExportCell, type ExportSelection } from './export-source';
import { asOfNote, BreakNotes, SYMBOL_LEGEND, sourceNotes } from './legend';

/**
 * The selection as a JSON-stat 2.0 dataset: dimensions indicator × region × period
 * (× the breakdown dimension, when one was asked for), `value` with null where no cell is
 * visible, `status` the SDMX status letter per cell, and in `extension` the symbol of official
 * statistics per cell (`symbol`, by index) and their legend (`symbols`).
 *
 * Unlike CSV and XLSX, the dataset is built in memory: its `dimension` must list every period
 * before `value` can be indexed, and `value`, `status` and the symbols are separate arrays, so
 * one streaming pass cannot write it. It is therefore bounded by the cells actually returned:
 * more than `QUERY_MAX_CELLS` → QUERY_TOO_COMPLEX, before any byte is written (README "Exports").
 */
export async function writeJsonStat(ctx: RequestContext, sel: ExportSelection, res: ServerResponse): Promise<void> {
  const cells: ExportCell[] = [];
  for await (const page of await cellPages(ctx, sel)) {
    const limit = ctx.config.maxCells;
    if (cells.length + page.length > limit) {
      throw new HubError('QUERY_TOO_COMPLEX', `a JSON-stat export has at most ${limit} cells; use CSV or XLSX, or split the request`, { limit });
    }
    for (const cell of page) cells.push(cell); // not push(...page): a page can exceed the argument limit
  }
  const periods = [...new Set(cells.map((c) => c.period))].sort((a, b) => parsePeriod(a)!.start.localeCompare(parsePeriod(b)!.start) || a.localeCompare(b));
  const breakdown = sel.window.breakdown;
  const codes = breakdown ? (breakdown.codes ?? [TOTAL_CODE, ...new Set(cells.map((c) => c.breakdownCode).filter((c) => c !== TOTAL_CODE))]) : [];
  const ids = ['indicator', 'region', 'period', ...(breakdown ? [breakdown.dimension] : [])];
  const size = [sel.indicators.length, sel.regions.length, periods.length, ...(breakdown ? [codes.length] : [])];
  const position = (list: string[]) => new Map(list.map((code, i) => [code, i]));
  const [indicatorAt, regionAt, periodAt, codeAt] = [position(sel.indicators.map((i) => i.code)), position(sel.regions.map((r) => r.code)), position(periods), position(codes)];
  const value: Array<number | null> = new Array(size.reduce((a, b) => a * b, 1)).fill(null);
  const status: Record<number, string> = {};
  const symbol: Record<number, string> = {};
  const version: Record<number, number> = {};
  const breaks = new BreakNotes();
  for (const c of cells) {
    let index = (indicatorAt.get(c.indicator.code)! * size[1] + regionAt.get(c.region.code)!) * size[2] + periodAt.get(c.period)!;
    if (breakdown) index = index * size[3] + codeAt.get(c.breakdownCode)!;
    value[index] = c.value;
    status[index] = c.status;
    version[index] = c.version;
    if (c.symbol) symbol[index] = c.symbol;
    breaks.add(c);
  }
  const labels = <T>(items: T[], code: (t: T) => string, label: (t: T) => string) => ({
    index: items.map(code),
    label: Object.fromEntries(items.map((t) => [code(t), label(t)])),
  });
  const dimension: Record<string, unknown> = {
    indicator: {
      label: 'Indikator',
      category: { ...labels(sel.indicators, (i) => i.code, (i) => i.name), unit: Object.fromEntries(sel.indicators.map((i) => [i.code, { label: i.unit, decimals: i.decimals }])) },
    },
    region: { label: 'Region', category: labels(sel.regions, (r) => r.code, (r) => r.name) },
    period: { label: 'Zeitraum', category: labels(periods, (p) => p, (p) => p) },
  };
  if (breakdown) dimension[breakdown.dimension] = { label: `Aufgliederung ${breakdown.dimension}`, category: labels(codes, (c) => c, (c) => c) };
  const dataset = {
    version: '2.0',
    class: 'dataset',
    label: 'KoBi Data Hub: Zeitreihen',
    source: sourceNotes(sel.indicators).join('; '),
    updated: sel.retrievedAt.toISOString(),
    id: ids,
    size,
    role: { metric: ['indicator'], geo: ['region'], time: ['period'] },
    dimension,
    value,
    status,
    note: [
      'Fehlende Werte (null) tragen ihr Zeichen in extension.symbol; Zeichenerklärung in extension.symbols.',
      'Status B: erster Wert nach einem Zeitreihenbruch (geänderte Definition oder Bevölkerungsbasis). extension.version: Version jedes Werts (1 = erste Meldung, jede Berichtigung eine mehr).',
      ...(await breaks.notes(ctx)),
      ...asOfNote(sel),
    ],
    extension: { symbol, version, symbols: Object.fromEntries(SYMBOL_LEGEND), asOf: sel.window.asOf?.toISOString() ?? null },
  };
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Disposition', 'attachment; filename="series.json"');
  await writeChunk(res, JSON.stringify(dataset));
}
