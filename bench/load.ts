import http from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * The load generator of the benches: `connections` loops, each sending the next request as soon as
 * the last answer is read, over kept-alive `node:http` connections, for a fixed time, in a worker
 * thread (the servers under test run on the bench's main thread; they share only the cores).
 *
 * Written here rather than taken from autocannon, which the benches used before, for two reasons
 * measured in this repository: autocannon records latencies in whole milliseconds (the dashboard's
 * p50 is 2–4 ms, so its ratios were mostly rounding), and it does not cope with a server that
 * answers before the request body is sent and then closes the connection (the hub's answer to a
 * body over the limit, README "Limits"): it counted every such answer as an error and reconnected
 * late (p50 755 ms for an answer that takes a fraction of one). Here a request's latency runs from
 * its first byte written to the last byte of the answer read, in microseconds; an answer that
 * arrives while the body is still being written counts, and the connection is replaced.
 */

export interface LoadOptions {
  url: string;
  /** The JSON body; `[<id>]` in it is replaced by a new random id in every request when `fresh` is set. */
  body: string;
  fresh?: boolean;
  connections: number;
  /** Seconds. */
  duration: number;
  /** The HTTP status every answer must have: a request without an answer, or with another status, fails the load. */
  status: number;
}

export interface LoadResult {
  /** Latency percentiles in milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  /** Completed requests per second over the run. */
  rps: number;
  requests: number;
  /** Completed requests by HTTP status. */
  statuses: Record<number, number>;
  /** Requests that got no answer (connection refused or reset before an answer). */
  errors: number;
  /** Those by error code (`ECONNRESET` …). */
  errorCodes: Record<string, number>;
}

/** Runs one load in a worker thread and resolves with its figures; rejects unless every request got an answer with `options.status`. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await new Promise<LoadResult>((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: options });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
  });
  const other = result.requests - (result.statuses[options.status] ?? 0);
  if (result.errors || other) {
    throw new Error(
      `${options.url}: ${result.errors} requests without an answer (${JSON.stringify(result.errorCodes)}), ${other} answers other than HTTP ${options.status} at ${options.connections} connections`,
    );
  }
  return result;
}

/** A load of POSTs that must each be answered 200 (the workload benches' runs). */
export const loadOk = (url: string, body: string, connections: number, duration: number): Promise<LoadResult> => load({ url, body, connections, duration, status: 200 });

/** The figure at fraction `p` of the sorted latencies (nearest rank). */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

async function generate(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const fixed = Buffer.from(options.body);
  const bodyOf = options.fresh ? () => Buffer.from(options.body.replace('[<id>]', Math.random().toString(36).slice(2))) : () => fixed;
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const errorCodes: Record<string, number> = {};

  const send = (body: Buffer) =>
    new Promise<number | string>((resolve) => {
      let status: number | undefined;
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          status = res.statusCode;
          res.resume();
          res.once('end', () => resolve(status!));
          res.once('close', () => resolve(status!)); // cut short by the server's close: still an answer
          res.once('error', () => undefined);
        },
      );
      // A server that answers early and closes makes the rest of the write fail: the answer counts.
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (status === undefined) resolve(err.code ?? err.message);
      });
      req.end(body);
    });

  const started = performance.now();
  const end = started + options.duration * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < end) {
        const body = bodyOf();
        const t0 = performance.now();
        const status = await send(body);
        if (typeof status === 'string') {
          errors++;
          errorCodes[status] = (errorCodes[status] ?? 0) + 1;
          continue;
        }
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), rps: latencies.length / elapsed, requests: latencies.length, statuses, errors, errorCodes };
}

if (!isMainThread && workerData?.url) {
  generate(workerData as LoadOptions).then((result) => parentPort!.postMessage(result));
}
