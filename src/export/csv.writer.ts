import type { ServerResponse } from 'node:http';
import { cellPages, writeChunk, type ExportSelection } from './export-source';
import type { RequestContext } from '../graphql/context';
import { asOfNote, BreakNotes, germanCell, SYMBOL_LEGEND, sourceNotes } from './legend';

export const CSV_FORMATS = ['de', 'plain'] as const;
export type CsvFormat = (typeof CSV_FORMATS)[number];

/**
 * Column headers (README "Exports"): a public contract, like the GraphQL schema. The last column,
 * `version` in both formats, is the cell's version: an upload of an edited export sends it back
 * as the version its edit is based on (a conditional update).
 */
export const CSV_HEADERS: Record<CsvFormat, string[]> = {
  de: ['Indikator', 'Indikatorname', 'Regionalschlüssel', 'Region', 'Zeitraum', 'Aufgliederung', 'Ausprägung', 'Wert', 'Einheit', 'version'],
  plain: ['indicator', 'region', 'period', 'breakdown_dimension', 'breakdown_code', 'value', 'status', 'symbol', 'unit', 'version'],
};

/** RFC 4180: a field with the separator, a quote or a line break is quoted, quotes doubled. */
function field(text: string, separator: string): string {
  return text.includes(separator) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Streams a selection as CSV, one page of cells per write, waiting for the socket to drain.
 * `de`: what German spreadsheet software opens as is (`;`, decimal comma, BOM, CRLF, symbols in
 * the value column), then `#` lines with the legend, the sources and the retrieval time.
 * `plain`: for programs (`,`, decimal point, LF, status and symbol in their own columns).
 */
export async function writeCsv(ctx: RequestContext, sel: ExportSelection, res: ServerResponse, format: CsvFormat): Promise<void> {
  const de = format === 'de';
  const separator = de ? ';' : ',';
  const eol = de ? '\r\n' : '\n';
  const line = (fields: string[]) => fields.map((f) => field(f, separator)).join(separator) + eol;
  const pages = await cellPages(ctx, sel);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
  res.setHeader('Content-Disposition', 'attachment; filename="series.csv"');
  await writeChunk(res, (de ? '\uFEFF' : '') + line(CSV_HEADERS[format]));
  const breaks = new BreakNotes();
  for await (const cells of pages) {
    let chunk = '';
    for (const c of cells) {
      breaks.add(c);
      const version = String(c.version);
      chunk += de
        ? line([c.indicator.code, c.indicator.name, c.region.code, c.region.name, c.period, c.breakdownDimension, c.breakdownCode, germanCell(c.value, c.symbol, c.indicator.decimals), c.indicator.unit, version])
        : line([c.indicator.code, c.region.code, c.period, c.breakdownDimension, c.breakdownCode, c.value === null ? '' : String(c.value), c.status, c.symbol, c.indicator.unit, version]);
    }
    if (chunk) await writeChunk(res, chunk);
  }
  if (de) {
    const notes = [
      'Zeichenerklärung:',
      ...SYMBOL_LEGEND.map(([symbol, meaning]) => `${symbol} = ${meaning}`),
      ...(await breaks.notes(ctx)),
      ...sourceNotes(sel.indicators),
      ...asOfNote(sel),
      `Abgerufen: ${sel.retrievedAt.toISOString()}`,
    ];
    // One physical line each, whatever a source text contains: readers skip lines starting with #.
    await writeChunk(res, notes.map((n) => `# ${n.replace(/[\r\n]+/g, ' ')}${eol}`).join(''));
  }
}
