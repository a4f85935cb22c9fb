import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_IDENTITIES } from '../src/access/demo';
import { startTestHub, type TestHub } from './support/hub';
import { insertCell, insertIndicator } from './support/scenario';

/*
 * Many concurrent, interleaved requests of different identities (issue 3, tests): per-request
 * loaders, transactions and `kobi.org_id` must never let one request's scope into another's
 * response. Every organization owns canaries — unmistakable numbers and texts that only its own
 * members may ever receive: a draft value, an embargoed value, the numerator of a public cell,
 * an internal note. Each response must carry exactly the canaries of its own organization.
 */

let t: TestHub;
/** Organization code → its canary strings, as they appear in a JSON response. */
const canaries = new Map<string, string[]>();

const IDENTITIES = [...DEMO_IDENTITIES.map((i) => ({ name: i.name, org: i.orgCode as string | null })), { name: DEMO_API_KEY.name, org: DEMO_API_KEY.orgCode }, { name: 'public', org: null }];

beforeAll(async () => {
  t = await startTestHub();
  const db = t.database.db;
  await insertIndicator(db, { code: 'CANARY', owner: 'statistik-15', visibility: 'PUBLIC' });
  const orgs: Array<{ id: number; code: string; region: string }> = await db.query(
    `SELECT o.id, o.code, r.code AS region FROM organization o JOIN region r ON r.id = o.region_id WHERE o.kind IN ('LAND', 'KOMMUNE') ORDER BY o.id`,
  );
  for (const o of orgs) {
    // Three periods per organization (its id picks them), so that the Land bodies sharing the
    // region 15 never collide.
    const year = 1900 + o.id * 3;
    const draft = 987654.321 + o.id;
    const embargoed = 876543.21 + o.id;
    const numerator = 55555.5 + o.id;
    const denominator = 7654321.5 + o.id;
    const note = `canary-note-${o.code}`;
    const common = { indicator: 'CANARY', region: o.region, owner: o.code, internalNote: note, uploadedBy: `canary-uploader-${o.code}` };
    await insertCell(db, { ...common, period: String(year), state: 'DRAFT', value: draft });
    await insertCell(db, { ...common, period: String(year + 1), state: 'embargoed', value: embargoed, releasedBy: `canary-releaser-${o.code}` });
    await insertCell(db, { ...common, period: String(year + 2), state: 'RELEASED', value: 12.5, numerator, denominator });
    canaries.set(o.code, [String(draft), String(embargoed), String(numerator), String(denominator), note, `canary-uploader-${o.code}`, `canary-releaser-${o.code}`]);
  }
});
afterAll(async () => {
  await t?.close();
});

/** Query shapes that reach the canaries by different paths (series by level, by codes, through the indicator). */
const QUERIES = [
  `{ series(indicatorCodes: ["CANARY", "C1"], regionLevel: KREIS) { values points { value numerator denominator internalNote uploadedBy releasedBy releaseState } } land: series(indicatorCodes: ["CANARY"], regionCodes: ["15"]) { values points { value numerator denominator internalNote uploadedBy releasedBy } } }`,
  `{ indicator(code: "CANARY") { series(regionCodes: ["15", "15002", "15083", "15084", "15003"]) { periods values statuses points { numerator internalNote } } } }`,
  `{ series(indicatorCodes: ["CANARY"], regionCodes: ["15084", "15083", "15003", "15002", "15"], latest: 100) { points { period value numerator denominator releasedBy } } }`,
];

/** A small deterministic PRNG (mulberry32), so that a failing order can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('concurrent requests of different identities', () => {
  it('120 interleaved requests: each response carries exactly the canaries of its own organization', async () => {
    const all = [...canaries.values()].flat();
    expect(new Set(all).size).toBe(all.length); // canaries are unique
    const random = prng(20250630);
    const requests = Array.from({ length: 120 }, (_, i) => ({ who: IDENTITIES[i % IDENTITIES.length], query: QUERIES[Math.floor(random() * QUERIES.length)] }));
    for (let i = requests.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [requests[i], requests[j]] = [requests[j], requests[i]];
    }
    const responses = await Promise.all(requests.map((r) => t.gql(r.query, undefined, r.who.name === 'public' ? undefined : r.who.name)));

    const leaks: string[] = [];
    const missing: string[] = [];
    responses.forEach((res, i) => {
      const { who, query } = requests[i];
      expect(res.status).toBe(200);
      // Restricted fields of others' cells are null with FORBIDDEN; any other error is a fault.
      expect((res.body.errors ?? []).filter((e) => e.extensions?.code !== 'FORBIDDEN')).toEqual([]);
      const text = JSON.stringify(res.body.data);
      for (const [org, values] of canaries) {
        for (const value of values) {
          if (org !== who.org && text.includes(value)) leaks.push(`${who.name} received ${org}'s ${value}`);
        }
      }
      // Every shape reaches the own draft value (a guard that the test can see a canary at all).
      if (who.org && !text.includes(canaries.get(who.org)![0])) missing.push(`${who.name} lacks its own draft in query ${QUERIES.indexOf(query)}`);
    });
    expect(leaks).toEqual([]);
    expect(missing).toEqual([]);
  });
});
