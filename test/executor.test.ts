import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERIES } from '../src/graphql/examples';
import { startTestHub, type TestHub } from './support/hub';

/**
 * The hub runs a query text's first request with graphql-js and compiles the operation with
 * graphql-jit for the second and later ones (src/graphql/jit.ts). Both must answer the same bytes:
 * data, restricted fields denied with FORBIDDEN at their paths, suppressed cells, errors of
 * arguments and of variables, as the public and as members of different organizations. Each text
 * is sent three times (interpreted, compiled now, compiled before); the metrics show that the
 * second and third really ran compiled, so that this comparison cannot pass by comparing
 * graphql-js with itself.
 */

const METRICS_TOKEN = 'executor-test-metrics-token-0123456789';
let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({}, { operations: { metricsToken: METRICS_TOKEN } });
});
afterAll(async () => {
  await t?.close();
});


/** The executions so far, by executor, and the compilations, from GET /metrics. */
async function executions(): Promise<{ js: number; jit: number; compiled: number }> {
  const text = await (await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const read = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);
  return {
    js: read(/^kobi_graphql_executions_total\{executor="graphql-js"\} (\d+)$/m),
    jit: read(/^kobi_graphql_executions_total\{executor="graphql-jit"\} (\d+)$/m),
    compiled: read(/^kobi_graphql_compilations_total (\d+)$/m),
  };
}

const RESTRICTED = `query Restricted($i: [String!]!, $r: [String!]) {
  series(indicatorCodes: $i, regionCodes: $r, breakdown: { dimension: SCHOOL_TYPE }) {
    indicator { code } region { code name } breakdown { dimension code } periods values statuses symbols
    points { period value status symbol confidential numerator denominator internalNote uploadedBy releasedBy releaseState version }
  }
}`;

/** `runs: false`: refused before anything runs from the second request on (graphql-js coerces the variables first). */
const CASES: Array<{ what: string; query: string; variables?: Record<string, unknown>; as: Array<string | undefined>; runs?: false }> = [
  ...EXAMPLE_QUERIES.map((e) => ({ what: `example "${e.name}"`, query: e.query, variables: e.variables, as: [undefined, 'land-analyst', 'halle-admin'] })),
  {
    what: 'restricted fields and drafts: the owner reads them, others get FORBIDDEN at each path',
    query: RESTRICTED,
    variables: { i: ['K15002-SSA'], r: ['15002'] },
    as: [undefined, 'boerde-viewer', 'halle-admin', 'land-admin'],
  },
  {
    what: 'Gemeinden with disclosure control, parent and children, the catalogue page with its cursor',
    query: `{ region(code: "15083") { code name parent { code } children { code name kind } }
      indicators(first: 3) { totalCount edges { cursor node { code name area { code } owner { code } visibility } } pageInfo { hasNextPage endCursor } }
      series(indicatorCodes: ["K15083-VHS"], regionLevel: GEMEINDE, parentCode: "15083", latest: 2) { region { code } periods values statuses symbols } }`,
    as: [undefined, 'boerde-viewer', 'burgenlandkreis-editor'],
  },
  {
    what: 'a bad argument and a null in a non-null position',
    query: `{ a: series(indicatorCodes: ["NOPE"], regionCodes: ["15"]) { periods } b: region(code: "99999") { code } c: indicators(first: 501) { totalCount } }`,
    as: [undefined, 'halle-editor'],
  },
  {
    what: 'a variable of the wrong type and a missing required variable',
    query: `query($n: Int!, $code: String!) { indicators(first: $n) { totalCount } indicator(code: $code) { code } }`,
    variables: { n: 'ten' },
    as: [undefined, 'halle-editor'],
    runs: false,
  },
  {
    what: 'a mutation refused for the caller (writes nothing)',
    query: `mutation { createApiKey(input: { name: "nope", scope: READ }) { apiKey { prefix } } }`,
    as: [undefined, 'boerde-viewer'],
  },
];

describe('graphql-js for the first run of a text, graphql-jit from the second: the same answer', () => {
  it.each(CASES)('$what', async ({ query, variables, as, runs }) => {
    for (const identity of as) {
      const before = await executions();
      const answers = [await t.raw(query, variables, identity), await t.raw(query, variables, identity), await t.raw(query, variables, identity)];
      expect(answers[1], `${identity}: interpreted, then compiled`).toEqual(answers[0]);
      expect(answers[2], `${identity}: compiled before`).toEqual(answers[0]);
      const after = await executions();
      const ran = { js: after.js - before.js, jit: after.jit - before.jit, compiled: after.compiled - before.compiled };
      const first = identity === as[0];
      if (runs === false) expect(ran, String(identity)).toEqual({ js: first ? 1 : 0, jit: 0, compiled: 0 });
      else expect(ran, String(identity)).toEqual(first ? { js: 1, jit: 2, compiled: 1 } : { js: 0, jit: 3, compiled: 0 });
    }
  });

  it('the cases reach data, field denials and refusals, so that the comparison covers them', async () => {
    const owner = JSON.parse((await t.raw(RESTRICTED, { i: ['K15002-SSA'], r: ['15002'] }, 'halle-admin')).text);
    expect(owner.errors).toBeUndefined();
    expect(owner.data.series.some((s: { points: Array<{ releaseState: string }> }) => s.points.some((p) => p.releaseState === 'DRAFT'))).toBe(true);
    const other = JSON.parse((await t.raw(RESTRICTED, { i: ['K15002-SSA'], r: ['15002'] }, 'land-admin')).text);
    expect(new Set(other.errors.map((e: { extensions: { code: string } }) => e.extensions.code))).toEqual(new Set(['FORBIDDEN']));
    expect(other.errors[0].path).toEqual(expect.arrayContaining(['series', 'points']));
    const bad = JSON.parse((await t.raw(CASES.find((c) => c.what.startsWith('a bad argument'))!.query, undefined)).text);
    expect(bad.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('BAD_USER_INPUT');
  });
});
