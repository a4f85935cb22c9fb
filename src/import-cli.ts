import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { progressBar } from './cli/progress';
import { ConfigError, loadImportCliConfig } from './config';

const USAGE = `usage: npm run import -- FILE [--format de|plain] [--url URL] [--key KEY] [--dry-run] [--release] [--release-reason TEXT] [--idempotency-key K]
  FILE                 a CSV file in the shape of the hub's CSV export (format de or plain)
  --format             de (;, decimal comma) or plain (,, decimal point); default: recognised from the header line
  --url                the hub (default KOBI_URL, else http://localhost:4000)
  --key                API key with scope READ_WRITE, or a token (default KOBI_API_KEY)
  --dry-run            check and count only; nothing is written
  --release            release the uploaded cells at once (Freigabe)
  --release-reason     why they are released (Begründung)
  --idempotency-key    a key that makes a retried upload a no-op that answers the first report`;

/** Exit codes: 0 committed, dry run or replayed; 1 rows refused (nothing written); 2 the request failed. */
const EXIT = { ok: 0, rejected: 1, failed: 2 } as const;

/** `de` when the header line uses `;` (the German export), else `plain`. */
function detectFormat(file: string): 'de' | 'plain' {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const firstLine = head.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[0];
    return firstLine.includes(';') ? 'de' : 'plain';
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `npm run import -- FILE …` (README "Uploads"): streams a CSV file to a running hub's
 * `POST /import` with an API key, showing the bytes sent on stderr, and prints the hub's report.
 * It never touches the database: every rule is the hub's (one pipeline, one set of rules).
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      release: { type: 'boolean', default: false },
      'release-reason': { type: 'string' },
      'idempotency-key': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new ConfigError(USAGE);
  const config = loadImportCliConfig();
  const file = positionals[0];
  const size = fs.statSync(file).size;
  const format = values.format ?? detectFormat(file);
  if (format !== 'de' && format !== 'plain') throw new ConfigError('--format must be de or plain');
  const key = values.key ?? config.apiKey;
  if (!key) throw new ConfigError('no credential: pass --key or set KOBI_API_KEY (an API key with scope READ_WRITE)');

  const url = new URL('/import', values.url ?? config.url);
  url.searchParams.set('format', format);
  if (values['dry-run']) url.searchParams.set('dryRun', 'true');
  if (values.release) url.searchParams.set('release', 'true');
  if (values['release-reason']) url.searchParams.set('releaseReason', values['release-reason']);
  const headers: Record<string, string | number> = { authorization: `Bearer ${key}`, 'content-type': 'text/csv; charset=utf-8', 'content-length': size };
  if (values['idempotency-key']) headers['idempotency-key'] = values['idempotency-key'];

  const bar = progressBar(`upload ${file}`, size, 'MB', 1e6);
  let sent = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      bar.set(sent);
      done(null, chunk);
    },
  });
  const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', headers });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
  // The hub may answer early (e.g. 401) and close: the answer counts, not the broken upload.
  const upload = pipeline(fs.createReadStream(file), counting, request).then(
    () => {
      bar.done();
      process.stderr.write('sent; the hub checks and writes the rows …\n');
    },
    () => undefined,
  );
  const { status, body } = await answer;
  await upload;
  let report: any;
  try {
    report = JSON.parse(body);
  } catch {
    process.stderr.write(`kobi-import: HTTP ${status}: ${body.slice(0, 500)}\n`);
    return EXIT.failed;
  }
  if (!report.status) {
    const e = report.errors?.[0];
    process.stderr.write(`kobi-import: HTTP ${status} ${e?.extensions?.code ?? ''}: ${e?.message ?? body.slice(0, 500)}\n`);
    return EXIT.failed;
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const summary = `${report.status}${report.replayed ? ' (replayed)' : ''}: ${report.rows} rows, ${report.inserted} new, ${report.revised} revised, ${report.unchanged} unchanged, ${report.released} released, ${report.errorCount} errors`;
  process.stderr.write(`${summary}\n`);
  for (const e of report.errors.slice(0, 20)) process.stderr.write(`  row ${e.row}${e.column ? ` (${e.column})` : ''}: ${e.code} ${e.message}\n`);
  if (report.errorCount > 20) process.stderr.write(`  … ${report.errorCount - 20} more in the report\n`);
  return report.status === 'REJECTED' ? EXIT.rejected : EXIT.ok;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`kobi-import: ${err instanceof ConfigError ? err.message : (err as Error).stack || String(err)}\n`);
    process.exit(EXIT.failed);
  },
);
