import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { RequestHandler } from 'express';
import { EXAMPLE_QUERIES } from './examples';

/**
 * GraphiQL, served by the hub from the bundle inside `@graphql-yoga/render-graphiql`: one
 * self-contained page (editor, workers and styles inline), so it works with no internet (analysts
 * in an administration network often have none). The page is ~9 MB raw, ~2 MB gzipped; it is
 * rendered and compressed once per process and cached by ETag.
 */
export function graphiqlHandler(): RequestHandler {
  let page: { gz: Buffer; raw: Buffer; etag: string; gzEtag: string } | undefined;
  const render = () => {
    const html = renderGraphiQL({
      title: 'KoBi Data Hub — GraphiQL',
      endpoint: '/graphql',
      defaultTabs: EXAMPLE_QUERIES.map((e) => ({ query: e.query, variables: e.variables ? JSON.stringify(e.variables, null, 2) : undefined })),
      headers: JSON.stringify({ 'Apollo-Require-Preflight': 'true' }),
      shouldPersistHeaders: true,
    });
    const raw = Buffer.from(html);
    const hash = createHash('sha256').update(raw).digest('base64url').slice(0, 27);
    // Two representations, two ETags: a cache must never answer a gzip request with plain bytes.
    return { raw, gz: gzipSync(raw), etag: `"${hash}"`, gzEtag: `"${hash}-gz"` };
  };
  return (req, res) => {
    page ??= render();
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const etag = gzip ? page.gzEtag : page.etag;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, max-age=0, must-revalidate');
    res.setHeader('Vary', 'Accept-Encoding');
    res.type('html');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.send(gzip ? page.gz : page.raw);
  };
}
