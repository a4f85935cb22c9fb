import { existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'parse5';
import { chromium, type Page } from 'playwright-core';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, createAuthentication } from '../src/access/auth';
import { DEMO_API_KEY, DEMO_IDENTITIES, DemoIssuer } from '../src/access/demo';
import { Role } from '../src/access/viewer';
import { EXAMPLE_QUERIES } from '../src/graphql/examples';
import { silentLogger } from '../src/logger';
import { createHub } from '../src/server';
import { startTestHub, TEST_SETTINGS, type TestHub } from './support/hub';

/**
 * /graphiql must work with no internet (DESIGN §2, §9): analysts in an administration network
 * often have none, and a CDN-loaded IDE is then a blank page. Two checks:
 * - always: the served HTML references nothing outside the hub (static scan of the parsed page);
 * - with Chromium installed: a real browser renders GraphiQL and runs an example query while every
 *   request that would leave loopback is refused and recorded. CI sets REQUIRE_BROWSER=1 so that a
 *   missing browser fails the run instead of silently skipping the check.
 */

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const requireBrowser = process.env.REQUIRE_BROWSER === '1';
const INSTALL_HINT = `install it with \`apt-get install -y chromium\``;
if (!hasChromium && !requireBrowser) {
  console.warn(`graphiql.test: ${CHROMIUM} not found, skipping the browser check (${INSTALL_HINT}; CI sets REQUIRE_BROWSER=1).`);
}

/** Where the browser check leaves a picture of the page, for a human to look at when it fails. */
const SCREENSHOT = path.join(tmpdir(), 'graphiql.png');

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A GET through node:http rather than fetch: fetch always offers gzip and decompresses silently,
 * and these checks need to see exactly which encoding and bytes the hub sends.
 */
function get(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Attributes through which an element makes the browser fetch or navigate to a URL. */
const URL_ATTRIBUTES = new Set(['src', 'href', 'srcset', 'imagesrcset', 'action', 'formaction', 'poster', 'data', 'background', 'xlink:href', 'ping', 'manifest']);

/** `@import "x"`, `@import url(x)` and `url(x)` in CSS, quoted or not. */
const CSS_REFERENCE = /@import\s+(?:url\(\s*)?(["']?)([^"')\s;]+)\1|url\(\s*(["']?)([^"')]*)\3\s*\)/gi;

/** Every URL the page's markup and styles refer to, with where it was found. */
function pageReferences(html: string): Array<{ where: string; url: string }> {
  const found: Array<{ where: string; url: string }> = [];
  const fromCss = (css: string, where: string) => {
    for (const m of css.matchAll(CSS_REFERENCE)) found.push({ where, url: (m[2] ?? m[4]).trim() });
  };
  type Node = { nodeName: string; value?: string; attrs?: Array<{ name: string; value: string }>; childNodes?: Node[]; content?: Node };
  const visit = (node: Node) => {
    for (const { name, value } of node.attrs ?? []) {
      if (URL_ATTRIBUTES.has(name)) {
        // srcset lists "url descriptor" pairs; every url in it is fetched on some screen.
        const urls = name.endsWith('srcset') ? value.split(',').map((c) => c.trim().split(/\s+/)[0]) : [value];
        for (const url of urls) found.push({ where: `<${node.nodeName} ${name}>`, url: url.trim() });
      }
      if (name === 'style') fromCss(value, `<${node.nodeName} style>`);
    }
    if (node.nodeName === 'style') fromCss((node.childNodes ?? []).map((t) => t.value ?? '').join(''), '<style>');
    for (const child of node.childNodes ?? []) visit(child);
    if (node.content) visit(node.content); // <template> keeps its children in a separate fragment
  };
  visit(parse(html) as unknown as Node);
  return found;
}

/** True when loading `ref` from a page at `page` stays on the hub: relative, same origin, data: or blob:. */
function staysLocal(ref: string, page: URL): boolean {
  let url: URL;
  try {
    url = new URL(ref, page);
  } catch {
    return false;
  }
  return url.protocol === 'data:' || url.protocol === 'blob:' || url.origin === page.origin;
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/** The bearer credential a GraphiQL page carries in its headers editor, or null. */
function bearerIn(html: string): string | null {
  return /\\"Authorization\\": \\"Bearer ([^\\"]+)\\"/.exec(html)?.[1] ?? null;
}

describe('GraphiQL at /graphiql', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('serves one HTML page, gzipped when asked, revalidated by ETag', async () => {
    const plain = await get(`${hub.baseUrl}/graphiql`, { 'accept-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toMatch(/^text\/html/);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toMatch(/^\s*<!doctype html>/i);
    const etag = plain.headers.etag;
    expect(etag).toMatch(/^(W\/)?"[^"]+"$/);

    const gzipped = await get(`${hub.baseUrl}/graphiql`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toMatch(/accept-encoding/i);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    // The page is ~9 MB of inlined editor code; compression is what makes it usable on slow links.
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 3);

    // Each representation has its own ETag, so no cache can serve gzip bytes to a plain request.
    expect(gzipped.headers.etag).not.toBe(etag);
    for (const [encoding, tag] of [['identity', etag], ['gzip', gzipped.headers.etag]]) {
      const revalidated = await get(`${hub.baseUrl}/graphiql`, { 'accept-encoding': encoding!, 'if-none-match': tag! });
      expect(revalidated.status, `304 with accept-encoding ${encoding}`).toBe(304);
      expect(revalidated.body.length).toBe(0);
      const other = await get(`${hub.baseUrl}/graphiql`, { 'accept-encoding': encoding === 'gzip' ? 'identity' : 'gzip', 'if-none-match': tag! });
      expect(other.status, `a ${encoding} ETag does not validate the other representation`).toBe(200);
    }
  });

  it('refers to nothing outside the hub and carries the example queries', async () => {
    const pageUrl = new URL(`${hub.baseUrl}/graphiql`);
    const html = (await get(pageUrl.href, { 'accept-encoding': 'identity' })).body.toString('utf8');
    const references = pageReferences(html);
    // The favicon and the fonts and icons of the stylesheet are inlined as data: URLs; finding
    // them shows that the scan reaches both the markup and the CSS.
    expect(references.some((r) => r.where === '<link href>')).toBe(true);
    expect(references.filter((r) => r.where === '<style>').length).toBeGreaterThan(10);
    expect(references.filter((r) => !staysLocal(r.url, pageUrl)).map((r) => `${r.where} ${r.url.slice(0, 120)}`)).toEqual([]);

    // The tabs are passed to GraphiQL as JSON inside the page's script.
    for (const example of EXAMPLE_QUERIES) {
      expect(html, example.name).toContain(JSON.stringify(example.query));
    }
  });

  it('in demo mode, ?as=<identity> carries a fresh credential of that identity and a "View as" bar listing them all', async () => {
    const res = await get(`${hub.baseUrl}/graphiql?as=land-analyst`, { 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    // A page with a bearer token must sit in no cache.
    expect(res.headers['cache-control']).toMatch(/no-store/);
    const html = gunzipSync(res.body).toString('utf8');
    for (const name of ['public', ...DEMO_IDENTITIES.map((i) => i.name), DEMO_API_KEY.name]) expect(html).toContain(`<option value="${name}"`);
    expect(html).toContain('<option value="land-analyst" selected>');
    expect(html).toContain('\\"Apollo-Require-Preflight\\": \\"true\\"');
    // The pick decides the headers: GraphiQL must not persist them, nor prefer stored ones.
    expect(html).toContain('"shouldPersistHeaders":false');

    // The token is the hub's own, for exactly that identity.
    const token = bearerIn(html)!;
    expect(token).toBeTruthy();
    const demo = await DemoIssuer.load(hub.dataDir);
    const auth = await Authenticator.create({ demo, db: hub.database.db });
    expect(await auth.authenticate(`Bearer ${token}`)).toMatchObject({ subject: 'demo:land-analyst', orgCode: 'ministerium-15', role: Role.VIEWER, via: 'demo' });
    const { exp, iat } = decodeJwt(token);
    expect(exp! - iat!).toBeGreaterThanOrEqual(23 * 3600);

    // …and the hub accepts it: a request with it runs as the Land's ministry, which sees its
    // agreements (the public sees none), and is refused as a viewer, not as the public.
    const asAnalyst = (query: string) =>
      fetch(`${hub.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) }).then(
        (r) => r.json() as Promise<{ data?: any; errors?: Array<{ extensions?: { code?: string } }> }>,
      );
    const agreements = await asAnalyst(`{ agreements { provider { code } recipient { code } } }`);
    expect(agreements.errors).toBeUndefined();
    expect(agreements.data.agreements.length).toBeGreaterThan(0);
    for (const a of agreements.data.agreements) expect([a.provider.code, a.recipient.code]).toContain('ministerium-15');
    const refused = await asAnalyst(`mutation { createOrganization(input: { code: "x-org", name: "X", kind: LAND, regionCode: "15" }) { code } }`);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Cached for the hour: the same page (and token) again; another identity, another token.
    const again = gunzipSync((await get(`${hub.baseUrl}/graphiql?as=land-analyst`, { 'accept-encoding': 'gzip' })).body).toString('utf8');
    expect(bearerIn(again)).toBe(token);
    const plain = (await get(`${hub.baseUrl}/graphiql?as=halle-admin`, { 'accept-encoding': 'identity' })).body.toString('utf8');
    expect(decodeJwt(bearerIn(plain)!)).toMatchObject({ sub: 'demo:halle-admin', org: 'bildungsbuero-15002' });
    // The API key and the public.
    expect(bearerIn((await get(`${hub.baseUrl}/graphiql?as=${DEMO_API_KEY.name}`)).body.toString('utf8'))).toBe(hub.tokens[DEMO_API_KEY.name]);
    const pub = (await get(`${hub.baseUrl}/graphiql?as=public`)).body.toString('utf8');
    expect(bearerIn(pub)).toBeNull();
    expect(pub).toContain('<option value="public" selected>');

    // The page without a pick has the bar but no credential, and keeps the user's headers.
    const none = (await get(`${hub.baseUrl}/graphiql`)).body.toString('utf8');
    expect(none).toContain('id="kobi-view-as"');
    expect(bearerIn(none)).toBeNull();
    expect(none).toContain('"shouldPersistHeaders":true');
  });

  it('answers 400 for an unknown identity, and for any ?as= outside demo mode', async () => {
    for (const query of ['as=nobody', 'as=', 'as=land-admin&as=halle-admin', 'as=LAND-ADMIN']) {
      const res = await get(`${hub.baseUrl}/graphiql?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body.length).toBeLessThan(500);
    }

    const { auth } = await createAuthentication({ demoMode: false, dataDir: hub.dataDir, db: hub.database.db, log: silentLogger });
    const plainHub = await createHub({ db: hub.database.db, log: silentLogger, config: TEST_SETTINGS, auth });
    try {
      const base = `http://127.0.0.1:${await plainHub.listen(0, '127.0.0.1')}`;
      expect((await get(`${base}/graphiql?as=land-analyst`)).status).toBe(400);
      expect((await get(`${base}/graphiql?as=public`)).status).toBe(400);
      const page = await get(`${base}/graphiql`);
      expect(page.status).toBe(200);
      expect(page.body.toString('utf8')).not.toContain('kobi-view-as');
    } finally {
      await plainHub.close();
    }
  });

  it.skipIf(!hasChromium && !requireBrowser)(
    'renders in headless Chromium and runs the first example with no request leaving loopback',
    async () => {
      if (!hasChromium) throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: ${INSTALL_HINT}`);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        // Chromium's own background traffic (updates, sync, QUIC probes) is switched off, so that
        // what is left is what the page itself asks for.
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      let page: Page | undefined;
      try {
        // A tall window: the result editor only renders the lines it shows.
        const context = await browser.newContext({ viewport: { width: 1400, height: 1600 } });
        page = await context.newPage();
        const requests: string[] = [];
        // Recorded on the context, not the page: it also sees the page's workers and any popup.
        context.on('request', (request) => requests.push(request.url()));
        await context.route('**/*', (route) =>
          isLoopback(route.request().url()) ? route.continue() : route.abort('blockedbyclient'),
        );

        await page.goto(`${hub.baseUrl}/graphiql`);
        const execute = page.locator('.graphiql-execute-button');
        await execute.waitFor({ state: 'visible', timeout: 60_000 });
        // GraphiQL opens on the first tab, which is the first example.
        await page.locator('.graphiql-query-editor').getByText('KreisComparison').first().waitFor({ timeout: 30_000 });

        // GraphiQL also posts its introspection query to /graphql on load: wait for this one.
        const answered = page.waitForResponse(
          (r) => new URL(r.url()).pathname === '/graphql' && (r.request().postData() ?? '').includes('query KreisComparison'),
        );
        await execute.click();
        const response = await answered;
        expect(response.status()).toBe(200);
        const body = (await response.json()) as { data?: { series?: Array<{ region: { name: string } }> }; errors?: unknown };
        expect(body.errors).toBeUndefined();
        expect(body.data?.series?.length).toBe(14);

        // The answer is also what GraphiQL shows: demo-data names in the result pane.
        const result = page.locator('.graphiql-response');
        await result.getByText('Dessau-Roßlau').first().waitFor({ timeout: 30_000 });
        await result.getByText('Halle (Saale)').first().waitFor({ timeout: 30_000 });

        // The identity picker. A credential that GraphiQL stored earlier (for new tabs and per
        // tab) must not win over the pick: after picking, the query typed into the tab GraphiQL
        // opens runs with the picked identity's token, as that identity.
        // GraphiQL stores its tabs half a second after a change.
        await page.waitForFunction(() => localStorage.getItem('graphiql:tabState') !== null);
        await page.evaluate(() => {
          const stale = '{"Authorization": "Bearer stale.left.behind"}';
          localStorage.setItem('graphiql:headers', stale);
          const state = JSON.parse(localStorage.getItem('graphiql:tabState')!);
          for (const tab of state.tabs) tab.headers = stale;
          localStorage.setItem('graphiql:tabState', JSON.stringify(state));
        });
        const runAs = async (name: string) => {
          await Promise.all([page!.waitForURL(new RegExp(`\\?as=${name}$`)), page!.selectOption('#kobi-view-as select', name)]);
          // Typed rather than picked from the example tabs: under this test's request routing,
          // GraphiQL 5 leaves the editor empty on the first tab switch after a reload.
          await page!.locator('.graphiql-query-editor .view-lines').first().click();
          await page!.keyboard.press('ControlOrMeta+A');
          await page!.keyboard.insertText('query Who { agreements { provider { code } recipient { code } } }');
          const answered = page!.waitForResponse((r) => new URL(r.url()).pathname === '/graphql' && (r.request().postData() ?? '').includes('query Who'));
          await execute.click();
          const response = await answered;
          expect(response.status()).toBe(200);
          const body = (await response.json()) as { data?: { agreements: Array<{ provider: { code: string }; recipient: { code: string } }> }; errors?: unknown };
          expect(body.errors).toBeUndefined();
          return { authorization: (await response.request().allHeaders()).authorization, agreements: body.data!.agreements };
        };
        const analyst = await runAs('land-analyst');
        expect(decodeJwt(analyst.authorization!.replace(/^Bearer /, ''))).toMatchObject({ sub: 'demo:land-analyst', org: 'ministerium-15', role: 'viewer' });
        expect(analyst.agreements.length).toBeGreaterThan(0);
        for (const a of analyst.agreements) expect([a.provider.code, a.recipient.code]).toContain('ministerium-15');
        const pub = await runAs('public');
        expect(pub.authorization).toBeUndefined();
        expect(pub.agreements).toEqual([]);

        expect(requests.length).toBeGreaterThan(0);
        expect(requests.filter((url) => !isLoopback(url))).toEqual([]);
      } finally {
        // A diagnostic only: never let it hide the test's own failure.
        await page?.screenshot({ path: SCREENSHOT }).catch(() => undefined);
        await browser.close();
      }
    },
    180_000,
  );
});
