import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/graphql/errors';
import { hubSchema } from '../src/graphql/schema';
import { startTestHub, type TestHub } from './support/hub';

/**
 * A schema-driven fuzzer (issue 6, item 6): random valid-ish and invalid operations from the
 * built schema, sent for FUZZ_SECONDS (default 15) as the public and as every demo identity;
 * about one request in seven is an export (CSV or JSON-stat) instead; each query is sent twice,
 * once run by graphql-js and once compiled by graphql-jit. It asserts 0 responses
 * with status ≥ 500, 0 INTERNAL_SERVER_ERROR, a hub that still answers /livez, and 0 canaries
 * outside the identity's scope: unique values planted (as table owner)
 * in every organization's drafts and in the fields README "Logins and who sees what" restricts
 * (numerator/denominator, internal notes, uploader, who released, release reasons, API key names
 * and prefixes, agreement texts). Who may see a canary is computed from the planted owner and the
 * identity's organization with those rules, not from the implementation.
 *
 * Replay a failure with the seed it prints: `FUZZ_SEED=<seed> npx vitest run test/fuzz.test.ts`.
 */
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 15);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** The demo identities and their organizations, from README "Logins and who sees what" (null: the public). */
const IDENTITIES: Record<string, string | null> = {
  public: null,
  'land-admin': 'ministerium-15',
  'land-analyst': 'ministerium-15',
  'statistik-editor': 'statistik-15',
  'burgenlandkreis-editor': 'bildungsbuero-15084',
  'boerde-viewer': 'bildungsbuero-15083',
  'halle-editor': 'bildungsbuero-15002',
  'halle-admin': 'bildungsbuero-15002',
  'magdeburg-viewer': 'bildungsbuero-15003',
  'demo-report-key': 'ministerium-15',
};

/** A planted value and the organizations that may see it (empty: nobody but… nobody; the owner is always in it). */
interface Canary {
  text: string;
  what: string;
  maySee: Set<string>;
}

/** mulberry32: a small seeded generator, so that a run can be replayed from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}
type Rng = ReturnType<typeof rng>;

let t: TestHub;
const canaries: Canary[] = [];

beforeAll(async () => {
  t = await startTestHub();
  await plantCanaries();
});
afterAll(async () => {
  await t?.close();
});

/**
 * Plants the canaries as the table owner. Numbers are 9-digit integers no demo value comes near
 * (977 000 000 + n), text is `CANARY-<n>-<what>`; each is unique, so finding it in a body
 * identifies the row and the field it came from.
 */
async function plantCanaries(): Promise<void> {
  const db = t.database.db;
  let n = 0;
  const number = () => 977_000_000 + ++n;
  const text = (what: string) => `CANARY-${++n}-${what}`;
  const orgs: Array<{ id: number; code: string }> = await db.query(`SELECT id, code FROM organization`);
  const code = new Map(orgs.map((o) => [o.id, o.code]));
  // Agreements in force that grant counts: their recipients may read the provider's numerators
  // (README: "numerator / denominator … per agreement with detail COUNTS"). Scope is not
  // narrowed here: counting every such recipient as entitled can only make the check weaker.
  const counts: Array<{ provider: number; recipient: number }> = await db.query(
    `SELECT provider_org_id AS provider, recipient_org_id AS recipient FROM data_sharing_agreement
     WHERE state = 'ACTIVE' AND detail = 'COUNTS' AND valid_from <= current_date AND (valid_to IS NULL OR valid_to >= current_date)`,
  );
  const owners: Array<{ owner: number }> = await db.query(`SELECT DISTINCT owner_org_id AS owner FROM observation`);
  for (const { owner } of owners) {
    const ownerCode = code.get(owner)!;
    const countReaders = new Set([ownerCode, ...counts.filter((c) => c.provider === owner).map((c) => code.get(c.recipient)!)]);
    // Drafts: nothing of them reaches anybody but the owner (README: "a Kommune's draft … nothing").
    const drafts: Array<{ id: string }> = await db.query(
      `SELECT id FROM observation WHERE owner_org_id = $1 AND release_state = 'DRAFT' AND superseded_at IS NULL ORDER BY id LIMIT 4`,
      [owner],
    );
    for (const { id } of drafts) {
      const [value, numerator, denominator, note, uploader] = [number(), number(), number(), text('draft-note'), text('draft-uploader')];
      await db.query(
        `UPDATE observation SET value = $2, numerator = $3, denominator = $4, internal_note = $5, uploaded_by = $6, status = 'A', symbol = '' WHERE id = $1`,
        [id, value, numerator, denominator, note, uploader],
      );
      for (const [v, what] of [[value, 'draft value'], [numerator, 'draft numerator'], [denominator, 'draft denominator'], [note, 'draft internal note'], [uploader, 'draft uploader']] as const) {
        canaries.push({ text: String(v), what: `${what} of ${ownerCode}`, maySee: new Set([ownerCode]) });
      }
    }
    // Released cells: the value is public business, the counts and the owner's fields are not.
    const released: Array<{ id: string }> = await db.query(
      `SELECT id FROM observation WHERE owner_org_id = $1 AND release_state = 'RELEASED' AND superseded_at IS NULL ORDER BY id LIMIT 6`,
      [owner],
    );
    for (const { id } of released) {
      const [numerator, denominator, note, uploader, releaser] = [number(), number(), text('note'), text('uploader'), text('releaser')];
      await db.query(`UPDATE observation SET numerator = $2, denominator = $3, internal_note = $4, uploaded_by = $5, released_by = $6 WHERE id = $1`, [
        id,
        numerator,
        denominator,
        note,
        uploader,
        releaser,
      ]);
      canaries.push({ text: String(numerator), what: `released numerator of ${ownerCode}`, maySee: countReaders });
      canaries.push({ text: String(denominator), what: `released denominator of ${ownerCode}`, maySee: countReaders });
      for (const [v, what] of [[note, 'internal note'], [uploader, 'uploader'], [releaser, 'releaser']] as const) {
        canaries.push({ text: v, what: `${what} of ${ownerCode}`, maySee: new Set([ownerCode]) });
      }
    }
  }
  // Releases (Freigaben): "Only your organization sees its releases".
  const releases: Array<{ id: number; owner: number }> = await db.query(`SELECT id, owner_org_id AS owner FROM data_release`);
  for (const r of releases) {
    const reason = text('release-reason');
    await db.query(`UPDATE data_release SET reason = $2 WHERE id = $1`, [r.id, reason]);
    canaries.push({ text: reason, what: `release reason of ${code.get(r.owner)}`, maySee: new Set([code.get(r.owner)!]) });
  }
  // Agreements: "seen only by its two parties".
  const agreements: Array<{ id: number; provider: number; recipient: number }> = await db.query(
    `SELECT id, provider_org_id AS provider, recipient_org_id AS recipient FROM data_sharing_agreement`,
  );
  for (const a of agreements) {
    const [purpose, legalBasis] = [text('purpose'), text('legal-basis')];
    await db.query(`UPDATE data_sharing_agreement SET purpose = $2, legal_basis = $3 WHERE id = $1`, [a.id, purpose, legalBasis]);
    const parties = new Set([code.get(a.provider)!, code.get(a.recipient)!]);
    canaries.push({ text: purpose, what: `agreement purpose`, maySee: parties });
    canaries.push({ text: legalBasis, what: `agreement legal basis`, maySee: parties });
  }
  // API keys: created through the API (the secret is hashed there); name and prefix are the organization's own.
  for (const admin of ['halle-admin', 'land-admin', 'burgenlandkreis-editor']) {
    const org = IDENTITIES[admin]!;
    const name = text('api-key');
    const res = await t.gql(`mutation($n: String!) { createApiKey(input: { name: $n, scope: READ }) { apiKey { prefix } } }`, { n: name }, admin);
    if (res.body.errors) continue; // an editor may not create keys: fine, the admins did
    canaries.push({ text: name, what: `API key name of ${org}`, maySee: new Set([org]) });
    canaries.push({ text: res.body.data.createApiKey.apiKey.prefix, what: `API key prefix of ${org}`, maySee: new Set([org]) });
  }
}

/** The canaries `identity` must never receive. */
const forbiddenFor = (identity: string) => canaries.filter((c) => !IDENTITIES[identity] || !c.maySee.has(IDENTITIES[identity]!));

/** The raw answer to `query` as `identity` ('public': no credentials). */
const send = (identity: string, query: string, variables?: Record<string, unknown>) => t.raw(query, variables, identity === 'public' ? undefined : identity);

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

interface Pools {
  indicators: string[];
  regions: string[];
  organizations: string[];
}
const PERIODS = ['2010', '2020', '2023', '2024', '2025', '2023/24', '2024/25', '2022-03-01', '2011-05-09', '1999', '2030', '20x', ''];
const JUNK = ['', ' ', "'; DROP TABLE observation; --", '%', '_', 'ä\u00df🏫', 'x'.repeat(300), '15\n', '-1', 'null', '__proto__', 'constructor'];

function stringFor(r: Rng, name: string, pools: Pools): string {
  if (r.chance(0.08)) return r.pick(JUNK);
  const n = name.toLowerCase();
  if (n.includes('indicator')) return r.pick(pools.indicators);
  if (n.includes('region') || n === 'parentcode') return r.pick(pools.regions);
  if (n.includes('provider') || n.includes('recipient') || n.includes('owner') || (n === 'code' && r.chance(0.2))) return r.pick(pools.organizations);
  if (n === 'from' || n === 'to') return r.pick(PERIODS);
  if (n.includes('area')) return r.pick(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'Z']);
  if (n === 'codes') return r.pick(['_T', 'F', 'M', 'D', 'DE', 'FOR', 'GS', 'GYM', 'XX']);
  if (n === 'code') return r.pick([...pools.regions, ...pools.indicators]);
  if (n.includes('valid') || n.includes('date')) return r.pick(['2024-01-01', '2026-12-31', '2020-02-30', 'tomorrow']);
  if (n.includes('effective')) return r.pick(['2030-01-01T00:00:00Z', '2020-01-01T00:00:00Z', 'now']);
  return r.pick(['fuzz', 'Bildungsbericht', 'Kita', 'Schule', ...JUNK]);
}

/** A value for an input type; with `valid` false, sometimes of the wrong kind. */
function inputValue(r: Rng, type: GraphQLInputType, name: string, pools: Pools, depth = 0): unknown {
  if (r.chance(0.02)) return r.pick([null, 42, 'str', true, [], {}]); // wrong kind: coercion must refuse it
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) return Array.from({ length: r.int(0, 3) }, () => inputValue(r, nullable.ofType, name, pools, depth + 1));
  const named = getNamedType(nullable);
  if (isEnumType(named)) return r.chance(0.03) ? 'NOPE' : r.pick(named.getValues()).name;
  if (isInputObjectType(named)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(named.getFields())) if (isNonNullType(f.type) || r.chance(0.5)) out[f.name] = inputValue(r, f.type, f.name, pools, depth + 1);
    return out;
  }
  if (isScalarType(named)) {
    switch (named.name) {
      case 'Int':
        return r.pick([0, 1, 2, 3, 5, 10, 50, 100, 500, 501, -1, r.int(1, 40), 2147483647]);
      case 'Float':
        return r.pick([0, 1.5, -3, 100, 1e9, r.next() * 100]);
      case 'Boolean':
        return r.chance(0.5);
      default:
        return stringFor(r, name, pools);
    }
  }
  return null;
}

/** Arguments: required ones always, optional ones sometimes, as variables with their declared types. */
function argumentsFor(r: Rng, args: readonly GraphQLArgument[], pools: Pools, vars: { defs: string[]; values: Record<string, unknown> }): string {
  const used = args.filter((a) => (isNonNullType(a.type) && a.defaultValue === undefined ? !r.chance(0.02) : r.chance(0.4)));
  if (!used.length) return '';
  return `(${used
    .map((a) => {
      const v = `v${vars.defs.length}`;
      vars.defs.push(`$${v}: ${a.type.toString()}`);
      vars.values[v] = inputValue(r, a.type, a.name, pools);
      return `${a.name}: $${v}`;
    })
    .join(', ')})`;
}

/** Fields the canaries live in: chosen more often, so that a leak has a chance to show. */
const BAIT = new Set(['value', 'values', 'numerator', 'denominator', 'internalNote', 'uploadedBy', 'releasedBy', 'points', 'purpose', 'legalBasis', 'reason', 'name', 'prefix', 'series']);

function selectionSet(r: Rng, type: GraphQLObjectType, pools: Pools, vars: { defs: string[]; values: Record<string, unknown> }, depth: number): string {
  const fields = Object.values(type.getFields());
  const chosen: string[] = [];
  for (const f of fields) {
    const leaf = isLeafType(getNamedType(f.type));
    if (!r.chance(BAIT.has(f.name) ? 0.7 : leaf ? 0.35 : 0.25)) continue;
    if (!leaf && depth >= 4) continue;
    const alias = r.chance(0.05) ? `a${r.int(0, 9)}: ` : '';
    const args = argumentsFor(r, f.args, pools, vars);
    if (leaf) chosen.push(`${alias}${f.name}${args}`);
    else chosen.push(`${alias}${f.name}${args} { ${selectionSet(r, getNamedType(f.type) as GraphQLObjectType, pools, vars, depth + 1)} }`);
  }
  if (r.chance(0.02)) chosen.push('noSuchField'); // invalid: validation must refuse it
  return chosen.length ? chosen.join(' ') : '__typename';
}

function operationFor(r: Rng, pools: Pools): { query: string; variables: Record<string, unknown> } {
  const schema = hubSchema();
  const mutation = r.chance(0.2);
  const root = mutation ? schema.getMutationType()! : schema.getQueryType()!;
  const vars = { defs: [] as string[], values: {} as Record<string, unknown> };
  const fields = Object.values(root.getFields()) as Array<GraphQLField<unknown, unknown>>;
  const count = mutation ? 1 : r.int(1, 2);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = r.pick(fields);
    const args = argumentsFor(r, f.args, pools, vars);
    const named = getNamedType(f.type);
    parts.push(`${count > 1 ? `f${i}: ` : ''}${f.name}${args}${isObjectType(named) ? ` { ${selectionSet(r, named, pools, vars, 1)} }` : ''}`);
  }
  const query = `${mutation ? 'mutation' : 'query'}${vars.defs.length ? `(${vars.defs.join(', ')})` : ''} { ${parts.join(' ')} }`;
  return { query, variables: vars.values };
}

/**
 * An export URL (README "Exports") with random `series` arguments: the same data through another
 * door, as CSV (German or plain) or JSON-stat, whose text a canary shows in as in JSON.
 */
function exportFor(r: Rng, pools: Pools): string {
  const params = new URLSearchParams();
  params.set('indicatorCodes', Array.from({ length: r.int(1, 3) }, () => r.pick(pools.indicators)).join(','));
  if (r.chance(0.7)) params.set('regionCodes', Array.from({ length: r.int(1, 4) }, () => r.pick(pools.regions)).join(','));
  else params.set('regionLevel', r.pick(['KREIS', 'GEMEINDE', 'LAND', 'BUND', 'kreis']));
  if (r.chance(0.3)) params.set('from', r.pick(PERIODS));
  if (r.chance(0.3)) params.set('to', r.pick(PERIODS));
  if (r.chance(0.2)) params.set('latest', String(r.pick([1, 3, 0, 101])));
  if (r.chance(0.3)) params.set('breakdownDimension', r.pick(['SEX', 'SCHOOL_TYPE', 'NATIONALITY', 'AGE_GROUP']));
  if (r.chance(0.05)) params.set(r.pick(['asOf', 'nope']), 'x');
  const [file, format] = r.pick([['series.csv', 'de'], ['series.csv', 'plain'], ['series.json', undefined]] as const);
  if (format) params.set('format', format);
  return `/export/${file}?${params}`;
}

// ---------------------------------------------------------------------------------------------

describe(`schema-driven fuzzer (FUZZ_SEED=${SEED}, FUZZ_SECONDS=${SECONDS})`, () => {
  let pools: Pools;
  beforeAll(async () => {
    const d = await t.data(`{ indicators(first: 500) { edges { node { code } } } regions { code } organizations { code } }`, {}, 'land-admin');
    pools = {
      indicators: d.indicators.edges.map((e: any) => e.node.code),
      regions: ['DG', '15', '15002', '15003', '15083', '15084', '15084015', ...d.regions.map((x: any) => x.code).slice(0, 20)],
      organizations: d.organizations.map((o: any) => o.code),
    };
  });

  it('planted canaries in every kind of restricted place, and the owners read theirs (so the check can fail)', async () => {
    const kinds = new Set(canaries.map((c) => c.what.replace(/ of .*/, '')));
    for (const k of ['draft value', 'draft numerator', 'draft internal note', 'released numerator', 'internal note', 'releaser', 'release reason', 'agreement purpose', 'API key name', 'API key prefix']) {
      expect(kinds, k).toContain(k);
    }
    // Halle reads its own draft and counts; Börde and the public do not.
    const q = `{ series(indicatorCodes: ["K15002-SSA"], regionCodes: ["15002"], breakdown: { dimension: SCHOOL_TYPE }) { points { value numerator denominator internalNote uploadedBy releasedBy } } releases(first: 100) { reason } apiKeys { name prefix } agreements { purpose legalBasis } }`;
    const halle = (await send('halle-admin', q)).text;
    const own = canaries.filter((c) => c.maySee.has('bildungsbuero-15002') && c.maySee.size === 1 && c.what.endsWith('bildungsbuero-15002'));
    expect(own.filter((c) => halle.includes(c.text)).length).toBeGreaterThan(5);
    for (const identity of ['public', 'boerde-viewer', 'halle-admin']) {
      const body = identity === 'halle-admin' ? halle : (await send(identity, q)).text;
      expect(forbiddenFor(identity).filter((c) => body.includes(c.text)).map((c) => c.what), identity).toEqual([]);
    }
  });

  it('random operations as every identity: no 5xx, no internal error, no canary outside the identity\'s scope, the hub alive', async () => {
    console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_SECONDS=${SECONDS}`);
    const r = rng(SEED);
    const allowed = new Set<string>(ERROR_CODES.filter((c) => c !== 'INTERNAL_SERVER_ERROR'));
    const names = Object.keys(IDENTITIES);
    const deadline = Date.now() + SECONDS * 1000;
    const stats = { requests: 0, ok: 0, exports: 0, errors: {} as Record<string, number>, byStatus: {} as Record<number, number> };
    const dropped: string[] = [];
    while (Date.now() < deadline) {
      const identity = r.pick(names);
      if (r.chance(0.15)) {
        const path = exportFor(r, pools);
        const as = identity === 'public' ? undefined : identity;
        const res = await fetch(`${t.baseUrl}${path}`, { headers: as ? { authorization: `Bearer ${t.tokens[as]}` } : {} });
        const text = await res.text();
        const replay = `FUZZ_SEED=${SEED}, request ${stats.requests + 1}, as ${identity}: GET ${path}`;
        stats.requests++;
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
        expect(res.status, replay).toBeLessThan(500);
        if (res.status >= 400) {
          const code = JSON.parse(text).errors?.[0]?.extensions?.code ?? '';
          stats.errors[code] = (stats.errors[code] ?? 0) + 1;
          expect(allowed.has(code), `${code}\n${replay}`).toBe(true);
        } else stats.exports++;
        expect(forbiddenFor(identity).filter((c) => text.includes(c.text)).map((c) => c.what), replay).toEqual([]);
        continue;
      }
      const { query, variables } = operationFor(r, pools);
      // A query is sent twice: its text's first run is graphql-js's, the second compiled by
      // graphql-jit (src/graphql/jit.ts); both are held to the same rules.
      const runs = query.startsWith('mutation') ? 1 : 2;
      let body: { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> } = {};
      for (let run = 0; run < runs; run++) {
        const replay = `FUZZ_SEED=${SEED}, request ${stats.requests + 1}, as ${identity}: ${query} ${JSON.stringify(variables).slice(0, 2000)}`;
        const res = await send(identity, query, variables);
        stats.requests++;
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
        expect(res.status, replay).toBeLessThan(500);
        body = JSON.parse(res.text);
        for (const e of body.errors ?? []) {
          const code = e.extensions?.code ?? '';
          stats.errors[code] = (stats.errors[code] ?? 0) + 1;
          expect(allowed.has(code), `${code}: ${e.message}\n${replay}`).toBe(true);
        }
        if (!body.errors) stats.ok++;
        const leaked = forbiddenFor(identity).filter((c) => res.text.includes(c.text));
        expect(leaked.map((c) => c.what), replay).toEqual([]);
      }
      // A mutation that changes who may see what changes which canaries mean a leak: a release
      // turns the organization's drafts into data its partners may read, an approved agreement
      // may grant counts. Those canaries stop counting (conservatively, all of that organization's).
      const org = IDENTITIES[identity];
      if (org && body.data && (body.data.releaseData || body.data.approveAgreement)) {
        for (let i = canaries.length - 1; i >= 0; i--) {
          const c = canaries[i];
          const affected = body.data.releaseData ? c.what.startsWith('draft') && c.maySee.has(org) : /numerator|denominator/.test(c.what) && c.maySee.has(org);
          if (affected) dropped.push(canaries.splice(i, 1)[0].what);
        }
      }
    }
    console.log(`fuzz: ${stats.requests} requests, ${stats.ok} GraphQL answers without errors, ${stats.exports} exports; HTTP ${JSON.stringify(stats.byStatus)}; codes ${JSON.stringify(stats.errors)}; canaries retired by releases/agreements: ${dropped.length}, left: ${canaries.length}`);
    expect(stats.requests).toBeGreaterThan(20);
    expect(stats.ok).toBeGreaterThan(0); // the generator reaches data, not only refusals
    const live = await fetch(`${t.baseUrl}/livez`);
    expect(live.status).toBe(200);
    expect((await send('public', '{ __typename }')).text).toBe('{"data":{"__typename":"Query"}}\n');
  });
});
