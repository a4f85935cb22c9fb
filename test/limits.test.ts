import { getIntrospectionQuery, parse, type GraphQLError } from 'graphql';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentGuard, MAX_FIELD_REPEATS } from '../src/graphql/document-guard';
import { REFUSED_BODY_DISCARD_BYTES } from '../src/server';
import { hubSchema } from '../src/graphql/schema';
import { startTestHub, TEST_SETTINGS, type TestHub } from './support/hub';

/** The hub with the default limits of the tests (TEST_SETTINGS) … */
let t: TestHub;
/** … and one with a cell limit of 100 in production mode (no field suggestions) and with INTROSPECTION=0. */
let small: TestHub;
const LIMIT = 100;
beforeAll(async () => {
  [t, small] = await Promise.all([startTestHub(), startTestHub({ maxCells: LIMIT, hideSuggestions: true, introspection: false })]);
});
afterAll(async () => {
  await Promise.all([t?.close(), small?.close()]);
});

/** Runs `work` and counts the statements matching `which` that reach the database, at the driver (every connection of the process). */
async function counting<T>(which: RegExp, work: (seen: string[]) => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const original = pg.Client.prototype.query;
  const statements: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
    const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
    if (typeof text === 'string' && which.test(text)) statements.push(text);
    return (original as any).apply(this, args);
  } as any;
  try {
    return { result: await work(statements), statements };
  } finally {
    pg.Client.prototype.query = original;
  }
}

/** Transactions begun and not yet ended among the statements seen. */
const statementsBalance = (statements: string[]) => statements.filter((s) => /^\s*BEGIN/i.test(s)).length - statements.filter((s) => /^\s*(COMMIT|ROLLBACK)/i.test(s)).length;

/** Runs one request on the small hub and counts the series statements (reads of `observation o`) at the driver. */
async function seriesStatements(query: string, variables?: Record<string, unknown>) {
  const { result: res, statements } = await counting(/FROM observation o\b/, () => small.gql(query, variables));
  return { res, statements: statements.length };
}

const SERIES = `query($ind: [String!]!, $reg: [String!], $level: RegionLevel, $parent: String, $from: String, $to: String, $latest: Int, $breakdown: BreakdownInput) {
  series(indicatorCodes: $ind, regionCodes: $reg, regionLevel: $level, parentCode: $parent, from: $from, to: $to, latest: $latest, breakdown: $breakdown) { periods values }
}`;

let kreise: string[];
let yearly: string;
let schoolYearly: string;
let bySex: string;
beforeAll(async () => {
  const d = await t.data(`{ regions(level: KREIS, parentCode: "15") { code } indicators(first: 500) { edges { node { code periodType breakdowns } } } }`);
  kreise = d.regions.map((r: any) => r.code);
  const nodes = d.indicators.edges.map((e: any) => e.node);
  yearly = nodes.find((n: any) => n.periodType === 'YEAR').code;
  schoolYearly = nodes.find((n: any) => n.periodType === 'SCHOOL_YEAR').code;
  bySex = nodes.find((n: any) => n.periodType === 'YEAR' && n.breakdowns.includes('SEX')).code;
});

/** The request must be refused with QUERY_TOO_COMPLEX for `cells` cells, before any series statement. */
async function refused(query: string, variables: Record<string, unknown>, cells: number) {
  const { res, statements } = await seriesStatements(query, variables);
  expect(res.body.errors?.length).toBeGreaterThan(0);
  for (const e of res.body.errors!) expect(e.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cells, limit: LIMIT });
  expect(statements).toBe(0);
}

async function admitted(query: string, variables: Record<string, unknown>) {
  const { res, statements } = await seriesStatements(query, variables);
  expect(res.body.errors).toBeUndefined();
  expect(statements).toBe(1);
  return res.body.data;
}

describe('cell limit of series (QUERY_MAX_CELLS)', () => {
  it('counts indicators × regions × years of a range: 100 cells pass, 110 are refused', async () => {
    const d = await admitted(SERIES, { ind: [yearly], reg: kreise.slice(0, 10), from: '2010', to: '2019' });
    expect(d.series).toHaveLength(10);
    await refused(SERIES, { ind: [yearly], reg: kreise.slice(0, 11), from: '2010', to: '2019' }, 110);
  });

  it('counts school years by their start (1 August)', async () => {
    await admitted(SERIES, { ind: [schoolYearly], reg: kreise.slice(0, 10), from: '2010/11', to: '2019/20' });
    await refused(SERIES, { ind: [schoolYearly], reg: kreise.slice(0, 10), from: '2010/11', to: '2020/21' }, 110);
    // a range given as calendar years: the school years starting in it
    await refused(SERIES, { ind: [schoolYearly], reg: kreise.slice(0, 10), from: '2010', to: '2020' }, 110);
  });

  it('counts `latest: n` as n periods, over regions chosen by level', async () => {
    await admitted(SERIES, { ind: [yearly], level: 'KREIS', parent: '15', latest: 7 });
    await refused(SERIES, { ind: [yearly], level: 'KREIS', parent: '15', latest: 8 }, 14 * 8);
  });

  it('counts an unbounded window from 2000 to the end of next year', async () => {
    const horizon = new Date().getUTCFullYear() + 1 - 2000 + 1;
    await admitted(SERIES, { ind: [yearly], reg: kreise.slice(0, 3) });
    await refused(SERIES, { ind: [yearly], reg: kreise.slice(0, 4) }, 4 * horizon);
  });

  it('counts the breakdown codes asked for, or all known codes of the dimension', async () => {
    await admitted(SERIES, { ind: [bySex], reg: ['15'], from: '2000', to: '2024', breakdown: { dimension: 'SEX' } });
    await refused(SERIES, { ind: [bySex], reg: ['15'], from: '2000', to: '2025', breakdown: { dimension: 'SEX' } }, 26 * 4);
    await admitted(SERIES, { ind: [bySex], reg: ['15', '15001'], from: '2000', to: '2024', breakdown: { dimension: 'SEX', codes: ['F', 'M'] } });
  });

  it('sums nested series over the whole batch: 14 Kreise × 8 years are refused though each asks for 8', async () => {
    const nested = `query($ind: [String!]!, $to: String) { regions(level: KREIS, parentCode: "15") { code series(indicatorCodes: $ind, from: "2010", to: $to) { values } } }`;
    const d = await admitted(nested, { ind: [yearly], to: '2016' });
    expect(d.regions).toHaveLength(14);
    await refused(nested, { ind: [yearly], to: '2017' }, 14 * 8);
    const byIndicator = `query($reg: [String!]!) { indicator(code: "${yearly}") { series(regionCodes: $reg, from: "2010", to: "2019") { values } } }`;
    await refused(byIndicator, { reg: kreise.slice(0, 11) }, 110);
  });
});

/** POSTs a document to the default hub and expects one error with `code` and HTTP 400. */
async function rejected(query: string, code: string) {
  const res = await t.failure(query);
  expect(res.status).toBe(400);
  expect(res.error.extensions?.code).toBe(code);
  expect(res.body.data).toBeUndefined();
  return res.error;
}

describe('field cost limit for the rest of the schema', () => {
  it('refuses a query nested deeper than QUERY_MAX_DEPTH', async () => {
    const deep = `{ region(code: "15") { ${'children { '.repeat(TEST_SETTINGS.maxDepth)} code ${'}'.repeat(TEST_SETTINGS.maxDepth)} } }`;
    expect((await rejected(deep, 'QUERY_TOO_COMPLEX')).extensions?.limit).toBe('depth');
    await t.data(`{ region(code: "15") { ${'parent { '.repeat(TEST_SETTINGS.maxDepth - 2)} code ${'}'.repeat(TEST_SETTINGS.maxDepth - 2)} } }`);
  });

  it('refuses alias overloading and directive overloading', async () => {
    const aliases = `{ ${Array.from({ length: TEST_SETTINGS.maxAliases + 1 }, (_, i) => `a${i}: region(code: "15") { name }`).join(' ')} }`;
    expect((await rejected(aliases, 'QUERY_TOO_COMPLEX')).extensions?.limit).toBe('aliases');
    // more than the limit, spread over inline fragments: no selection set repeats `name` more than MAX_FIELD_REPEATS times
    const fragment = `... on Region { ${'name @include(if: true) '.repeat(MAX_FIELD_REPEATS)}}`;
    const directives = `{ region(code: "15") { ${Array(Math.ceil((TEST_SETTINGS.maxDirectives + 1) / MAX_FIELD_REPEATS)).fill(fragment).join(' ')} } }`;
    expect((await rejected(directives, 'QUERY_TOO_COMPLEX')).extensions?.limit).toBe('directives');
  });

  it('refuses a huge document at the parser (GRAPHQL_PARSE_FAILED)', async () => {
    const codes = Array.from({ length: TEST_SETTINGS.maxTokens }, (_, i) => `"${i}"`).join(', ');
    await rejected(`{ regions(codes: [${codes}]) { code } }`, 'GRAPHQL_PARSE_FAILED');
  });

  it('refuses a query whose nested lists multiply beyond QUERY_MAX_COST, counting list arguments by their length', async () => {
    const wide = `{ regions { children { children { children { code name } } } } }`;
    const error = await rejected(wide, 'QUERY_TOO_COMPLEX');
    expect(error.extensions).toMatchObject({ limit: 'cost', max: TEST_SETTINGS.maxCost });
    expect(error.extensions?.cost).toBeGreaterThan(TEST_SETTINGS.maxCost);
    expect(error.extensions?.http).toBeUndefined();
    // a whole catalogue page: the connection counts its `first` once, not again for `edges`
    const page = await t.data(`{ indicators(first: 500) { totalCount edges { cursor node { code name unit periodType breakdowns area { code name } owner { code } } } } }`);
    expect(page.indicators.edges.length).toBe(page.indicators.totalCount);
    // the same shape under three named regions costs 3 × instead of 10 ×
    await t.data(`query($codes: [String!]) { regions(codes: $codes) { children { children { children { code name } } } } }`, { codes: ['15', '15002', '15003'] });
  });

  it('costs the same document anew for other variables (the cost is remembered per document and variables)', async () => {
    const shape = `query($codes: [String!]) { regions(codes: $codes) { children { children { children { code name } } } } }`;
    for (let i = 0; i < 2; i++) {
      await t.data(shape, { codes: ['15', '15002', '15003'] });
      const wide = await t.gql(shape, { codes: Array.from({ length: 20 }, () => '15') });
      expect(wide.status).toBe(400);
      expect(wide.body.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost' });
    }
  });

  it('lets introspection through (GraphiQL), unless INTROSPECTION=0', async () => {
    const d = await t.data(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }));
    expect(d.__schema.queryType.name).toBe('Query');
    const off = await small.failure(`{ __schema { queryType { name } } }`);
    expect(off.status).toBe(400);
    expect(off.error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await small.failure(`{ __type(name: "Region") { name } }`)).error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await small.data(`{ __typename }`)).toEqual({ __typename: 'Query' });
  });

  it('counts the depth of a fragment where it is used, however often (the 2025 fixes of GraphQL Armor max-depth 2.4.1)', async () => {
    const n = TEST_SETTINGS.maxDepth;
    // F is n - 3 deep: fine right under `region`, too deep under three more levels. Before 2.4.1 the
    // second use counted the depth cached at the first.
    const fragment = `fragment F on Region { ${'parent { '.repeat(n - 4)} code ${'}'.repeat(n - 4)} }`;
    await t.data(`{ region(code: "15") { ...F } } ${fragment}`);
    const reused = await rejected(`{ region(code: "15") { ...F parent { parent { parent { ...F } } } } } ${fragment}`, 'QUERY_TOO_COMPLEX');
    expect(reused.extensions?.limit).toBe('depth');
    // Before 2.4.1 an operation (or fragment) named `__schema` was skipped like introspection.
    const deep = `region(code: "15") { ${'parent { '.repeat(n)} code ${'}'.repeat(n)} }`;
    expect((await rejected(`query __schema { ${deep} }`, 'QUERY_TOO_COMPLEX')).extensions?.limit).toBe('depth');
  });

  it('hides "Did you mean" suggestions in production mode only', async () => {
    const typo = `{ region(code: "15") { nam } }`;
    const dev = await t.failure(typo);
    expect(dev.error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(dev.error.message).toMatch(/Did you mean/);
    const prod = await small.failure(typo);
    expect(prod.status).toBe(400);
    expect(prod.error.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(prod.error.message).not.toMatch(/Did you mean|"name"/);
    // also in the coercion of variables (a misspelt enum value)
    const level = `query($l: RegionLevel) { regions(level: $l) { code } }`;
    expect((await t.failure(level, { l: 'KREISE' })).error.message).toMatch(/Did you mean/);
    const prodLevel = await small.failure(level, { l: 'KREISE' });
    expect(prodLevel.error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(prodLevel.error.message).not.toMatch(/Did you mean|"KREIS"/);
  });
});

/**
 * Every way the hub refuses a request before running it. For the public each must answer 4xx with
 * a code of README "Errors", and not one statement may reach PostgreSQL: the public's request
 * transaction opens at its first statement (src/db/request-transaction.ts), so a refusal costs
 * no database work at all. Counted at the driver, over every connection of the process.
 */
describe('every rejection of an anonymous request: HTTP 4xx, a stable code, no SQL', () => {
  const url = () => `${t.baseUrl}/graphql`;
  const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const get = (query: string, preflight = true): [string, RequestInit] => [
    `${url()}?query=${encodeURIComponent(query)}`,
    { headers: preflight ? { 'Apollo-Require-Preflight': 'true' } : {} },
  ];
  const deep = `{ region(code: "15") { ${'children { '.repeat(TEST_SETTINGS.maxDepth)} code ${'}'.repeat(TEST_SETTINGS.maxDepth)} } }`;
  const cases: Array<[string, () => [string, RequestInit], number, string, Record<string, unknown>?]> = [
    ['syntax error', () => [url(), json({ query: '{ regions { code ' })], 400, 'GRAPHQL_PARSE_FAILED'],
    ['more tokens than QUERY_MAX_TOKENS', () => [url(), json({ query: `{ ${'__typename '.repeat(TEST_SETTINGS.maxTokens)} }` })], 400, 'GRAPHQL_PARSE_FAILED'],
    ['unknown field', () => [url(), json({ query: '{ regions { nope } }' })], 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['circular fragments', () => [url(), json({ query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' })], 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['a field repeated 11 times in one selection set', () => [url(), json({ query: `{ region(code: "15") { ${'name '.repeat(MAX_FIELD_REPEATS + 1)} } }` })], 400, 'QUERY_TOO_COMPLEX', { limit: 'repeats', max: MAX_FIELD_REPEATS }],
    ['a field repeated 4,000 times', () => [url(), json({ query: `{ region(code: "15") { ${'name '.repeat(4000)} } }` })], 400, 'QUERY_TOO_COMPLEX', { limit: 'repeats', max: MAX_FIELD_REPEATS }],
    ['too deep', () => [url(), json({ query: deep })], 400, 'QUERY_TOO_COMPLEX', { limit: 'depth' }],
    ['too many aliases', () => [url(), json({ query: `{ ${Array.from({ length: TEST_SETTINGS.maxAliases + 1 }, (_, i) => `a${i}: region(code: "15") { name }`).join(' ')} }` })], 400, 'QUERY_TOO_COMPLEX', { limit: 'aliases' }],
    ['too many directives', () => [url(), json({ query: `{ __typename ${'@skip(if: false) '.repeat(TEST_SETTINGS.maxDirectives + 1)} }` })], 400, 'QUERY_TOO_COMPLEX', { limit: 'directives' }],
    ['too costly', () => [url(), json({ query: '{ regions { children { children { children { code name } } } } }' })], 400, 'QUERY_TOO_COMPLEX', { limit: 'cost' }],
    ['wrong variable type', () => [url(), json({ query: 'query($n: Int!) { indicators(first: $n) { totalCount } }', variables: { n: 'ten' } })], 400, 'BAD_USER_INPUT'],
    ['missing variable', () => [url(), json({ query: 'query($c: String!) { region(code: $c) { name } }' })], 400, 'BAD_USER_INPUT'],
    ['NUL character in a variable', () => [url(), json({ query: 'query($c: String!) { region(code: $c) { name } }', variables: { c: '15\u0000' } })], 400, 'BAD_USER_INPUT'],
    ['NUL character in a literal', () => [url(), json({ query: '{ indicators(search: "a\\u0000b") { totalCount } }' })], 400, 'BAD_USER_INPUT'],
    ['two operations, no operationName', () => [url(), json({ query: 'query A { __typename } query B { __typename }' })], 400, 'OPERATION_RESOLUTION_FAILURE'],
    ['an operationName the document lacks', () => [url(), json({ query: 'query A { __typename }', operationName: 'B' })], 400, 'OPERATION_RESOLUTION_FAILURE'],
    ['a batch (JSON array)', () => [url(), json([{ query: '{ __typename }' }, { query: '{ __typename }' }])], 400, 'BAD_REQUEST'],
    ['malformed JSON', () => [url(), json('{"query": ')], 400, 'BAD_REQUEST'],
    ['query not a string', () => [url(), json({ query: 5 })], 400, 'BAD_REQUEST'],
    ['no query', () => [url(), json({ variables: {} })], 400, 'BAD_REQUEST'],
    ['automatic persisted query', () => [url(), json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38' } } })], 400, 'PERSISTED_QUERY_NOT_SUPPORTED'],
    ['text/plain POST (CSRF prevention)', () => [url(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) }], 400, 'BAD_REQUEST'],
    ['GET without Apollo-Require-Preflight (CSRF prevention)', () => get('{ __typename }', false), 400, 'BAD_REQUEST'],
    ['a mutation over GET', () => get('mutation { revokeApiKey(id: 1) { id } }'), 405, 'BAD_REQUEST'],
    ['a body over the public\'s limit', () => [url(), json({ query: '{ __typename }', variables: { x: 'x'.repeat(TEST_SETTINGS.maxAnonymousBody) } })], 413, 'QUERY_TOO_COMPLEX', { limit: 'body', max: TEST_SETTINGS.maxAnonymousBody }],
    ['a body over the limit of a login, sent with a token that is not one', () => [url(), { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' }, body: JSON.stringify({ query: '{ __typename }', variables: { x: 'x'.repeat(TEST_SETTINGS.maxAnonymousBody) } }) }], 413, 'QUERY_TOO_COMPLEX', { limit: 'body', max: TEST_SETTINGS.maxAnonymousBody }],
  ];

  it.each(cases)('%s', async (_name, request, status, code, extensions = {}) => {
    const { result: res, statements } = await counting(/./, async () => {
      const r = await fetch(...request());
      return { status: r.status, body: (await r.json()) as { data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> } };
    });
    expect(res.status).toBe(status);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions).toEqual({ code, ...extensions, ...(code === 'QUERY_TOO_COMPLEX' && extensions.limit === 'cost' ? { cost: expect.any(Number), max: TEST_SETTINGS.maxCost } : {}) });
    expect(statements).toEqual([]);
  });

  it('a body over the limit by its Content-Length is answered before it is sent, the rest read off up to a bound; a chunked one is cut at the limit', async () => {
    // Headers promising 100 MB, then 11 bytes: the answer must come without the rest (body-parser
    // reads a refused body to its end before answering, which a client could abuse).
    const target = new URL(url());
    const socket = net.connect(Number(target.port), target.hostname);
    socket.write(`POST /graphql HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"query": "`);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (received += chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // the reset when the hub cuts the connection
    const deadline = Date.now() + 5000;
    while (!/\r\n\r\n.*\}\]\}$/s.test(received) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const [head, body] = received.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(JSON.parse(body).errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'body', max: TEST_SETTINGS.maxAnonymousBody });
    // The hub reads off what follows up to REFUSED_BODY_DISCARD_BYTES, then closes the connection.
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    for (let sent = 0; sent <= REFUSED_BODY_DISCARD_BYTES + chunk.length && !socket.destroyed; sent += chunk.length) {
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
    }
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the hub kept the connection open past the bound')), 5000).unref())]);

    // Without a length the parser reads up to the limit and refuses what goes past it.
    const chunks = [JSON.stringify({ query: '{ __typename }', variables: { x: 'x'.repeat(TEST_SETTINGS.maxAnonymousBody) } })];
    const chunked = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({ pull: (c) => (chunks.length ? c.enqueue(new TextEncoder().encode(chunks.pop())) : c.close()) }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as any).errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'body', max: TEST_SETTINGS.maxAnonymousBody });
  });

  it('a logged-in request refused after its context was built still ends its transaction (no connection left in one)', async () => {
    // A member's context opens the request transaction (the organization lookup); Apollo refuses
    // a batch or a malformed body after building the context, outside the plugin that ends it.
    const member = { authorization: `Bearer ${t.tokens['halle-editor']}` };
    const refusals: Array<[string, RequestInit]> = [
      ['batch', json([{ query: '{ __typename }' }, { query: '{ __typename }' }], member)],
      ['query not a string', json({ query: 5 }, member)],
      ['variables as a string', json({ query: '{ __typename }', variables: '{}' }, member)],
      ['no query', json({}, member)],
    ];
    for (const [what, init] of refusals) {
      const { result: status, statements } = await counting(/^\s*(BEGIN|COMMIT|ROLLBACK)\b/i, async (seen) => {
        const r = await fetch(url(), init);
        await r.text();
        // the end may follow the answer by a moment: wait until every transaction begun has ended
        for (let i = 0; i < 50 && statementsBalance(seen) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        return r.status;
      });
      expect(status, what).toBe(400);
      expect(statements.some((s) => /^\s*BEGIN/i.test(s)), what).toBe(true); // it did open one
      expect(statementsBalance(statements), what).toBe(0);
    }
  });

  it('the counter sees the statements of an admitted request (so that 0 above means something)', async () => {
    const { statements } = await counting(/./, () => t.data(`{ region(code: "15") { name } }`));
    // In a transaction: BEGIN; SET LOCAL ROLE …, the region, COMMIT; on the public's pool (server
    // pass) the region alone, in autocommit.
    expect(statements.length).toBeGreaterThanOrEqual(t.database.mode === 'server' ? 1 : 3);
  });
});

describe('breakdowns the API tells about (issue 4, item 4)', () => {
  it('lists the codes of a dimension with German labels, the total first', async () => {
    const d = await t.data(`{ sex: breakdownCodes(dimension: SEX) { dimension code label } nat: breakdownCodes(dimension: NATIONALITY) { code label } school: breakdownCodes(dimension: SCHOOL_TYPE) { code label } }`);
    expect(d.sex).toEqual([
      { dimension: 'SEX', code: '_T', label: 'Insgesamt' },
      { dimension: 'SEX', code: 'F', label: 'weiblich' },
      { dimension: 'SEX', code: 'M', label: 'männlich' },
      { dimension: 'SEX', code: 'D', label: 'divers' },
    ]);
    expect(d.nat.map((c: any) => `${c.code} ${c.label}`)).toEqual(['_T Insgesamt', 'DE deutsch', 'FOR ausländisch']);
    expect(d.school[0]).toEqual({ code: '_T', label: 'Insgesamt' });
  });

  it('lists the school types that the cells of catalogue indicators use, in the order of the classification', async () => {
    // K15002-SSA (Schulsozialarbeit in Halle) is broken down by school type.
    const d = await t.data(`{ breakdownCodes(dimension: SCHOOL_TYPE) { code label } }`, {}, 'halle-editor');
    expect(d.breakdownCodes.map((c: any) => c.code)).toEqual(['_T', 'GS', 'SEK', 'GMS', 'IGS', 'GYM', 'FOES']);
    expect(d.breakdownCodes[1].label).toBe('Grundschule');
    expect((await t.data(`{ breakdownCodes(dimension: AGE_GROUP) { code } }`)).breakdownCodes).toEqual([{ code: '_T' }]);
  });

  it('tells which breakdowns an indicator has, and a breakdown without codes gives the total and every part with data', async () => {
    const d = await t.data(`query($i: String!) { indicator(code: $i) { breakdowns } series(indicatorCodes: [$i], regionCodes: ["15"], breakdown: { dimension: SEX }, latest: 1) { breakdown { code } values } }`, { i: bySex });
    expect(d.indicator.breakdowns).toContain('SEX');
    const codes = d.series.map((s: any) => s.breakdown.code);
    expect(codes[0]).toBe('_T');
    expect(codes).toEqual(expect.arrayContaining(['F', 'M']));
    const [total, ...parts] = d.series.map((s: any) => s.values[0]);
    expect(parts.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(total, 6);
  });
});

describe('the document guard in front of Apollo', () => {
  const settings = { maxTokens: 100, maxDepth: 3, maxAliases: 2, maxDirectives: 2 };

  it('remembers each verdict, refusals included, and forgets the least recently used first', () => {
    const guard = new DocumentGuard(hubSchema(), settings);
    const abusive = `{ ${'__typename '.repeat(MAX_FIELD_REPEATS + 1)} }`;
    const first = guard.judge(abusive);
    expect(first?.map((e) => e.extensions)).toEqual([{ code: 'QUERY_TOO_COMPLEX', limit: 'repeats', max: MAX_FIELD_REPEATS }]);
    expect(guard.judge(abusive)).toBe(first); // the same array: not judged again
    expect(first?.[0].stack, 'a remembered refusal keeps no stack trace').toBe(`GraphQLError: ${first?.[0].message}`);
    expect(guard.judge('{ __typename }')).toBeNull();
    const [syntax] = guard.judge('{ __typename ')!;
    expect(syntax.toJSON()).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' }, locations: [{ line: 1, column: 14 }] });
    expect(syntax.source, 'a remembered verdict keeps no query text').toBeUndefined();
    const [cycle] = guard.judge('{ ...A }\nfragment A on Query { ...A }')!;
    expect(cycle.toJSON()).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' }, locations: [{ line: 2, column: 23 }] });
    expect(cycle.source).toBeUndefined();
    for (const error of [syntax, cycle]) expect(error.stack).not.toMatch(/\n\s+at /);
    // 1,000 other texts later, the abusive one (used again in between) is still known, the first valid one is not
    for (let i = 0; i < 999; i++) {
      if (i === 500) expect(guard.judge(abusive)).toBe(first);
      guard.judge(`{ a${i}: __typename }`);
    }
    expect(guard.judge(abusive)).toBe(first);
    expect(guard.judge(`{ ${'__typename '.repeat(MAX_FIELD_REPEATS + 1)} }`)).toBe(first);
    const refusedAgain = guard.judge(`{ ${'__typename '.repeat(MAX_FIELD_REPEATS + 1)}}`); // another text, judged anew
    expect(refusedAgain).not.toBe(first);
    expect(refusedAgain?.[0].extensions?.limit).toBe('repeats');
  });

  it('refuses a document over the token limit as the parser would, without parsing it', () => {
    const guard = new DocumentGuard(hubSchema(), { ...settings, maxDirectives: 1_000 });
    const parserSays = (text: string) => {
      try {
        parse(text, { maxTokens: settings.maxTokens });
      } catch (err) {
        return { ...(err as GraphQLError).toJSON(), extensions: { code: 'GRAPHQL_PARSE_FAILED' } };
      }
      throw new Error('the parser took it');
    };
    const tokens = (n: number) => `query($a: [Int] = [${'1 '.repeat(n - 15)}]) { __typename }`; // n tokens in all
    expect(guard.judge(tokens(settings.maxTokens)), 'exactly at the limit').toBeNull();
    for (const over of [tokens(settings.maxTokens + 1), `{ ${'__typename @aa '.repeat(settings.maxTokens)} }`]) {
      const refusal = guard.judge(over)!;
      expect(refusal.map((e) => e.toJSON())).toEqual([parserSays(over)]);
      expect(refusal[0].message).toMatch(/more that 100 tokens/);
    }
    // the count comes first: a text over the limit is refused for it, whatever else is wrong in it
    expect(guard.judge(`{${'{'.repeat(settings.maxTokens)}`)?.[0].message).toMatch(/more that 100 tokens/);
    // comments are no tokens: a long text of few tokens passes; a lexical error is the parser's error
    expect(guard.judge(`{ __typename }\n# ${'x'.repeat(10 * settings.maxTokens)}`)).toBeNull();
    const unterminated = `{ __typename(a: "${'x'.repeat(10 * settings.maxTokens)} }`;
    expect(guard.judge(unterminated)!.map((e) => e.toJSON())).toEqual([parserSays(unterminated)]);
  });

  it('counts repeats per selection set and response key: aliases and nested sets are separate', () => {
    const guard = new DocumentGuard(hubSchema(), { ...settings, maxAliases: 100 });
    const ten = 'code '.repeat(MAX_FIELD_REPEATS);
    expect(guard.judge(`{ region(code: "15") { ${ten} parent { ${ten} } } }`)).toBeNull();
    expect(guard.judge(`{ region(code: "15") { ${ten} c: code c: code } }`)).toBeNull();
    expect(guard.judge(`{ region(code: "15") { ${ten} parent { code } code } }`)?.[0].extensions?.limit).toBe('repeats');
  });
});
