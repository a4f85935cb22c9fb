import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CSV_HEADERS, type CsvFormat } from '../../export/csv.writer';
import { COLUMN_NAMES, type RawLayout, type RowColumn, type RowError } from './import-row';

/** The columns an upload must have; the others of the export are optional (breakdown, status, symbol) or ignored (names, unit). */
const REQUIRED: RowColumn[] = ['indicator', 'region', 'period', 'value'];
/** Most columns a header may have (a table has at most 1,600; the export writes 10). */
export const MAX_COLUMNS = 1000;
/** Longest row, in characters: a longer one is not a table row (and would have to be held whole). */
export const MAX_ROW = 1 << 20;
/** Rows per batch when the rows are staged with INSERTs (the embedded database). */
const BATCH = 5000;

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

/** One row of an upload as text fields: its row number, its number of fields if that is not the header's (then no fields), the fields. */
export interface RawRecord {
  row: number;
  width: number | null;
  fields: Array<string | null>;
}

/**
 * An upload's rows before any parsing, for staging in `import_raw` (src/modules/imports/import.service.ts):
 * `open` reads up to the first row and says where the columns are; then the rows come either as
 * COPY input (`copy`: CSV lines `row_no,width,c1,…,cN` in the upload's own delimiter; only a CSV
 * source has it) or in batches of records.
 */
export interface RawSource {
  /** The layout of the fields; null when the upload has no usable header (`problems` says why). */
  open(): Promise<RawLayout | null>;
  /** The rows as COPY input (FORMAT csv, DELIMITER `delimiter`). */
  copy?: { delimiter: string; stream(): Readable };
  /** The rows in batches. */
  batches(): AsyncIterable<RawRecord[]>;
  /** Reads the rest of the upload without staging it (a replay still hashes it). */
  drain(): Promise<void>;
  /** Problems of the file as a whole, complete once the rows are consumed. */
  problems: FileProblem[];
  /** Hash of the payload; available once the rows are consumed. */
  hash(): string;
}

/** What the scanner found at a position: a record (fields as [start, end, quoted]), a skipped line, more input needed, or a syntax error. */
type Scan =
  | { kind: 'record'; end: number; next: number; lines: number; fields: number[] }
  | { kind: 'skip'; next: number }
  | { kind: 'more' }
  | { kind: 'error'; message: string };

const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * One record of RFC 4180 CSV from `i` (a line start) in `text`, as csv-parse read it before
 * (README "Uploads"): fields split by `delimiter`, `"` quotes with `""` inside, a quote elsewhere
 * in a field is an error; records end at LF, CRLF or CR; `#` lines and blank lines are skipped.
 * `final`: no more input follows. Fields come as triples in `fields`: start, end, 1 if quoted.
 */
function scanRecord(text: string, i: number, delimiter: number, final: boolean): Scan {
  const n = text.length;
  if (i >= n) return final ? { kind: 'skip', next: n } : { kind: 'more' };
  const first = text.charCodeAt(i);
  if (first === LF || first === CR) {
    if (first === CR && i + 1 >= n && !final) return { kind: 'more' };
    return { kind: 'skip', next: i + (first === CR && text.charCodeAt(i + 1) === LF ? 2 : 1) };
  }
  if (first === 35 /* # */) {
    const lf = text.indexOf('\n', i);
    if (lf < 0) return final ? { kind: 'skip', next: n } : { kind: 'more' };
    return { kind: 'skip', next: lf + 1 };
  }
  const fields: number[] = [];
  let j = i;
  let lines = 0;
  for (;;) {
    let end: number;
    if (text.charCodeAt(j) === QUOTE) {
      let k = j + 1;
      for (;;) {
        const q = text.indexOf('"', k);
        if (q < 0) return final ? { kind: 'error', message: 'a quoted field is not closed before the end of the file' } : { kind: 'more' };
        if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
          k = q + 2;
          continue;
        }
        if (q + 1 >= n && !final) return { kind: 'more' };
        for (let m = text.indexOf('\n', j); m >= 0 && m < q; m = text.indexOf('\n', m + 1)) lines++;
        if (text.indexOf('\0', j) >= 0 && text.indexOf('\0', j) < q) return { kind: 'error', message: 'the file contains a NUL character' };
        end = q + 1;
        fields.push(j, end, 1);
        break;
      }
      const c = end < n ? text.charCodeAt(end) : -1;
      if (c !== -1 && c !== delimiter && c !== LF && c !== CR) return { kind: 'error', message: `a quoted field is followed by "${text[end]}" instead of the delimiter or the end of the line` };
    } else {
      let k = j;
      for (; k < n; k++) {
        const c = text.charCodeAt(k);
        if (c === delimiter || c === LF || c === CR) break;
        if (c === QUOTE) return { kind: 'error', message: `a quote inside field ${fields.length / 3 + 1} that does not start with one` };
        if (c === 0) return { kind: 'error', message: 'the file contains a NUL character' };
      }
      if (k >= n && !final) return { kind: 'more' };
      end = k;
      fields.push(j, end, 0);
    }
    const c = end < n ? text.charCodeAt(end) : -1;
    if (c === delimiter) {
      j = end + 1;
      continue;
    }
    if (c === -1) return { kind: 'record', end, next: n, lines, fields };
    if (c === CR && end + 1 >= n && !final) return { kind: 'more' };
    return { kind: 'record', end, next: end + (c === CR && text.charCodeAt(end + 1) === LF ? 2 : 1), lines, fields };
  }
}

/**
 * Reads an upload in one of the export's CSV shapes as a stream (README "Uploads"): `de` with
 * `;`, decimal comma, BOM and the trailing `#` legend lines; `plain` with `,` and a decimal
 * point. Only the record structure is read here, one chunk at a time (memory stays flat): on a
 * server the rows go to COPY as they are, with their line number in front; their fields are
 * parsed in SQL (import-row.ts).
 */
export function csvSource(body: Readable, format: CsvFormat): RawSource {
  const hash = createHash('sha256');
  hash.update(`csv:${format}\n`);
  const delimiter = format === 'de' ? ';' : ',';
  const delimiterCode = delimiter.charCodeAt(0);
  const problems: FileProblem[] = [];
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const decoder = new StringDecoder('utf8');
  let text = '';
  let pos = 0;
  let line = 1;
  let started = false;
  let done = false;
  let width = 0;
  let digest: string | undefined;

  /** Appends the next chunk of the body to `text`; false at its end. */
  async function more(): Promise<boolean> {
    if (done) return false;
    const next = await chunks.next();
    if (next.done) {
      done = true;
      text = text.slice(pos) + decoder.end();
      pos = 0;
      digest = hash.digest('hex');
      return false;
    }
    hash.update(next.value);
    let chunk = decoder.write(next.value);
    if (!started) {
      started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    text = text.slice(pos) + chunk;
    pos = 0;
    return true;
  }

  /** The next record (or null at the end of the rows, or after a problem, which it records). */
  async function next(): Promise<{ row: number; start: number; fields: number[]; end: number } | null> {
    if (problems.length) return null;
    for (;;) {
      const scan = scanRecord(text, pos, delimiterCode, done);
      if (scan.kind === 'more') {
        if (text.length - pos > MAX_ROW) {
          problems.push({ row: line, column: 'file', code: 'MALFORMED_CSV', message: `the row is longer than ${MAX_ROW} characters` });
          return null;
        }
        await more();
        continue;
      }
      if (scan.kind === 'error') {
        problems.push({ row: line, column: 'file', code: 'MALFORMED_CSV', message: `${scan.message} (line ${line})` });
        return null;
      }
      if (scan.kind === 'skip') {
        if (scan.next >= text.length && done) return null;
        pos = scan.next;
        line++;
        continue;
      }
      if (scan.end - pos > MAX_ROW) {
        problems.push({ row: line, column: 'file', code: 'MALFORMED_CSV', message: `the row is longer than ${MAX_ROW} characters` });
        return null;
      }
      const record = { row: line, start: pos, fields: scan.fields, end: scan.end };
      pos = scan.next;
      line += 1 + scan.lines;
      return record;
    }
  }

  const field = (fields: number[], f: number): string => {
    const [s, e, quoted] = [fields[3 * f], fields[3 * f + 1], fields[3 * f + 2]];
    return quoted ? text.slice(s + 1, e - 1).replace(/""/g, '"') : text.slice(s, e);
  };

  async function drain(): Promise<void> {
    while (await more()) text = '';
  }

  return {
    async open() {
      const header = await next();
      if (!header) {
        if (!problems.length) problems.push({ row: 1, column: 'file', code: 'MISSING_COLUMN', message: 'the file is empty: it needs the header line of the export' });
        await drain();
        return null;
      }
      width = header.fields.length / 3;
      const fields: RawLayout['fields'] = {};
      for (let f = 0; f < width; f++) {
        const column = HEADERS[format][field(header.fields, f).trim().toLowerCase()];
        if (column && column !== 'file' && fields[column] === undefined) fields[column] = f + 1;
      }
      const missing = REQUIRED.filter((c) => fields[c as keyof typeof fields] === undefined);
      if (missing.length) {
        const names = missing.map((c) => CSV_HEADERS[format].find((h) => HEADERS[format][h.toLowerCase()] === c) ?? c);
        problems.push({ row: header.row, column: missing[0], code: 'MISSING_COLUMN', message: `the header lacks ${names.join(', ')} (expected the export's header: ${CSV_HEADERS[format].join(delimiter)})` });
      } else if (width > MAX_COLUMNS) {
        problems.push({ row: header.row, column: 'file', code: 'MALFORMED_CSV', message: `the header has ${width} columns; at most ${MAX_COLUMNS}` });
      }
      if (problems.length) {
        await drain();
        return null;
      }
      return { width, fields, countsGiven: String(fields.numerator !== undefined || fields.denominator !== undefined), german: format === 'de' };
    },
    copy: {
      delimiter,
      stream: () => {
        const empty = delimiter.repeat(width);
        return Readable.from(
          (async function* () {
            let out = '';
            for (let record = await next(); record; record = await next()) {
              out += record.fields.length / 3 === width
                ? `${record.row}${delimiter}${delimiter}${text.slice(record.start, record.end)}\n`
                : `${record.row}${delimiter}${record.fields.length / 3}${empty}\n`;
              if (out.length >= 1 << 16) {
                yield out;
                out = '';
              }
            }
            if (out) yield out;
            await drain();
          })(),
          { objectMode: false },
        );
      },
    },
    async *batches() {
      let batch: RawRecord[] = [];
      for (let record = await next(); record; record = await next()) {
        const n = record.fields.length / 3;
        batch.push(n === width ? { row: record.row, width: null, fields: Array.from({ length: n }, (_, f) => field(record.fields, f)) } : { row: record.row, width: n, fields: [] });
        if (batch.length === BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
      await drain();
    },
    drain,
    problems,
    hash: () => {
      if (digest === undefined) throw new Error('the upload has not been read to its end');
      return digest;
    },
  };
}
