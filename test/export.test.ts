import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import JSONstat from 'jsonstat-toolkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADERS } from '../src/export/csv.writer';
import { germanCell, SYMBOL_LEGEND } from '../src/export/legend';
import { XLSX_HEADERS } from '../src/export/xlsx.writer';
import { startTestHub, type TestHub } from './support/hub';

/*
 * The exports read back with real readers (csv-parse, jsonstat-toolkit, exceljs) and compared
 * cell by cell with GraphQL's `series` for the same arguments and the same identity.
 *
 * Demo facts (seeds/demo-data.ts): K15083-VHS (Börde; by sex; Kreis 15083 and its Gemeinden)
 * has 2020–2023 released and 2024 as a draft, with small counts suppressed for the public; the
 * Land (land-analyst) holds a COUNTS agreement for it. G1 is `x` (not applicable) at Kreis level.
 */
interface Cell {
  value: number | null;
  status?: string;
  symbol: string;
}
/** indicator|region|breakdown code|period → cell. */
type Cells = Map<string, Cell>;
const key = (indicator: string, region: string, code: string, period: string) => [indicator, region, code, period].join('|');

interface Case {
  name: string;
  graphql: string;
  query: string;
}
const CASES: Case[] = [
  {
    name: 'VHS by sex in Börde and its Gemeinden',
    graphql: 'indicatorCodes: ["K15083-VHS"], regionLevel: GEMEINDE, parentCode: "15083", breakdown: { dimension: SEX, codes: ["_T", "F", "M"] }',
    query: 'indicatorCodes=K15083-VHS&regionLevel=GEMEINDE&parentCode=15083&breakdownDimension=SEX&breakdownCodes=_T,F,M',
  },
  {
    name: 'several indicators and regions in a period range',
    graphql: 'indicatorCodes: ["C1", "D1", "G1", "G2", "K15083-VHS"], regionCodes: ["15", "15083", "15084", "15002"], from: "2015", to: "2024"',
    query: 'indicatorCodes=C1,D1&indicatorCodes=G1,G2,K15083-VHS&regionCodes=15,15083,15084,15002&from=2015&to=2024',
  },
  { name: 'the latest two periods', graphql: 'indicatorCodes: ["C6"], regionLevel: KREIS, latest: 2', query: 'indicatorCodes=C6&regionLevel=KREIS&latest=2' },
];
const IDENTITIES = [undefined, 'land-analyst', 'boerde-viewer'];

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

function get(pathAndQuery: string, as?: string, token?: string): Promise<Response> {
  const authorization = token ?? (as ? `Bearer ${t.tokens[as]}` : undefined);
  return fetch(`${t.baseUrl}/export/${pathAndQuery}`, { headers: authorization ? { authorization } : {} });
}

async function ok(pathAndQuery: string, as?: string): Promise<Response> {
  const res = await get(pathAndQuery, as);
  if (res.status !== 200) throw new Error(`${pathAndQuery} as ${as}: ${res.status} ${await res.text()}`);
  return res;
}

async function viaGraphql(args: string, as?: string): Promise<Cells> {
  const d = await t.data(`{ series(${args}) { indicator { code } region { code } breakdown { code } points { period value status symbol } } }`, undefined, as);
  const cells: Cells = new Map();
  for (const s of d.series) {
    for (const p of s.points) cells.set(key(s.indicator.code, s.region.code, s.breakdown?.code ?? '_T', p.period), { value: p.value, status: p.status, symbol: p.symbol });
  }
  return cells;
}

/** Without status: the German formats show the symbol only. */
const withoutStatus = (cells: Cells): Cells => new Map([...cells].map(([k, { value, symbol }]) => [k, { value, symbol }]));

/**
 * Reads a `format=de` value back, independently of the writer: `59,4`, `59,4 p`, `(12,5)`,
 * or a symbol alone (`-` and `0` have the value 0, the others none).
 */
function germanValue(text: string): { value: number | null; symbol: string } {
  const number = (s: string) => Number(s.replace(',', '.'));
  let m = /^(-?\d+(?:,\d+)?)(?: (p|r|s))?$/.exec(text);
  if (m) return { value: number(m[1]), symbol: m[2] ?? '' };
  m = /^\((-?\d+(?:,\d+)?)\)$/.exec(text);
  if (m) return { value: number(m[1]), symbol: '( )' };
  if (text === '-' || text === '0') return { value: 0, symbol: text };
  expect(['.', 'x', '...', '/']).toContain(text);
  return { value: null, symbol: text };
}

async function csvCells(query: string, as?: string): Promise<Cells> {
  const text = await (await ok(`series.csv?format=plain&${query}`, as)).text();
  const rows: Array<Record<string, string>> = parse(text, { columns: true });
  return new Map(rows.map((r) => [key(r.indicator, r.region, r.breakdown_code, r.period), { value: r.value === '' ? null : Number(r.value), status: r.status, symbol: r.symbol }]));
}

async function germanCsvCells(query: string, as?: string): Promise<Cells> {
  const text = await (await ok(`series.csv?${query}`, as)).text();
  const rows: Array<Record<string, string>> = parse(text, { columns: true, delimiter: ';', bom: true, comment: '#', comment_no_infix: true });
  return new Map(rows.map((r) => [key(r.Indikator, r['Regionalschlüssel'], r['Ausprägung'], r.Zeitraum), germanValue(r.Wert)]));
}

async function jsonStatCells(query: string, as?: string): Promise<Cells> {
  const json = await (await ok(`series.json?${query}`, as)).json();
  const ds = JSONstat(json);
  expect(ds.class).toBe('dataset');
  const breakdown = ds.id[3];
  const cells: Cells = new Map();
  ds.Unflatten((c, { value, status }, index) => {
    // A combination without a visible cell has no status: it is not a cell of the series.
    if (status !== null) cells.set(key(c.indicator, c.region, breakdown ? c[breakdown] : '_T', c.period), { value, status, symbol: ds.extension.symbol[index] ?? '' });
    return undefined;
  });
  return cells;
}

async function xlsxCells(query: string, as?: string): Promise<Cells> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(await (await ok(`series.xlsx?${query}`, as)).arrayBuffer());
  const cells: Cells = new Map();
  workbook.getWorksheet('Daten')!.eachRow((row, n) => {
    const v = (row.values as unknown[]).slice(1) as Array<string | number>;
    if (n === 1) return void expect(v).toEqual(XLSX_HEADERS);
    const [indicator, , region, , period, , code, value, symbol] = Array.from({ length: XLSX_HEADERS.length }, (_, i) => v[i] ?? ''); // empty cells read as holes
    cells.set(key(String(indicator), String(region), String(code), String(period)), { value: typeof value === 'number' ? value : null, symbol: String(symbol) });
    if (typeof value !== 'number') expect(value).toBe(symbol);
  });
  return cells;
}

describe('exports equal GraphQL cell by cell', () => {
  const symbolsSeen = new Set<string>();
  for (const c of CASES) {
    for (const as of IDENTITIES) {
      it(`${c.name}, as ${as ?? 'the public'}`, async () => {
        const expected = await viaGraphql(c.graphql, as);
        expect(expected.size).toBeGreaterThan(0);
        for (const cell of expected.values()) symbolsSeen.add(cell.symbol);
        expect(await csvCells(c.query, as)).toEqual(expected);
        expect(await jsonStatCells(c.query, as)).toEqual(expected);
        expect(await germanCsvCells(c.query, as)).toEqual(withoutStatus(expected));
        expect(await xlsxCells(c.query, as)).toEqual(withoutStatus(expected));
      });
    }
  }
  it('the cases cover a plain value and the symbols of the demo data', () => {
    expect([...symbolsSeen].sort()).toEqual(['', '.', '...', 'p', 'x'].sort()); // `-`, `( )`: see germanCell below
  });
});

describe('access rules hold in the exports', () => {
  const query = CASES[0].query;
  it('the public gets suppressed cells as `.`, the Land (counts agreement) their values; drafts only for the owner', async () => {
    const [pub, land, owner] = await Promise.all(IDENTITIES.map((as) => csvCells(query, as)));
    const suppressed = [...pub].filter(([, c]) => c.status === 'Q');
    expect(suppressed.length).toBeGreaterThan(0);
    for (const [k, c] of suppressed) {
      expect(c).toEqual({ value: null, status: 'Q', symbol: '.' });
      expect(land.get(k)!.value).not.toBeNull();
    }
    const periods = (cells: Cells) => new Set([...cells.keys()].map((k) => k.split('|')[3]));
    expect(periods(pub)).not.toContain('2024');
    expect(periods(land)).not.toContain('2024');
    expect(periods(owner)).toContain('2024');
  });
});

describe('CSV format=de', () => {
  it('has a BOM, `;`, CRLF, decimal comma, the documented header and `#` lines with legend, sources and time', async () => {
    const res = await ok('series.csv?format=de&indicatorCodes=C1,K15083-VHS&regionCodes=15,15083');
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.slice(0, -2).split('\r\n');
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    expect(lines[0]).toBe(CSV_HEADERS.de.join(';'));
    expect(lines.some((l) => /;\d+,\d+;[^;]*;\d+$/.test(l))).toBe(true); // a decimal comma in Wert, then Einheit and version
    expect(lines.filter((l) => !l.startsWith('#')).slice(1).every((l) => /;[1-9]\d*$/.test(l))).toBe(true); // every cell's version
    const notes = lines.filter((l) => l.startsWith('#'));
    expect(lines.slice(-notes.length)).toEqual(notes); // trailing, after all data
    expect(notes).toContain('# . = Zahlenwert unbekannt oder geheim zu halten');
    expect(notes.some((n) => n.startsWith('# Quelle C1: '))).toBe(true);
    expect(notes.some((n) => n.startsWith('# Quelle K15083-VHS: '))).toBe(true);
    expect(notes.some((n) => /^# Abgerufen: \d{4}-\d\d-\d\dT/.test(n))).toBe(true);
  });

  it('plain has no BOM, LF line ends, the documented header and no `#` lines', async () => {
    const text = await (await ok('series.csv?format=plain&indicatorCodes=C1&regionCodes=15')).text();
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    expect(text).not.toContain('\r');
    expect(text.split('\n')[0]).toBe(CSV_HEADERS.plain.join(','));
    expect(text).not.toMatch(/^#/m);
  });

  it('writes a cell as German tables do', () => {
    expect([germanCell(59.4, 'p', 1), germanCell(1234, '', 0), germanCell(0, '-', 0), germanCell(12.5, '( )', 1), germanCell(null, '...', 1), germanCell(null, '.', 1), germanCell(59, '', 1)]).toEqual([
      '59,4 p',
      '1234',
      '-',
      '(12,5)',
      '...',
      '.',
      '59,0',
    ]);
    expect(['59,4 p', '1234', '-', '(12,5)', '...'].map(germanValue)).toEqual([
      { value: 59.4, symbol: 'p' },
      { value: 1234, symbol: '' },
      { value: 0, symbol: '-' },
      { value: 12.5, symbol: '( )' },
      { value: null, symbol: '...' },
    ]);
  });

  it('the legend is the one of seeds/reference/status-codes.csv', () => {
    const rows: Array<Record<string, string>> = parse(fs.readFileSync(path.join(__dirname, '../seeds/reference/status-codes.csv')), { columns: true });
    expect(SYMBOL_LEGEND.map(([s, m]) => [s, m])).toEqual(rows.filter((r) => r.symbol !== '').map((r) => [r.symbol, r.meaning_de]));
  });
});

describe('JSON-stat and XLSX metadata', () => {
  it('JSON-stat carries labels, roles, source, updated and the symbol legend', async () => {
    const ds = JSONstat(await (await ok('series.json?indicatorCodes=C1&regionCodes=15,15083&breakdownDimension=SEX')).json());
    expect(ds.id).toEqual(['indicator', 'region', 'period', 'SEX']);
    expect(ds.Dimension('region')!.Category('15')!.label).toBe('Sachsen-Anhalt');
    expect(ds.role.time).toEqual(['period']);
    expect(ds.source).toMatch(/^Quelle C1: /);
    expect(Date.parse(ds.updated)).not.toBeNaN();
    expect(ds.extension.symbols['.']).toBe('Zahlenwert unbekannt oder geheim zu halten');
  });

  it('XLSX has the sheet "Legende" with symbols and sources', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await (await ok('series.xlsx?indicatorCodes=C1&regionCodes=15')).arrayBuffer());
    expect(workbook.worksheets.map((w) => w.name)).toEqual(['Daten', 'Legende']);
    const texts: string[] = [];
    workbook.getWorksheet('Legende')!.eachRow((row) => texts.push((row.values as unknown[]).slice(1).join(' = ')));
    expect(texts).toContain('x = Tabellenfach gesperrt, weil Aussage nicht sinnvoll');
    expect(texts.some((l) => l.startsWith('Quelle C1: '))).toBe(true);
  });
});

describe('errors', () => {
  async function failure(pathAndQuery: string, status: number, code: string, as = 'land-analyst', token?: string) {
    const reads = async () => (await t.database.db.query('SELECT count(*)::int AS n FROM agreement_read'))[0].n;
    const before = await reads();
    const res = await get(pathAndQuery, as, token);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe(code);
    expect(await reads()).toBe(before); // nothing written, not even a read log
    return body.errors[0];
  }

  it('unknown codes are BAD_USER_INPUT naming them, in every format', async () => {
    for (const file of ['series.csv', 'series.json', 'series.xlsx']) {
      const error = await failure(`${file}?indicatorCodes=K15083-VHS,NOPE&regionCodes=15083,99999`, 400, 'BAD_USER_INPUT');
      expect(error.extensions.unknownCodes).toEqual(['NOPE']);
    }
    const error = await failure('series.csv?indicatorCodes=C1&regionCodes=15083,99999', 400, 'BAD_USER_INPUT');
    expect(error.extensions.unknownCodes).toEqual(['99999']);
  });

  it('a malformed period, `from` after `to`, a bad level, latest or format are BAD_USER_INPUT naming the parameter', async () => {
    for (const [query, argument] of [
      ['from=20x5', 'from'],
      ['from=2024&to=2020', 'from'],
      ['latest=two', 'latest'],
      ['regionLevel=DORF', 'regionLevel'],
      ['format=xls', 'format'],
      ['breakdownCodes=F', 'breakdownCodes'],
      ['from=2020&from=2021', 'from'],
    ]) {
      const error = await failure(`series.csv?indicatorCodes=C1&regionCodes=15&${query}`, 400, 'BAD_USER_INPUT');
      expect(error.extensions.argument).toBe(argument);
    }
  });

  it('an unknown parameter, and an `asOf` that is not a date-time with a time zone, are BAD_USER_INPUT', async () => {
    expect((await failure('series.json?indicatorCodes=C1&regionCodes=15&regioncodes=15', 400, 'BAD_USER_INPUT')).extensions.argument).toBe('regioncodes');
    expect((await failure('series.json?indicatorCodes=C1&regionCodes=15&format=de', 400, 'BAD_USER_INPUT')).extensions.argument).toBe('format');
    expect((await failure('series.csv?indicatorCodes=C1&regionCodes=15&asOf=2024-01-01', 400, 'BAD_USER_INPUT')).extensions.argument).toBe('asOf');
  });

  it('a bad token is UNAUTHENTICATED (401)', async () => {
    await failure('series.csv?indicatorCodes=C1&regionCodes=15', 401, 'UNAUTHENTICATED', undefined, 'Bearer not-a-token');
    await failure('series.xlsx?indicatorCodes=C1&regionCodes=15', 401, 'UNAUTHENTICATED', undefined, 'Bearer not-a-token');
  });
});

describe('a client that leaves mid-export', () => {
  it('ends the export and its transaction: the next requests are served', async () => {
    const indicators = 'C1,C2,C3,C4,C5,C6,D1,D6,G1,G2,K15083-VHS';
    const url = `${t.baseUrl}/export/series.csv?indicatorCodes=${indicators}&regionLevel=GEMEINDE`;
    const firstChunk = await new Promise<number>((resolve, reject) => {
      const req = http.get(url, (res) => {
        res.once('data', (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.length);
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    expect(firstChunk).toBeGreaterThan(0);
    // On the embedded database, a transaction left open would block every later request.
    expect((await csvCells('indicatorCodes=C1&regionCodes=15')).size).toBeGreaterThan(0);
    expect((await t.data('{ regions(codes: ["15"]) { code } }')).regions).toHaveLength(1);
  });
});

describe('limits', () => {
  let small: TestHub;
  beforeAll(async () => {
    small = await startTestHub({ maxCells: 40 });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('a page over QUERY_MAX_CELLS, and a JSON-stat export over it in all, are QUERY_TOO_COMPLEX (413)', async () => {
    const fetchExport = (q: string) => fetch(`${small.baseUrl}/export/${q}`);
    // One page: 15 Gemeinden-sized pages are not needed; 14 Kreise × ~28 years exceeds 40 cells.
    let res = await fetchExport('series.csv?indicatorCodes=C1&regionLevel=KREIS');
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    // Each page within the limit (one indicator × one region × 2 periods), the JSON-stat total over it.
    const many = 'indicatorCodes=C1,C2,C3,C4,C5,C6,D1,D6&regionCodes=15,15083,15084&latest=2';
    expect((await fetchExport(`series.csv?${many}`)).status).toBe(200);
    res = await fetchExport(`series.json?${many}`);
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });
});
