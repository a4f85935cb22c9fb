import express from 'express';
import type { Authenticator } from '../../access/auth';
import { CSV_FORMATS, type CsvFormat } from '../../export/csv.writer';
import { createContext, type HubDeps, type RequestContext } from '../../graphql/context';
import { badInput, restError, type ErrorFormatter } from '../../graphql/errors';
import { requestInfo } from '../../http/request-log';
import { csvSource } from './csv-source';
import { ImportService } from './import.service';
import { ImportStatus } from './import.types';

/** Query parameters of `POST /import`; anything else is refused (a typo must not change what is written). */
const PARAMS = new Set(['format', 'dryRun', 'release', 'releaseReason']);

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw badInput(`"${name}" must be true or false`, { argument: name });
}

/**
 * `POST /import?format=de|plain[&dryRun=true][&release=true][&releaseReason=…]` (README "Uploads"):
 * a CSV body in one of the export's two shapes, streamed through the upload pipeline
 * (ImportService) in the request's transaction, with an optional `Idempotency-Key` header. Answers
 * the report as JSON: 200 when committed, checked (dry run) or replayed, 422 when rows were
 * refused (nothing written). Request-level errors are GraphQL-shaped as for the exports: 400 bad
 * parameters, 401 no valid login, 403 no write right (viewer, read-scope API key), 409 an
 * idempotency key used for another payload.
 */
export function importRouter(deps: HubDeps & { auth: Authenticator }, formatError: ErrorFormatter): express.Router {
  const router = express.Router();
  router.post('/', async (req, res) => {
    let ctx: RequestContext | undefined;
    const info = requestInfo(res);
    try {
      const credentials = await deps.auth.forRequest(req);
      if (info && credentials) info.org = credentials.orgCode;
      const query = req.query as Record<string, unknown>;
      for (const name of Object.keys(query)) if (!PARAMS.has(name)) throw badInput(`unknown parameter "${name}"`, { argument: name });
      const format = (query.format ?? 'de') as CsvFormat;
      if (!CSV_FORMATS.includes(format)) throw badInput(`"format" must be one of ${CSV_FORMATS.join(', ')}`, { argument: 'format' });
      const reason = query.releaseReason;
      if (reason !== undefined && typeof reason !== 'string') throw badInput('"releaseReason" given more than once', { argument: 'releaseReason' });
      const key = req.headers['idempotency-key'];
      ctx = await createContext(deps, credentials, info?.id);
      const started = Date.now();
      const report = await ImportService.run(ctx, { format, ...csvSource(req, format) }, {
        dryRun: flag('dryRun', query.dryRun),
        release: flag('release', query.release),
        releaseReason: reason,
        idempotencyKey: typeof key === 'string' ? key : null,
      });
      await ctx.tx.finish(report.status !== ImportStatus.DRY_RUN);
      deps.log.info('upload', { importId: report.importId, status: report.status, rows: report.rows, written: report.written, errors: report.errorCount, ms: Date.now() - started });
      res.setHeader('Cache-Control', 'no-store');
      res.status(report.status === ImportStatus.REJECTED ? 422 : 200).json(report);
    } catch (err) {
      await ctx?.tx.finish(false).catch(() => undefined);
      if (res.headersSent) return;
      const { status, body } = restError(formatError, err);
      info?.errorCodes.push(String(body.errors[0].extensions?.code));
      // Unread body: say so, so that the client does not keep sending into a closed request.
      if (!req.readableEnded) res.setHeader('Connection', 'close');
      res.status(status).json(body);
    }
  });
  return router;
}
