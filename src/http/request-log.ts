import { randomUUID } from 'node:crypto';
import type express from 'express';
import type { Logger } from '../logger';
import { ANONYMOUS_OPERATION, type HubMetrics } from './metrics';

/** What the hub learns about one HTTP request while answering it; logged and counted at its end. */
export interface RequestInfo {
  /** `X-Request-Id`: the caller's (when well-formed) or a new UUID; echoed in the response. */
  id: string;
  /** GraphQL operation name, once the operation is known. */
  operation?: string;
  /** Organization code of the viewer, once authenticated (never the credential itself). */
  org?: string;
  /** `extensions.code` of every error answered. */
  errorCodes: string[];
}

/** A caller's request id is kept if it is short and plain (it goes into logs and headers). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Routes whose lines go to `debug`: health checks and scrapes would otherwise fill the log. */
const QUIET_ROUTES = new Set(['/livez', '/readyz', '/metrics']);

/** The RequestInfo of a request (set by `requestLog`, which runs first). */
export function requestInfo(res: express.Response): RequestInfo {
  return res.locals.kobiRequest as RequestInfo;
}

/** Records error codes of a response that a handler wrote itself (REST errors, 429, 503). */
export function noteErrorCode(res: express.Response, code: string): void {
  requestInfo(res)?.errorCodes.push(code);
}

/**
 * The route a request matched, from a fixed set (the app's own routes), so that metric labels
 * stay bounded whatever paths clients try: `/graphql`, `/export/series.csv`, …, or `unmatched`.
 */
function routeOf(req: express.Request): string {
  const route = (req as express.Request & { route?: { path?: unknown } }).route;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`;
  // Middleware mounted with app.use (Apollo at /graphql) has no route object.
  return req.baseUrl || 'unmatched';
}

/**
 * First middleware of the hub: gives the request its id, and when the response is done (or the
 * client went away) writes one log line — id, method, route, operation, status, duration, the
 * viewer's organization, error codes — and counts it in the metrics. Never the URL's query
 * string or a header: no credential can reach the log this way.
 */
export function requestLog(log: Logger, metrics: HubMetrics | undefined): express.RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const info: RequestInfo = { id: incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID(), errorCodes: [] };
    res.locals.kobiRequest = info;
    res.setHeader('X-Request-Id', info.id);
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      const operation = route === '/graphql' ? metrics?.operationLabel(info.operation) ?? info.operation ?? ANONYMOUS_OPERATION : 'none';
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client closed first (nginx's convention)
      metrics?.observe(route, operation, status, seconds, info.errorCodes);
      const fields = {
        reqId: info.id,
        method: req.method,
        route,
        ...(info.operation ? { operation: info.operation } : {}),
        status,
        ms: Math.round(seconds * 10_000) / 10,
        ...(info.org ? { org: info.org } : {}),
        ...(info.errorCodes.length ? { errors: [...new Set(info.errorCodes)] } : {}),
      };
      if (QUIET_ROUTES.has(route)) log.debug('request', fields);
      else log.info('request', fields);
    });
    next();
  };
}
