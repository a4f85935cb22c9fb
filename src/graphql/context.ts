import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../access/viewer';
import type { Logger } from '../logger';
import { createLoaders, type Loaders } from './loaders';

/** What the request context needs from the running hub. */
export interface HubDeps {
  db: DataSource;
  log: Logger;
  config: { maxCodesPerList: number };
}

/** Per-request state (DESIGN §2): who asks, their loaders, a request id. */
export interface RequestContext extends HubDeps {
  viewer: Viewer;
  requestId: string;
  loaders: Loaders;
}

/** The one context builder: the HTTP server and the tests both use it. */
export function createContext(deps: HubDeps, viewer: Viewer, requestId: string = randomUUID()): RequestContext {
  const ctx = { ...deps, viewer, requestId } as RequestContext;
  ctx.loaders = createLoaders(ctx);
  return ctx;
}
