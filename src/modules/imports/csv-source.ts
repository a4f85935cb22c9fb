import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { CSV_HEADERS, type CsvFormat } from '../../export/csv.writer';
import { COLUMN_NAMES, parseRow, type RawRow, type RowColumn, type RowError, type StagedRow } from './import-row';

/** The columns an upload must have; the others of the export are optional (breakdown, status, symbol) or ignored (names, unit). */
const REQUIRED: RowColumn[] = ['indicator', 'region', 'period', 'value'];

/**
 * Header → logical column, per format: the export's headers (src/export/csv.writer.ts), plus
 * `version` (the export's cell version, for conditional updates) and numerator/denominator.
 * Matched case-insensitively; unknown columns (names, unit) are ignored.
 */
const HEADERS: Record<CsvFormat, Record<string, RowColumn>> = {
  de: {
    indikator: 'indicator',
    regionalschlüssel: 'region',
    zeitraum: 'period',
    aufgliederung: 'breakdown_dimension',
    ausprägung: 'breakdown_code',
    wert: 'value',
    zähler: 'numerator',
    nenner: 'denominator',
    version: 'version',
  },
  plain: Object.fromEntries(Object.entries(COLUMN_NAMES.plain).filter(([, name]) => name !== '').map(([column, name]) => [name, column as RowColumn])),
};

/** A file-level problem (header, CSV syntax): the upload is rejected without looking at its rows. */
export interface FileProblem extends RowError {
  row: number;
}

export interface CsvSource {
  /** The rows in file order; `#` lines and blank lines are skipped. */
  rows: AsyncIterable<StagedRow>;
  /** Problems of the file as a whole, known once `rows` is consumed. */
  problems: FileProblem[];
  /** SHA-256 of the bytes read, once `rows` is consumed (the idempotency check compares it). */
  hash(): string;
}

/**
 * Reads an upload in one of the export's CSV shapes as a stream (README "Uploads"): `de` with
 * `;`, decimal comma, BOM and the trailing `#` legend lines; `plain` with `,` and a decimal
 * point. Memory stays flat: csv-parse hands over one record at a time, with backpressure.
 */
export function csvSource(body: Readable, format: CsvFormat): CsvSource {
  const hash = createHash('sha256');
  hash.update(`csv:${format}\n`);
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const problems: FileProblem[] = [];
  const parser = body.pipe(hashing).pipe(
    parse({
      delimiter: format === 'de' ? ';' : ',',
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }),
  );
  body.on('error', (err) => parser.destroy(err));
  // The iteration below surfaces the parser's errors; this keeps a second emission from going unhandled.
  parser.on('error', () => undefined);
  let digest: string | undefined;
  async function* rows(): AsyncGenerator<StagedRow> {
    let columns: Map<RowColumn, number> | undefined;
    let width = 0;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        const line = info.lines;
        if (!columns) {
          columns = new Map();
          for (const [i, name] of record.entries()) {
            const column = HEADERS[format][name.trim().toLowerCase()];
            if (column && !columns.has(column)) columns.set(column, i);
          }
          width = record.length;
          const missing = REQUIRED.filter((c) => !columns!.has(c));
          if (missing.length) {
            const names = missing.map((c) => CSV_HEADERS[format].find((h) => HEADERS[format][h.toLowerCase()] === c) ?? c);
            problems.push({ row: line, column: missing[0], code: 'MISSING_COLUMN', message: `the header lacks ${names.join(', ')} (expected the export's header: ${CSV_HEADERS[format].join(format === 'de' ? ';' : ',')})` });
          }
          continue;
        }
        if (problems.length) continue; // drain the body; nothing of a file without its header is staged
        if (record.length !== width) {
          yield { ...parseRow(emptyRaw(line), false), error: { column: 'file', code: 'MALFORMED_CSV', message: `${record.length} fields where the header has ${width}` } };
          continue;
        }
        const field = (c: RowColumn) => {
          const i = columns!.get(c);
          return i === undefined ? undefined : record[i];
        };
        const raw: RawRow = {
          row: line,
          indicator: field('indicator') ?? '',
          region: field('region') ?? '',
          period: field('period') ?? '',
          dimension: field('breakdown_dimension') ?? '',
          code: field('breakdown_code') ?? '',
          value: field('value') ?? '',
          status: field('status'),
          symbol: field('symbol'),
          numerator: field('numerator'),
          denominator: field('denominator'),
          version: field('version'),
        };
        yield parseRow(raw, format === 'de');
      }
      if (!columns) problems.push({ row: 1, column: 'file', code: 'MISSING_COLUMN', message: 'the file is empty: it needs the header line of the export' });
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      problems.push({ row: (err as CsvError & { lines?: number }).lines ?? 0, column: 'file', code: 'MALFORMED_CSV', message: err.message });
      // Read the rest, so that the client gets its answer rather than a reset connection.
      body.unpipe(hashing);
      if (!body.readableEnded) {
        body.resume();
        await finished(body).catch(() => undefined);
      }
    }
    digest = hash.digest('hex');
  }
  return {
    rows: rows(),
    problems,
    hash: () => {
      if (digest === undefined) throw new Error('the upload has not been read to its end');
      return digest;
    },
  };
}

function emptyRaw(row: number): RawRow {
  return { row, indicator: '', region: '', period: '2000', dimension: '', code: '', value: '0' };
}
