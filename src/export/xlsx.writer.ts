import type { ServerResponse } from 'node:http';
import ExcelJS from 'exceljs';
import type { RequestContext } from '../graphql/context';
import { CSV_HEADERS } from './csv.writer';
import { cellPages, drained, type ExportSelection } from './export-source';
import { asOfNote, BreakNotes, SYMBOL_LEGEND, sourceNotes } from './legend';

/**
 * Columns of the sheet "Daten": those of CSV `format=de` up to `Einheit`, with the symbol beside
 * the value, then the SDMX status (e.g. `B`, series break) and the version, appended so that
 * readers by position of earlier files keep working.
 */
export const XLSX_HEADERS = [...CSV_HEADERS.de.slice(0, 8), 'Zeichen', 'Einheit', 'Status', 'version'];

/**
 * Streams a selection as an XLSX workbook (exceljs' streaming writer: rows are committed and
 * zipped as they come, no shared-strings table that would grow with the result). Sheet "Daten":
 * one row per cell, `Wert` a number where the cell has a value, else its symbol as text, and
 * `Zeichen` the symbol of official statistics. Sheet "Legende": the symbols, the sources and the
 * retrieval time. The workbook ends the response itself.
 */
export async function writeXlsx(ctx: RequestContext, sel: ExportSelection, res: ServerResponse): Promise<void> {
  const pages = await cellPages(ctx, sel);
  res.setHeader('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  res.setHeader('Content-Disposition', 'attachment; filename="series.xlsx"');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: res, useStyles: false, useSharedStrings: false });
  workbook.created = sel.retrievedAt;
  const data = workbook.addWorksheet('Daten');
  data.addRow(XLSX_HEADERS).commit();
  const breaks = new BreakNotes();
  for await (const cells of pages) {
    for (const c of cells) {
      breaks.add(c);
      data
        .addRow([c.indicator.code, c.indicator.name, c.region.code, c.region.name, c.period, c.breakdownDimension || null, c.breakdownCode, c.value ?? (c.symbol || '.'), c.symbol || null, c.indicator.unit, c.status, c.version])
        .commit();
    }
    // The rows of a page went into the zip stream; wait until the socket took them.
    await drained(res);
  }
  data.commit();
  const legend = workbook.addWorksheet('Legende');
  legend.addRow(['Zeichen', 'Bedeutung']).commit();
  for (const [symbol, meaning] of SYMBOL_LEGEND) legend.addRow([symbol, meaning]).commit();
  legend.addRow([]).commit();
  for (const note of [...(await breaks.notes(ctx)), ...sourceNotes(sel.indicators), ...asOfNote(sel)]) legend.addRow([note]).commit();
  legend.addRow([`Abgerufen: ${sel.retrievedAt.toISOString()}`]).commit();
  legend.commit();
  await workbook.commit();
}
