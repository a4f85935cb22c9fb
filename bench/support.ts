import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/** Helpers shared by the benchmarks of bench/. */

/** A wrong command line: reported in one line, without a stack. */
export class UsageError extends Error {}

/** Runs a bench's main and exits with its code; a usage error prints its message, anything else its stack. */
export function runBench(main: () => Promise<number | void>, name = 'bench'): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      console.error(`${name} failed: ${err instanceof UsageError ? err.message : (err as Error).stack || String(err)}`);
      process.exit(1);
    },
  );
}

/** What counts as a statement at the driver (not BEGIN/SET/SHOW or other session chatter). */
const STATEMENT = /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i;

/** A server of a benchmark on a free loopback port; `close` also drops kept-alive connections. */
export async function listen(server: http.Server, pathname: string): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // clients keep connections alive; close would wait for them
      }),
  };
}

/**
 * Runs `fn` while counting what every pg client of this process sends: statements (STATEMENT)
 * and all round trips (also BEGIN, SET LOCAL ROLE, COMMIT). The hook is gone afterwards.
 */
export async function countStatements(fn: () => Promise<unknown>): Promise<{ statements: number; roundTrips: number }> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const counted = { statements: 0, roundTrips: 0 };
  proto.query = function (this: unknown, config: unknown, ...rest: unknown[]) {
    const text = typeof config === 'string' ? config : (config as { text?: string } | null)?.text;
    if (text) counted.roundTrips++;
    if (text && STATEMENT.test(text)) counted.statements++;
    return original.call(this, config, ...rest);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return counted;
}

/** The middle of the figures (the mean of the two middle ones for an even count). */
export function median(figures: number[]): number {
  const sorted = [...figures].sort((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
