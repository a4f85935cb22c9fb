import {
  getNamedType,
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLInt,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FIELD_REPEATS } from '../src/graphql/document-guard';
import { ERROR_CODES } from '../src/graphql/errors';
import { hubSchema } from '../src/graphql/schema';
import { BODY_LIMIT_BYTES } from '../src/server';
import { startTestHub, TEST_SETTINGS, type TestHub } from './support/hub';

/**
 * The OWASP GraphQL cheat sheet's attacks against the real HTTP server (issue 6, item 6): deep
 * nesting, alias overloading, batching, field duplication, directive overloading, circular
 * fragments, huge documents and strings, wrong variable types, and injection strings in every
 * string argument of every query and mutation, the list derived from the schema. Each: no 5xx, a
 * code of the closed set (the expected one where the case has one), and nothing written — checked
 * by a fingerprint of every table, read as the table owner.
 */
let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

/** Sends any request to /graphql (POST JSON unless `init` says otherwise) as the public or a demo identity. */
async function send(body: unknown, as?: string, init: RequestInit = {}, query = ''): Promise<Answer> {
  const res = await fetch(`${t.baseUrl}/graphql${query}`, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${t.tokens[as]}` } : {}), ...(init.headers as Record<string, string>) },
    body: init.method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status} answered with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: parsed };
}

const ALLOWED = new Set<string>(ERROR_CODES.filter((c) => c !== 'INTERNAL_SERVER_ERROR'));

/** No 5xx, and every error carries a code of the closed set other than INTERNAL_SERVER_ERROR. */
function sane(a: Answer, what: string): void {
  expect(a.status, `${what}: HTTP status`).toBeLessThan(500);
  for (const e of a.body.errors ?? []) expect(ALLOWED.has(e.extensions?.code ?? ''), `${what}: code ${e.extensions?.code} (${e.message.slice(0, 200)})`).toBe(true);
}

/** Refused as a whole: the status, exactly one error with `code`, no data. */
function refused(a: Answer, status: number, code: string, what = ''): void {
  sane(a, what);
  expect(a.status, what).toBe(status);
  expect(a.body.data, what).toBeUndefined();
  expect(a.body.errors?.map((e) => e.extensions?.code), what).toEqual([code]);
}

/** Refused as a whole with `code` among its errors; the others, if any, are validation errors of the same document. */
function refusedWith(a: Answer, status: number, code: string, what = ''): void {
  sane(a, what);
  expect(a.status, what).toBe(status);
  expect(a.body.data, what).toBeUndefined();
  const codes = new Set(a.body.errors?.map((e) => e.extensions?.code));
  expect(codes.has(code), what).toBe(true);
  for (const c of codes) expect(['GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_COMPLEX'], what).toContain(c);
}

/**
 * A fingerprint of every table of the database, read as the table owner (row-level security hides
 * nothing from it): the row count and the newest row version's transaction id (`xmin`). Any
 * committed write changes one of them: an insert or update adds a row version with a newer xmin,
 * a delete lowers the count; a rolled-back write changes neither.
 */
async function fingerprint(except: string[] = []): Promise<Record<string, string>> {
  tableNames ??= (await t.database.db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r: { tablename: string }) => r.tablename);
  const parts = tableNames!
    .filter((name) => !except.includes(name))
    .map((name) => `SELECT '${name}' AS t, count(*)::text || ':' || coalesce(max(x.xmin::text::bigint), 0)::text AS f FROM "${name}" x`);
  const rows: Array<{ t: string; f: string }> = await t.database.db.query(parts.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.f]));
}
let tableNames: string[] | undefined;

describe('the OWASP GraphQL cases', () => {
  let before: Record<string, string>;
  beforeAll(async () => {
    before = await fingerprint();
  });
  // Every case of this block is refused or harmless; together they write nothing.
  afterAll(async () => {
    expect(await fingerprint()).toEqual(before);
  });

  const q = (query: string, variables?: unknown, operationName?: string) => ({ query, variables, operationName });
  const deep = (n: number) => `{ region(code: "15") { ${'parent { '.repeat(n)} code ${'}'.repeat(n)} } }`;

  it('deep nesting: depth 11, 50 and 2,000 are refused at the depth rule or the token limit', async () => {
    refused(await send(q(deep(TEST_SETTINGS.maxDepth))), 400, 'QUERY_TOO_COMPLEX');
    refused(await send(q(deep(50))), 400, 'QUERY_TOO_COMPLEX');
    refused(await send(q(deep(2_000))), 400, 'GRAPHQL_PARSE_FAILED'); // 4,000 tokens of nesting, then the limit
    // nesting through fragments and inline fragments counts the same
    const viaFragments = `{ region(code: "15") { ...P0 } } ${Array.from({ length: 12 }, (_, i) => `fragment P${i} on Region { parent { ${i < 11 ? `...P${i + 1}` : 'code'} } }`).join(' ')}`;
    refused(await send(q(viaFragments)), 400, 'QUERY_TOO_COMPLEX');
    const viaInline = `{ region(code: "15") { ${'... on Region { parent { '.repeat(12)} code ${'} } '.repeat(12)} } }`;
    refused(await send(q(viaInline)), 400, 'QUERY_TOO_COMPLEX');
  });

  it('alias overloading: 31 and 10,000 aliases; aliased introspection', async () => {
    const aliases = (n: number, field = 'region(code: "15") { name }') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    refused(await send(q(aliases(TEST_SETTINGS.maxAliases + 1))), 400, 'QUERY_TOO_COMPLEX');
    // 330 KB: over the public's body limit, refused before it is read; with a login, at the token limit
    refused(await send(q(aliases(10_000))), 413, 'QUERY_TOO_COMPLEX');
    refused(await send(q(aliases(10_000)), 'halle-admin'), 400, 'GRAPHQL_PARSE_FAILED');
    refused(await send(q(aliases(TEST_SETTINGS.maxAliases + 1, '__schema { types { name } }'))), 400, 'QUERY_TOO_COMPLEX');
  });

  it('aliases that are JavaScript names and literals that read as code are data to the compiled executor (src/graphql/jit.ts)', async () => {
    const code = 'x"); process.exit(1); //${process.exit(1)} */ `\\\'';
    const query = `{ __proto__: region(code: "15") { code } constructor: region(code: "15") { import: name function: code }
      toString: indicators(search: ${JSON.stringify(code)}) { totalCount } hasOwnProperty: indicators(first: 1, search: "Kita") { return: totalCount } }`;
    // The first run of a text is graphql-js's, the second compiled (graphql-jit).
    for (const run of ['interpreted', 'compiled']) {
      const { status, body } = await t.gql(query);
      expect(body.errors, run).toBeUndefined();
      expect(status).toBe(200);
      expect(Object.keys(body.data).sort(), run).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
      expect(Object.getOwnPropertyDescriptor(body.data, '__proto__')?.value, run).toEqual({ code: '15' });
      expect(body.data.constructor, run).toEqual({ import: 'Sachsen-Anhalt', function: '15' });
      expect(body.data.toString, run).toEqual({ totalCount: 0 });
      expect(body.data.hasOwnProperty.return, run).toBeGreaterThan(0);
    }
  });

  it('batching: JSON arrays, and many operations in one document with operationName games', async () => {
    refused(await send([q('{ __typename }'), q('{ __typename }')]), 400, 'BAD_REQUEST');
    refused(await send(Array.from({ length: 1_000 }, () => q('{ regions { code } }'))), 400, 'BAD_REQUEST');
    refused(await send([]), 400, 'BAD_REQUEST');
    const many = Array.from({ length: 100 }, (_, i) => `query Q${i} { region(code: "15") { name } }`).join(' ');
    refused(await send(q(many)), 400, 'OPERATION_RESOLUTION_FAILURE');
    refused(await send(q(many, undefined, 'Q100')), 400, 'OPERATION_RESOLUTION_FAILURE');
    const one = await send(q(many, undefined, 'Q42'));
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ data: { region: { name: 'Sachsen-Anhalt' } } }); // one operation runs, not 100
    // a mutation hidden behind a query's operationName over GET: GET runs queries only
    const mixed = `query A { __typename } mutation B { revokeApiKey(id: 1) { id } }`;
    const viaGet = await send(undefined, 'halle-admin', { method: 'GET', headers: { 'apollo-require-preflight': 'true' } }, `?query=${encodeURIComponent(mixed)}&operationName=B`);
    refused(viaGet, 405, 'BAD_REQUEST');
    refused(await send(q(mixed, undefined, 'B'.repeat(100_000))), 400, 'OPERATION_RESOLUTION_FAILURE');
    refused(await send({ ...q(mixed), operationName: ['A', 'B'] }), 400, 'BAD_REQUEST');
  });

  it('field duplication: the same field 10 times runs once, 11 and 1,000 times are refused, 10,000 times at the token limit', async () => {
    const dup = (n: number) => `{ region(code: "15") { ${'name '.repeat(n)} } }`;
    const once = await send(q(dup(MAX_FIELD_REPEATS)));
    expect(once.status).toBe(200);
    expect(once.body.data).toEqual({ region: { name: 'Sachsen-Anhalt' } });
    refused(await send(q(dup(MAX_FIELD_REPEATS + 1))), 400, 'QUERY_TOO_COMPLEX');
    refused(await send(q(dup(1_000))), 400, 'QUERY_TOO_COMPLEX');
    refused(await send(q(dup(1_000))), 400, 'QUERY_TOO_COMPLEX', 'the same refusal again (remembered)');
    refused(await send(q(dup(10_000))), 400, 'GRAPHQL_PARSE_FAILED');
    // aliases make different response keys: no repeats, the alias limit counts them
    const aliased = await send(q(`{ region(code: "15") { ${Array.from({ length: MAX_FIELD_REPEATS + 1 }, (_, i) => `n${i}: name`).join(' ')} } }`));
    expect(aliased.status).toBe(200);
    expect(Object.keys((aliased.body.data as { region: object }).region)).toHaveLength(MAX_FIELD_REPEATS + 1);
    // duplicates with differing arguments cannot be merged: a validation error, not a run
    refused(await send(q(`{ region(code: "15") { code } region(code: "15002") { code } }`)), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('directive overloading: many known, unknown and repeated directives', async () => {
    const n = TEST_SETTINGS.maxDirectives + 1;
    refusedWith(await send(q(`{ __typename ${'@include(if: true) '.repeat(n)} }`)), 400, 'QUERY_TOO_COMPLEX'); // and "used more than once"
    refusedWith(await send(q(`{ ${Array.from({ length: n }, (_, i) => `a${i % 2}: __typename @include(if: true)`).join(' ')} }`)), 400, 'QUERY_TOO_COMPLEX'); // and repeats
    refusedWith(await send(q(`{ __typename ${'@aa '.repeat(n)} }`)), 400, 'QUERY_TOO_COMPLEX'); // and "unknown directive"
    refusedWith(await send(q(`{ __typename ${'@aa '.repeat(2_000)} }`)), 400, 'QUERY_TOO_COMPLEX');
    refused(await send(q(`{ __typename ${'@aa '.repeat(3_000)} }`)), 400, 'GRAPHQL_PARSE_FAILED'); // 6,000 tokens
    refused(await send(q(`{ __typename @skip(if: false) @skip(if: false) }`)), 400, 'GRAPHQL_VALIDATION_FAILED'); // not repeatable
    refused(await send(q(`query @deprecated { __typename }`)), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('circular fragments: self, pairs, long cycles, and a fragment bomb', async () => {
    refused(await send(q(`{ ...A } fragment A on Query { ...A }`)), 400, 'GRAPHQL_VALIDATION_FAILED');
    refused(await send(q(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`)), 400, 'GRAPHQL_VALIDATION_FAILED');
    const cycle = Array.from({ length: 200 }, (_, i) => `fragment F${i} on Query { __typename ...F${(i + 1) % 200} }`).join(' ');
    refusedWith(await send(q(`{ ...F0 } ${cycle}`)), 400, 'QUERY_TOO_COMPLEX'); // the depth rule follows the cycle to its limit first
    // no cycle, but each fragment spreads the next twice: 2^40 fields once expanded
    const bomb = Array.from({ length: 40 }, (_, i) => `fragment B${i} on Region { ${i < 39 ? `...B${i + 1} ...B${i + 1}` : 'code'} }`).join(' ');
    const answer = await send(q(`{ region(code: "15") { ...B0 } } ${bomb}`));
    sane(answer, 'fragment bomb');
    if (answer.status === 200) expect(answer.body.data).toEqual({ region: { code: '15' } });
    else expect(answer.status).toBe(400);
  });

  it('huge documents and strings: bodies over the limits (10 MB, 1 MB, 129 KB), 900 KB of comment, a 900 KB string argument', async () => {
    refused(await send(q('{ __typename }', { x: 'x'.repeat(10 * 1024 * 1024) })), 413, 'QUERY_TOO_COMPLEX');
    refused(await send(q(`{ __typename ${'y'.repeat(BODY_LIMIT_BYTES)} }`), 'halle-admin'), 413, 'QUERY_TOO_COMPLEX');
    const overPublic = await send(q(`# ${'c'.repeat(TEST_SETTINGS.maxAnonymousBody)}\n{ __typename }`));
    refused(overPublic, 413, 'QUERY_TOO_COMPLEX');
    expect(overPublic.body.errors?.[0].extensions).toMatchObject({ limit: 'body', max: TEST_SETTINGS.maxAnonymousBody });
    // with a login the body may be larger; comments are no tokens: lexed and skipped
    const comment = await send(q(`# ${'c'.repeat(900_000)}\n{ __typename }`), 'halle-admin');
    expect(comment.body).toEqual({ data: { __typename: 'Query' } });
    const hugeString = await send(q(`query($c: String!) { region(code: $c) { code } indicators(search: $c) { totalCount } }`, { c: 'z'.repeat(900_000) }), 'halle-admin');
    sane(hugeString, 'huge string');
    expect(hugeString.body.data).toEqual({ region: null, indicators: { totalCount: 0 } });
    // a URL over Node's header limit never reaches the hub
    const longGet = await fetch(`${t.baseUrl}/graphql?query=${'a'.repeat(100_000)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(longGet.status).toBe(431);
  });

  it('wrong variable types: each is BAD_USER_INPUT (HTTP 400) before anything runs', async () => {
    const cases: Array<[string, unknown]> = [
      ['query($c: String!) { region(code: $c) { code } }', { c: 15 }],
      ['query($c: String!) { region(code: $c) { code } }', { c: { $gt: '' } }],
      ['query($c: String!) { region(code: $c) { code } }', { c: ['15'] }],
      ['query($c: String!) { region(code: $c) { code } }', { c: null }],
      ['query($c: String!) { region(code: $c) { code } }', {}],
      ['query($n: Int!) { indicators(first: $n) { totalCount } }', { n: 1.5 }],
      ['query($n: Int!) { indicators(first: $n) { totalCount } }', { n: 2 ** 31 }],
      ['query($n: Int!) { indicators(first: $n) { totalCount } }', { n: '10' }],
      ['query($l: RegionLevel) { regions(level: $l) { code } }', { l: 'kreis' }],
      ['query($l: RegionLevel) { regions(level: $l) { code } }', { l: 1 }],
      ['query($c: [String!]) { regions(codes: $c) { code } }', { c: [null] }],
      ['query($b: BreakdownInput) { series(indicatorCodes: ["C1"], regionCodes: ["15"], breakdown: $b) { periods } }', { b: { dimension: 'SEX', extra: 1 } }],
      ['query($b: BreakdownInput) { series(indicatorCodes: ["C1"], regionCodes: ["15"], breakdown: $b) { periods } }', { b: 'SEX' }],
      ['mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }', { i: { name: 'x', scope: 'ADMIN' } }],
      ['mutation($d: LocalDate) { proposeAgreement(input: { providerCode: "x", recipientCode: "y", detail: COUNTS, purpose: "p", legalBasis: "l", validFrom: $d }) { id } }', { d: '2025-13-45' }],
    ];
    for (const [query, variables] of cases) refused(await send(q(query, variables), 'halle-admin'), 400, 'BAD_USER_INPUT', `${query} ${JSON.stringify(variables)}`);
    // a variable used where its type does not fit is a validation error
    refused(await send(q('query($c: Int) { region(code: $c) { code } }', { c: 1 })), 400, 'GRAPHQL_VALIDATION_FAILED');
    // variables that are not an object at all
    refused(await send({ query: '{ __typename }', variables: [1, 2] }), 400, 'BAD_REQUEST');
  });

  it('malformed requests: bodies, methods and content types', async () => {
    refused(await send('{"query":'), 400, 'BAD_REQUEST');
    refused(await send('null'), 400, 'BAD_REQUEST');
    refused(await send('"{ __typename }"'), 400, 'BAD_REQUEST');
    refused(await send({ query: '{ __typename }', extensions: 'x' }), 400, 'BAD_REQUEST');
    refused(await send('{"query":"{ __typename }"}', undefined, { headers: { 'content-type': 'application/json; charset=latin-9' } }), 415, 'BAD_REQUEST');
    refused(await send('query={__typename}', undefined, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'BAD_REQUEST');
    const put = await send(q('{ __typename }'), undefined, { method: 'PUT' });
    expect([404, 405]).toContain(put.status);
    sane(put, 'PUT');
  });
});

// ---------------------------------------------------------------------------------------------
// Injection strings in every string argument, derived from the schema
// ---------------------------------------------------------------------------------------------

const PAYLOADS: Record<string, string> = {
  sql: `'; DROP TABLE observation; --`,
  sqlTautology: `' OR '1'='1`,
  percent: '%',
  underscore: '_',
  nul: 'a\u0000b',
  long: 'x'.repeat(100_000),
  unicode: 'Bildungsbüro Halle (Saale) – 🏫 \u202eǝpoɔıun\u202c 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽ \u200b',
  loneSurrogate: '\ud800x',
  escapes: `\\'"\\\\ $1 :name \${x} %s`,
  blank: '   ',
};

/** Mutations take the payloads that test storing text; LIKE wildcards and escapes matter to searches. */
const MUTATION_PAYLOADS = ['sql', 'nul', 'long', 'unicode', 'loneSurrogate', 'blank'];

type Path = Array<string | number>;
interface Position {
  path: Path;
  /** A list of strings: the payload goes in as its only element. */
  list: boolean;
}

/** Is this a scalar that takes text (String, ID, and custom scalars parsed from strings such as LocalDate)? */
function takesText(type: GraphQLInputType): boolean {
  const named = getNamedType(type);
  return isScalarType(named) && ![GraphQLInt, GraphQLFloat, GraphQLBoolean].some((s) => s.name === named.name);
}

/** Every position of a text value in these arguments, input objects followed. */
function textPositions(args: readonly GraphQLArgument[]): Position[] {
  const out: Position[] = [];
  const walk = (type: GraphQLInputType, path: Path) => {
    const inner = isNonNullType(type) ? type.ofType : type;
    const named = getNamedType(inner);
    if (takesText(inner)) out.push({ path, list: isListType(inner) });
    else if (isInputObjectType(named)) {
      const base = isListType(inner) ? [...path, 0] : path;
      for (const f of Object.values(named.getFields())) walk(f.type, [...base, f.name]);
    }
  };
  for (const a of args) walk(a.type, [a.name]);
  return out;
}

/** The leaves of a type to select, two levels deep (fields without required arguments). */
function selection(type: GraphQLOutputType, depth = 2): string {
  const named = getNamedType(type);
  if (isLeafType(named) || !isObjectType(named)) return '';
  const parts = ['__typename'];
  for (const f of Object.values(named.getFields())) {
    if (isLeafType(getNamedType(f.type))) {
      if (!f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) parts.push(f.name);
    } else if (depth > 1 && f.args.length === 0) parts.push(`${f.name} ${selection(f.type, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

function setPath(target: any, path: Path, value: unknown): void {
  let o = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    o[key] ??= typeof path[i + 1] === 'number' ? [] : {};
    o = o[key];
  }
  o[path[path.length - 1]] = value;
}

/** The operation for a root field with the variables given: `$<arg>` for each argument present. */
function operation(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, variables: Record<string, unknown>, nested?: GraphQLField<unknown, unknown>, nestedVariables?: Record<string, unknown>): string {
  const defs: string[] = [];
  const use = (f: GraphQLField<unknown, unknown>, vars: Record<string, unknown>, prefix: string) =>
    f.args
      .filter((a) => a.name in vars)
      .map((a) => {
        defs.push(`$${prefix}${a.name}: ${a.type.toString()}`);
        return `${a.name}: $${prefix}${a.name}`;
      })
      .join(', ');
  const rootArgs = use(field, variables, '');
  const inner = nested ? `{ __typename ${nested.name}${(() => { const a = use(nested, nestedVariables ?? {}, 'n_'); return a ? `(${a})` : ''; })()} ${selection(nested.type, 1)} }` : selection(field.type);
  return `${kind}${defs.length ? `(${defs.join(', ')})` : ''} { ${field.name}${rootArgs ? `(${rootArgs})` : ''} ${inner} }`;
}

/** What PostgreSQL stores for a string: lone surrogates become U+FFFD on the way to UTF-8. */
const stored = (s: string) => Buffer.from(s, 'utf8').toString('utf8').trim();

const HALLE_SSA = 'K15002-SSA'; // Halle's indicator; its school year 2024/25 is a draft in the demo data

/**
 * Required arguments of the root fields (the valid base each payload is put into) and who asks.
 * Only required values and targets are here: the positions come from the schema, so a new
 * field with text arguments fails the test below until it has a fixture.
 */
interface Fixture {
  as?: string;
  /** Variables for attempt `n`; `setup` prepares the target (e.g. a fresh proposal) and may return values. */
  base(n: number, setup: Record<string, unknown>): Record<string, unknown>;
  setup?(): Promise<Record<string, unknown>>;
}

/** Releases made here and not withdrawn: Halle's draft is released again only after they are withdrawn. */
let outstandingReleases: number[] = [];
function track(mutation: string, result: Record<string, unknown>): void {
  if (mutation === 'releaseData') outstandingReleases.push(result.id as number);
  if (mutation === 'withdrawRelease') outstandingReleases = outstandingReleases.filter((id) => id !== result.id);
}
const releaseFresh = async (): Promise<number> => {
  for (const id of outstandingReleases.splice(0)) {
    await t.data(`mutation($id: Int!) { withdrawRelease(id: $id, reason: "adversarial test: undo") { id } }`, { id }, 'halle-editor');
  }
  const d = await t.data(
    `mutation($i: ReleaseDataInput!) { releaseData(input: $i) { id } }`,
    { i: { indicatorCode: HALLE_SSA, from: '2024/25', to: '2024/25', regionCodes: ['15002'], reason: 'adversarial test' } },
    'halle-editor',
  );
  outstandingReleases.push(d.releaseData.id);
  return d.releaseData.id;
};
const proposeFresh = async (): Promise<Record<string, unknown>> => {
  const d = await t.data(
    `mutation($i: ProposeAgreementInput!) { proposeAgreement(input: $i) { id } }`,
    { i: { providerCode: 'bildungsbuero-15002', recipientCode: 'ministerium-15', indicatorCodes: [HALLE_SSA], detail: 'COUNTS', purpose: 'adversarial test', legalBasis: 'test' } },
    'halle-admin',
  );
  return { id: d.proposeAgreement.id };
};

const MUTATIONS: Record<string, Fixture> = {
  createApiKey: { as: 'halle-admin', base: () => ({ input: { name: 'adversarial', scope: 'READ' } }) },
  createIndicator: {
    as: 'land-admin',
    base: (n) => ({
      input: { code: `ADV${n}`, name: 'n', nameEn: 'n', definition: 'd', unit: 'u', source: 's', areaCode: 'C', aggregation: 'SUM', decimals: 0, levels: ['KREIS'], periodType: 'YEAR' },
    }),
  },
  createOrganization: { as: 'land-admin', base: (n) => ({ input: { code: `adversarial-${n}`, kind: 'KOMMUNE', name: 'n', regionCode: '15001' } }) },
  proposeAgreement: {
    as: 'halle-admin',
    base: () => ({ input: { providerCode: 'bildungsbuero-15002', recipientCode: 'ministerium-15', indicatorCodes: [HALLE_SSA], detail: 'COUNTS', purpose: 'p', legalBasis: 'l' } }),
  },
  approveAgreement: { as: 'halle-admin', setup: proposeFresh, base: (_n, s) => ({ id: s.id }) },
  rejectAgreement: { as: 'halle-admin', setup: proposeFresh, base: (_n, s) => ({ id: s.id, reason: 'r' }) },
  revokeAgreement: { as: 'halle-admin', setup: proposeFresh, base: (_n, s) => ({ id: s.id, reason: 'r' }) },
  releaseData: {
    as: 'halle-editor',
    setup: async () => {
      for (const id of outstandingReleases.splice(0)) {
        await t.data(`mutation($id: Int!) { withdrawRelease(id: $id, reason: "adversarial test: undo") { id } }`, { id }, 'halle-editor');
      }
      return {};
    },
    base: () => ({ input: { indicatorCode: HALLE_SSA, from: '2024/25', to: '2024/25', regionCodes: ['15002'], reason: 'r' } }),
  },
  withdrawRelease: { as: 'halle-editor', setup: async () => ({ id: await releaseFresh() }), base: (_n, s) => ({ id: s.id, reason: 'r' }) },
  updateIndicator: { as: 'land-admin', base: () => ({ code: 'C1', input: { decimals: 1 } }) },
  // A dry run: every payload goes through the whole pipeline, and the demo data stays as it is.
  importObservations: {
    as: 'halle-editor',
    base: () => ({
      input: {
        rows: [{ indicator: HALLE_SSA, region: '15002', period: '2031/32', breakdownDimension: 'SCHOOL_TYPE', breakdownCode: 'GS', value: 10, symbol: '' }],
        dryRun: true,
        releaseReason: 'r',
        idempotencyKey: 'k',
      },
    }),
  },
};

/** Required arguments of query fields (valid values from the demo data). */
const QUERY_ARGS: Record<string, Record<string, unknown>> = {
  region: { code: '15' },
  indicator: { code: 'C1' },
  series: { indicatorCodes: ['C1'], regionCodes: ['15'] },
  aggregate: { indicatorCodes: ['C1'], regionCodes: ['15'] },
};
/** Required arguments of nested fields with text arguments. */
const NESTED_ARGS: Record<string, Record<string, unknown>> = {
  'Region.series': { indicatorCodes: ['C1'] },
  'Indicator.series': { regionCodes: ['15'] },
};

describe('injection strings in every text argument of every query and mutation', () => {
  const schema = hubSchema();
  const queryFields = Object.values(schema.getQueryType()!.getFields());
  const mutationFields = Object.values(schema.getMutationType()!.getFields());

  it('has a fixture for every mutation with a text argument, and each fixture succeeds as given', async () => {
    const withText = mutationFields.filter((f) => textPositions(f.args).length > 0).map((f) => f.name);
    expect(Object.keys(MUTATIONS).sort()).toEqual(withText.sort());
    for (const [name, fixture] of Object.entries(MUTATIONS)) {
      const field = schema.getMutationType()!.getFields()[name];
      const setup = (await fixture.setup?.()) ?? {};
      const vars = fixture.base(0, setup);
      const res = await send({ query: operation('mutation', field, vars), variables: vars }, fixture.as);
      expect(res.body.errors, `${name}: ${JSON.stringify(res.body.errors)}`).toBeUndefined();
      track(name, res.body.data![name] as Record<string, unknown>);
    }
  });

  it('queries, as the public and as a member: no 5xx, codes of the closed set, NUL refused, LIKE wildcards taken literally, nothing written', async () => {
    const before = await fingerprint(['agreement_read']); // a member's reads that an agreement opened are logged, by design
    let sent = 0;
    for (const field of queryFields) {
      const base = QUERY_ARGS[field.name] ?? {};
      const targets: Array<{ nested?: GraphQLField<unknown, unknown>; positions: Position[] }> = [{ positions: textPositions(field.args) }];
      const returned = getNamedType(field.type);
      if (isObjectType(returned) && !isListType(isNonNullType(field.type) ? field.type.ofType : field.type)) {
        for (const nested of Object.values(returned.getFields())) {
          const positions = textPositions(nested.args);
          if (positions.length) targets.push({ nested, positions });
        }
      }
      for (const { nested, positions } of targets) {
        const nestedBase = nested ? NESTED_ARGS[`${returned.name}.${nested.name}`] : undefined;
        if (nested) expect(nestedBase, `fixture for ${returned.name}.${nested.name}`).toBeDefined();
        for (const position of positions) {
          for (const [payloadName, payload] of Object.entries(PAYLOADS)) {
            const rootVars = structuredClone(base);
            const nestedVars = structuredClone(nestedBase ?? {});
            setPath(nested ? nestedVars : rootVars, position.path, position.list ? [payload] : payload);
            const variables = { ...rootVars, ...Object.fromEntries(Object.entries(nestedVars).map(([k, v]) => [`n_${k}`, v])) };
            const query = operation('query', field, rootVars, nested, nestedVars);
            // NUL and SQL as both; the other payloads alternate between the two (time)
            const both = payloadName === 'nul' || payloadName === 'sql';
            for (const as of both ? [undefined, 'halle-editor'] : [sent % 2 ? 'halle-editor' : undefined]) {
              const what = `${field.name}${nested ? `.${nested.name}` : ''} ${position.path.join('.')} ← ${payloadName} as ${as ?? 'public'}`;
              const res = await send({ query, variables }, as);
              sent++;
              if (payloadName === 'nul') refused(res, 400, 'BAD_USER_INPUT', what);
              else sane(res, what);
            }
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(150);
    expect(await fingerprint(['agreement_read'])).toEqual(before);
  });

  it('the catalogue search takes %, _ and quotes literally', async () => {
    const all = await t.data(`{ indicators(first: 500) { edges { node { code name nameEn definition } } } }`);
    const nodes: Array<Record<string, string>> = all.indicators.edges.map((e: any) => e.node);
    for (const text of ['%', '_', "'", '\\', '%_%']) {
      const d = await t.data(`query($s: String) { indicators(first: 500, search: $s) { edges { node { code } } } }`, { s: text });
      const expected = nodes.filter((n) => [n.code, n.name, n.nameEn, n.definition].some((v) => v.toLowerCase().includes(text.toLowerCase()))).map((n) => n.code);
      expect(d.indicators.edges.map((e: any) => e.node.code), text).toEqual(expected);
    }
  });

  // One test per mutation (each its own time budget); `n` keeps codes of created things unique.
  let n = 1;
  let accepted = 0;
  it.each(Object.keys(MUTATIONS))('%s: no 5xx, codes of the closed set; refused → nothing written, accepted → the text stored as sent', async (name) => {
    const fixture = MUTATIONS[name];
    const field = schema.getMutationType()!.getFields()[name];
    // An upload answers refused rows with a report (REJECTED, recorded in data_import), not an error.
    const upload = name === 'importObservations';
    const except = upload ? ['data_import'] : [];
    // The fingerprint after a refused request is the one before the next, unless a setup wrote.
    let known: Record<string, string> | undefined;
    for (const position of textPositions(field.args)) {
      for (const payloadName of MUTATION_PAYLOADS) {
        const payload = PAYLOADS[payloadName];
        const setup = fixture.setup ? await fixture.setup() : {};
        const variables = structuredClone(fixture.base(n++, setup));
        setPath(variables, position.path, position.list ? [payload] : payload);
        const what = `${name} ${position.path.join('.')} ← ${payloadName}`;
        const before = (!fixture.setup && known) || (await fingerprint(except));
        known = undefined;
        const res = await send({ query: operation('mutation', field, variables), variables }, fixture.as);
        const result = res.body.data?.[name] as Record<string, unknown> | null | undefined;
        if (payloadName === 'nul') refused(res, 400, 'BAD_USER_INPUT', what);
        else sane(res, what);
        if (upload && result) {
          expect(['REJECTED', 'DRY_RUN'], what).toContain(result.status);
          expect((known = await fingerprint(except)), `${what}: nothing written`).toEqual(before);
        } else if (result) {
          accepted++;
          track(name, result);
          if (stored(payload) !== '') expect(JSON.stringify(res.body.data), `${what}: stored as sent`).toContain(JSON.stringify(stored(payload)).slice(1, -1));
        } else {
          expect(res.body.errors?.length, what).toBeGreaterThan(0);
          expect((known = await fingerprint(except)), `${what}: nothing written`).toEqual(before);
        }
      }
    }
  });

  it('after all mutations: the free-text positions took the payloads, and every table is still there', async () => {
    expect(accepted).toBeGreaterThan(50); // every payload but NUL and blanks, in the free-text positions; the codes take none
    const tables = Object.keys(await fingerprint());
    expect(tables).toEqual(expect.arrayContaining(['observation', 'indicator', 'organization', 'region', 'api_key', 'data_sharing_agreement', 'data_release']));
  });
});
