import type { ServerResponse } from 'node:http';
import express from 'express';
import type { Authenticator } from '../access/auth';
import { createContext, type HubDeps, type RequestContext } from '../graphql/context';
import { restError, type ErrorFormatter } from '../graphql/errors';
import { requestInfo } from '../http/request-log';
import { CSV_FORMATS, writeCsv, type CsvFormat } from './csv.writer';
import { parseExportArgs } from './export-args';
import { ClientGone, resolveSelection, type ExportSelection } from './export-source';
import { writeJsonStat } from './jsonstat.writer';
import { writeXlsx } from './xlsx.writer';

type Writer = (ctx: RequestContext, sel: ExportSelection, res: ServerResponse, options: Record<string, string>) => Promise<void>;

/**
 * The export endpoints beside /graphql (README "Exports"): the `series` query's arguments as
 * query parameters, the same authentication, request transaction and SeriesService (so the same
 * validation and access rules), written as CSV, JSON-stat 2.0 or XLSX. Errors before the first
 * byte are GraphQL-shaped JSON (`{ errors: [{ message, extensions: { code } }] }`) with an HTTP
 * status; an error after it can only cut the response off (logged), as the status is already sent.
 */
export function exportRouter(deps: HubDeps & { auth: Authenticator }, formatError: ErrorFormatter): express.Router {
  const handle = (writer: Writer, formatOptions: Record<string, readonly string[]> = {}): express.RequestHandler =>
    async (req, res) => {
      let ctx: RequestContext | undefined;
      const info = requestInfo(res);
      try {
        const credentials = await deps.auth.forRequest(req);
        if (info && credentials) info.org = credentials.orgCode;
        const args = parseExportArgs(req.query as Record<string, string | string[]>, formatOptions);
        ctx = await createContext(deps, credentials, info?.id);
        ctx.selects.points = false; // an export writes the series' lists, never cell ids
        res.setHeader('Cache-Control', 'no-store'); // what a viewer may see is theirs alone
        await writer(ctx, await resolveSelection(ctx, args), res, args.options);
        // Reads opened by agreements are logged in the transaction: committed before the end.
        await ctx.tx.finish(true);
        if (!res.writableEnded) res.end();
      } catch (err) {
        await ctx?.tx.finish(false).catch(() => undefined);
        if (err instanceof ClientGone) return;
        const { status, body } = restError(formatError, err);
        info?.errorCodes.push(String(body.errors[0].extensions?.code));
        if (res.headersSent) {
          // A database outage is expected now and then (warn); anything else is a fault (error).
          const level = body.errors[0].extensions?.code === 'SERVICE_UNAVAILABLE' ? 'warn' : 'error';
          deps.log[level]('export failed after its first byte', { code: body.errors[0].extensions?.code, message: body.errors[0].message });
          res.destroy();
          return;
        }
        res.status(status).json(body);
      }
    };
  const router = express.Router();
  router.get('/series.csv', handle((ctx, sel, res, options) => writeCsv(ctx, sel, res, options.format as CsvFormat), { format: CSV_FORMATS }));
  router.get('/series.json', handle(writeJsonStat));
  router.get('/series.xlsx', handle(writeXlsx));
  return router;
}
