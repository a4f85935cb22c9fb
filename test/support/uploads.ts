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
