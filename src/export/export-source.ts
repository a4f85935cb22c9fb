import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../graphql/context';
import type { Indicator } from '../modules/indicators/indicator.entity';
import type { Region } from '../modules/regions/region.entity';
import { SeriesService, type SeriesWindow } from '../modules/series/series.service';
import type { TimeSeries } from '../modules/series/series.types';
import type { ExportArgs } from './export-args';

/** A validated export: what GraphQL's `series` would answer for the same arguments. */
export interface ExportSelection {
  indicators: Indicator[];
  regions: Region[];
  window: SeriesWindow;
  /** Retrieval time, written into every format. */
  retrievedAt: Date;
}

/** One row of an export: a cell of a series with its indicator and region. */
export interface ExportCell {
  indicator: Indicator;
  region: Region;
  breakdownDimension: string;
  breakdownCode: string;
  period: string;
  value: number | null;
  status: string;
  symbol: string;
  /** The cell's version (`Observation.version`): uploads of an edited export send it back. */
  version: number;
  /** The version of the indicator's definition the value was computed with. */
  definitionVersion: number;
}

/** Regions per SeriesService call: one statement of at most 500 regions × one indicator × the window. */
export const REGION_PAGE = 500;

/** Validates the arguments with the same service functions as the `series` resolver. */
export async function resolveSelection(ctx: RequestContext, args: ExportArgs): Promise<ExportSelection> {
  const window = SeriesService.parseWindow(ctx, args.window);
  const [indicators, regions] = await Promise.all([SeriesService.resolveIndicators(ctx, args.indicators), SeriesService.resolveRegions(ctx, args.regions)]);
  return { indicators, regions, window, retrievedAt: new Date() };
}

/**
 * The cells of a selection in pages, in the order of GraphQL's `series` within each indicator
 * (indicator, region, breakdown part, period), each page one SeriesService call. Only one page
 * is held at a time: the loader's cache is cleared after each, or it would keep the whole export.
 * The first page is fetched before the generator is returned, so that an error of the service
 * (e.g. a cost limit) arrives before any byte of the response has been written.
 */
export async function cellPages(ctx: RequestContext, sel: ExportSelection): Promise<AsyncIterable<ExportCell[]>> {
  const regionsById = new Map(sel.regions.map((r) => [r.id, r]));
  const pageKeys = sel.indicators.flatMap((indicator) => {
    const keys: Array<{ indicator: Indicator; regions: Region[] }> = [];
    for (let i = 0; i < sel.regions.length; i += REGION_PAGE) keys.push({ indicator, regions: sel.regions.slice(i, i + REGION_PAGE) });
    return keys;
  });
  const fetchPage = async (n: number): Promise<ExportCell[]> => {
    const { indicator, regions } = pageKeys[n];
    const series = await SeriesService.load(ctx, [indicator], regions, sel.window);
    ctx.loaders.seriesBySelection.clearAll();
    return series.flatMap((s) => cellsOf(s, indicator, regionsById.get(s.regionId)!));
  };
  const first = pageKeys.length ? await fetchPage(0) : [];
  return (async function* () {
    if (!pageKeys.length) return;
    yield first;
    for (let n = 1; n < pageKeys.length; n++) yield await fetchPage(n);
  })();
}

function cellsOf(s: TimeSeries, indicator: Indicator, region: Region): ExportCell[] {
  return s.periods.map((period, i) => ({
    indicator,
    region,
    breakdownDimension: s.breakdown?.dimension ?? '',
    breakdownCode: s.breakdown?.code ?? '_T',
    period,
    value: s.values[i],
    status: s.statuses[i],
    symbol: s.symbols[i],
    version: s.versions[i],
    definitionVersion: s.definitionVersions[i],
  }));
}

/** Writes a chunk and, when the socket's buffer is full, waits until it drained (or the client left). */
export async function writeChunk(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  if (!res.write(chunk)) await drained(res);
}

/** Resolves when `res` can take more; throws when the client went away meanwhile. */
export async function drained(res: ServerResponse): Promise<void> {
  // 'close' may have fired already (the client left while a page was being fetched).
  if (res.writableNeedDrain && !res.destroyed) {
    // Not Promise.race of two `once`: the loser's listener would stay, one more per wait.
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  if (res.destroyed) throw new ClientGone();
}

/** The client closed the connection mid-export: nothing to answer, nothing to log as a fault. */
export class ClientGone extends Error {
  constructor() {
    super('client closed the connection during an export');
  }
}
