/**
 * Database faults that mean "the database cannot serve now", as opposed to a wrong request or a
 * bug: the server is down or restarting, the connection broke, a statement ran out of time, or a
 * public connection is refused because it would not run as the public (src/db/public-pool.ts).
 * Requests that hit one answer SERVICE_UNAVAILABLE (HTTP 503) so that clients and load balancers
 * retry later, rather than INTERNAL_SERVER_ERROR.
 */

/** SQLSTATEs: admin/crash shutdown, cannot connect now, too many connections, statement or idle-in-transaction timeout. */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '25P03']);
/** Socket errors of the connection to the database. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** node-postgres and TypeORM say these in words only. */
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|Connection is not established|the database system is (starting up|shutting down|in recovery mode)/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (SQLSTATES.has(code) || code.startsWith('08') || SOCKET_ERRORS.has(code))) return true;
    // TypeORM refuses a query runner whose connection its error listener already discarded; the
    // public pool refuses a connection that would not run as the public (src/db/public-pool.ts).
    if (e.name === 'QueryRunnerAlreadyReleasedError' || e.name === 'PublicConnectionRefused') return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}
