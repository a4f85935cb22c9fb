import fs from 'node:fs';
import path from 'node:path';
import type { TestHub } from './hub';

/** The answer of `POST /import`: the report (or an error body) with its HTTP status. */
export interface UploadResponse {
  status: number;
  body: any;
}

/** POSTs a CSV body to the hub's `/import` as a demo identity (or with a raw bearer credential). */
export async function upload(
  t: TestHub,
  csv: string,
  opts: { as?: string; bearer?: string; format?: 'de' | 'plain'; dryRun?: boolean; release?: boolean; key?: string; query?: string } = {},
): Promise<UploadResponse> {
  const params = new URLSearchParams({ format: opts.format ?? 'plain' });
  if (opts.dryRun) params.set('dryRun', 'true');
  if (opts.release) params.set('release', 'true');
  const bearer = opts.bearer ?? (opts.as ? t.tokens[opts.as] : undefined);
  const res = await fetch(`${t.baseUrl}/import?${params}${opts.query ?? ''}`, {
    method: 'POST',
    headers: {
      'content-type': 'text/csv',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(opts.key ? { 'idempotency-key': opts.key } : {}),
    },
    body: csv,
  });
  return { status: res.status, body: await res.json() };
}

/** Everything an upload could write, read as the table owner (past row-level security). */
export async function dataSnapshot(t: TestHub) {
  const [row] = await t.database.db.query(`
    SELECT (SELECT count(*) FROM observation)::int AS observations,
           (SELECT md5(string_agg(concat_ws('|', id, value, status, symbol, version, superseded_at, release_state, released_at, suppressed), ',' ORDER BY id)) FROM observation) AS cells,
           (SELECT count(*) FROM observation_audit)::int AS audit,
           (SELECT count(*) FROM data_release)::int AS releases`);
  return row;
}

/** A plain CSV (the export's `format=plain` header) from rows of its columns. */
export function plainCsv(rows: Array<Partial<Record<'indicator' | 'region' | 'period' | 'breakdown_dimension' | 'breakdown_code' | 'value' | 'status' | 'symbol' | 'unit' | 'version' | 'numerator' | 'denominator', string>>>, extra: string[] = []): string {
  const header = ['indicator', 'region', 'period', 'breakdown_dimension', 'breakdown_code', 'value', 'status', 'symbol', 'unit', ...extra];
  return [header.join(','), ...rows.map((r) => header.map((h) => (r as Record<string, string>)[h] ?? '').join(','))].join('\n') + '\n';
}

/**
 * Writes a large valid plain CSV for the statistical office's territory (the Land, its 14 Kreise,
 * the 67 Gemeinden of the demo data) × 11 calendar-year indicators × `yearCount` years that the
 * demo data does not hold (1900–1989, then 2030–2199; 260 at most): with all 260, 234,520 rows,
 * about 9 MB. Returns the number of rows.
 */
export async function writeLargeUpload(file: string, yearCount = 260): Promise<number> {
  const reference = path.resolve(__dirname, '../../seeds/reference');
  const codes = (name: string) => fs.readFileSync(path.join(reference, name), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]);
  const regions = [...codes('regions-sachsen-anhalt.csv'), ...codes('gemeinden-15084-15083.csv')];
  const indicators = ['A1', 'A2', 'A3', 'C1', 'C2', 'C3', 'C4', 'C5', 'D1b', 'G2', 'G3'];
  const years = [...Array(90).keys()].map((i) => 1900 + i).concat([...Array(170).keys()].map((i) => 2030 + i)).slice(0, yearCount);
  const out = fs.createWriteStream(file);
  out.write('indicator,region,period,breakdown_dimension,breakdown_code,value,status,symbol,unit\n');
  let rows = 0;
  for (const indicator of indicators) {
    for (const region of regions) {
      let chunk = '';
      for (const year of years) {
        chunk += `${indicator},${region},${year},,_T,${5 + (rows % 7)},A,,x\n`;
        rows++;
      }
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return rows;
}
