import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { RequestHandler } from 'express';
import { DEMO_API_KEY, DEMO_IDENTITIES, type DemoIssuer } from '../access/demo';
import { EXAMPLE_QUERIES } from './examples';

/** The picker's name for the viewer without login. */
const PUBLIC = 'public';
/** How long a page with a token in it is served before the next one gets a fresh token (tokens live 24 h). */
const TOKEN_PAGE_TTL_MS = 60 * 60 * 1000;
/** Height of the identity bar, which the GraphiQL container gives up. */
const BAR_PX = 30;

interface Page {
  gz: Buffer;
  /** The uncompressed page, kept only for the page without a token (one copy of ~9 MB). */
  raw?: Buffer;
  etag: string;
  gzEtag: string;
}

/** Who the picker offers: the public, the demo identities and the demo API key, with a label. */
function pickerChoices(): Array<{ name: string; label: string }> {
  return [
    { name: PUBLIC, label: 'public (no login)' },
    ...DEMO_IDENTITIES.map((i) => ({ name: i.name, label: `${i.name}: ${i.orgCode}, ${i.role.toLowerCase()}` })),
    { name: DEMO_API_KEY.name, label: `${DEMO_API_KEY.name}: API key of ${DEMO_API_KEY.orgCode}, read` },
  ];
}

/**
 * The demo mode's "View as" bar: plain HTML and CSS (nothing loaded from anywhere), fixed above
 * GraphiQL; choosing an identity loads `?as=<name>` relative to the current path, so it also
 * works behind a proxy that mounts the hub under a prefix. Names and labels are constants of
 * src/access/demo.ts, never request input.
 */
function identityBar(selected: string | null): string {
  const options = pickerChoices().map((c) => `<option value="${c.name}"${c.name === selected ? ' selected' : ''}>${c.label}</option>`);
  if (selected === null) options.unshift('<option value="" disabled selected>choose a demo identity</option>');
  return `
    <style>
      #kobi-view-as{position:fixed;top:0;left:0;right:0;height:${BAR_PX}px;z-index:10000;box-sizing:border-box;display:flex;align-items:center;gap:10px;
        padding:0 12px;font:13px/1 system-ui,sans-serif;background:#fff4d6;color:#4a3700;border-bottom:1px solid #d9b64f}
      #kobi-view-as select{font:inherit;padding:2px 4px}
      body{margin:0;padding-top:${BAR_PX}px;box-sizing:border-box}
      #root .graphiql-container{height:calc(100vh - ${BAR_PX}px)}
    </style>
    <div id="kobi-view-as">
      <label>View as: <select onchange="location.href = '?as=' + encodeURIComponent(this.value)">${options.join('')}</select></label>
      <span>Demo mode: the hub signs these tokens itself; the headers editor below carries the one you picked.</span>
    </div>`;
}

/**
 * Runs before GraphiQL starts on a page with a picked identity: GraphiQL keeps each tab's headers
 * in localStorage and prefers them to the page's, so the previous pick would win. Dropping the
 * stored headers makes the page's headers (the picked token) apply to every tab; the page also
 * turns persisting headers off, so the token does not outlive the tab in storage.
 */
const FORGET_STORED_HEADERS = `
    <script>
      try {
        localStorage.removeItem('graphiql:headers');
        var state = JSON.parse(localStorage.getItem('graphiql:tabState') || 'null');
        if (state && Array.isArray(state.tabs)) {
          state.tabs.forEach(function (tab) { tab.headers = null; });
          localStorage.setItem('graphiql:tabState', JSON.stringify(state));
        }
      } catch (e) {}
    </script>`;

/**
 * One variant of the page: GraphiQL with these headers in its headers editor; in demo mode with
 * the identity bar (`picked`: the chosen name, or null on the page without a pick).
 */
function render(headers: Record<string, string>, demo: { picked: string | null } | null): Page {
  let html = renderGraphiQL({
    title: 'KoBi Data Hub — GraphiQL',
    endpoint: '/graphql',
    defaultTabs: EXAMPLE_QUERIES.map((e) => ({ query: e.query, variables: e.variables ? JSON.stringify(e.variables, null, 2) : undefined })),
    headers: JSON.stringify(headers, null, 2),
    // With a picked identity, the pick decides the headers (FORGET_STORED_HEADERS); otherwise
    // GraphiQL keeps what the user typed, e.g. a token of the real login.
    shouldPersistHeaders: !demo?.picked,
  });
  if (demo) {
    const body = /<body[^>]*>/.exec(html);
    if (!body) throw new Error('GraphiQL page without <body>: cannot add the identity bar');
    const at = body.index + body[0].length;
    html = html.slice(0, at) + identityBar(demo.picked) + (demo.picked ? FORGET_STORED_HEADERS : '') + html.slice(at);
  }
  const raw = Buffer.from(html);
  const hash = createHash('sha256').update(raw).digest('base64url').slice(0, 27);
  // Two representations, two ETags: a cache must never answer a gzip request with plain bytes.
  return { gz: gzipSync(raw), raw: demo?.picked ? undefined : raw, etag: `"${hash}"`, gzEtag: `"${hash}-gz"` };
}

/**
 * GraphiQL, served by the hub from the bundle inside `@graphql-yoga/render-graphiql`: one
 * self-contained page (editor, workers and styles inline), so it works with no internet (analysts
 * in an administration network often have none). The page is ~9 MB raw, ~2.4 MB gzipped; it is
 * rendered and compressed once and revalidated by ETag.
 *
 * Demo mode (`demo` given) adds the identity picker: `?as=<name>` (`public`, a demo identity or
 * the demo API key) serves GraphiQL with `Authorization: Bearer <credential>` in its headers
 * editor. Those variants are rendered on first use and kept for at most an hour, so a token in a
 * served page has at least 23 hours left; they are `no-store` (a bearer token must sit in no
 * cache). An unknown name, or `as` outside demo mode, is 400.
 */
export function graphiqlHandler(demo?: DemoIssuer): RequestHandler {
  const pages = new Map<string, { page: Promise<Page>; expires: number }>();
  const choices = new Set(pickerChoices().map((c) => c.name));

  async function credential(issuer: DemoIssuer, name: string): Promise<string | null> {
    if (name === PUBLIC) return null;
    if (name === DEMO_API_KEY.name) return issuer.apiKey();
    return issuer.sign(DEMO_IDENTITIES.find((i) => i.name === name)!);
  }

  async function renderFor(picked: string): Promise<Page> {
    const headers: Record<string, string> = { 'Apollo-Require-Preflight': 'true' };
    if (!picked) return render(headers, demo ? { picked: null } : null);
    const token = await credential(demo!, picked);
    if (token) headers.Authorization = `Bearer ${token}`;
    return render(headers, { picked });
  }

  /** The page for `picked` ('' for none): rendered once per process, or with a pick once per hour. */
  function page(picked: string): Promise<Page> {
    const now = Date.now();
    let entry = pages.get(picked);
    if (!entry || entry.expires <= now) {
      const fresh = { page: renderFor(picked), expires: picked ? now + TOKEN_PAGE_TTL_MS : Infinity };
      // A failed render is not kept: the next request tries again.
      fresh.page.catch(() => pages.get(picked) === fresh && pages.delete(picked));
      pages.set(picked, fresh);
      entry = fresh;
    }
    return entry.page;
  }

  // Express 5 passes a rejected promise of a handler on to the error handler.
  return async (req, res) => {
    const as = req.query.as;
    if (as !== undefined && !demo) {
      res.status(400).type('text').send('"as" (the identity picker) exists only in demo mode.\n');
      return;
    }
    if (as !== undefined && (typeof as !== 'string' || !choices.has(as))) {
      res.status(400).type('text').send(`Unknown identity in "as"; choose one of: ${[...choices].join(', ')}.\n`);
      return;
    }
    const picked = typeof as === 'string' ? as : '';
    const served = await page(picked);
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const etag = gzip ? served.gzEtag : served.etag;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', picked ? 'private, no-store' : 'public, max-age=0, must-revalidate');
    res.setHeader('Vary', 'Accept-Encoding');
    res.type('html');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.send(gzip ? served.gz : (served.raw ?? gunzipSync(served.gz)));
  };
}
