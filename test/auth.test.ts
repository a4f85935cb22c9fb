import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator } from '../src/access/auth';
import { DEMO_AUDIENCE, DEMO_ISSUER } from '../src/access/demo';
import { ConfigError, loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { createHub, type Hub } from '../src/server';
import { TEST_SETTINGS, startTestHub, type GraphQLResponse, type TestHub } from './support/hub';

let t: TestHub;
/** The demo hub's own signing key, read from its DATA_DIR (DESIGN §5: the key is kept there). */
let demoKey: CryptoKey;
/** A key no hub trusts. */
let strangerKey: CryptoKey;

beforeAll(async () => {
  t = await startTestHub();
  const { privateJwk } = JSON.parse(fs.readFileSync(path.join(t.dataDir, 'demo-signing-key.json'), 'utf8'));
  demoKey = (await importJWK(privateJwk, 'ES256')) as CryptoKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
});
afterAll(async () => {
  await t?.close();
});

/** POSTs a query with a raw `Authorization` header (or none) to a hub. */
async function post(baseUrl: string, authorization: string | undefined, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

const NOW = () => Math.floor(Date.now() / 1000);

/** A JWT with the demo issuer's claims for halle-editor, signed by `key`; `claims` override or (undefined) remove claims. */
function token(key: CryptoKey, claims: Partial<Record<keyof JWTPayload | 'org' | 'role', unknown>> = {}): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: DEMO_ISSUER,
    aud: DEMO_AUDIENCE,
    sub: 'test:halle-editor',
    iat: NOW(),
    exp: NOW() + 600,
    org: 'bildungsbuero-15002',
    role: 'editor',
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(key);
}

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** The whole-response shape of a refused credential: 401, UNAUTHENTICATED, and no `data` at all. */
function expectRefused(res: GraphQLResponse) {
  expect(res.status).toBe(401);
  expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(res.body).not.toHaveProperty('data');
}

const WHO = `{ apiKeys { name } }`;

describe('bad credentials', () => {
  it('a token signed with the real demo key and correct claims is accepted (the control for the cases below)', async () => {
    const res = await post(t.baseUrl, `Bearer ${await token(demoKey)}`, WHO);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  const cases: Array<[string, () => Promise<string>]> = [
    ['expired', async () => `Bearer ${await token(demoKey, { iat: NOW() - 7200, exp: NOW() - 3600 })}`],
    ['wrong audience', async () => `Bearer ${await token(demoKey, { aud: 'another-service' })}`],
    ['wrong issuer', async () => `Bearer ${await token(demoKey, { iss: 'https://login.example/realms/kobi' })}`],
    ['no expiry', async () => `Bearer ${await token(demoKey, { exp: undefined })}`],
    ['not yet valid', async () => `Bearer ${await token(demoKey, { nbf: NOW() + 3600 })}`],
    ['alg: none (unsigned)', async () => `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: DEMO_ISSUER, aud: DEMO_AUDIENCE, sub: 'x', exp: NOW() + 600, org: 'ministerium-15', role: 'admin' })}.`],
    [
      'alg: HS256 (an algorithm outside the allow-list)',
      async () => `Bearer ${await new SignJWT({ org: 'ministerium-15', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(DEMO_ISSUER).setAudience(DEMO_AUDIENCE).setSubject('x').setExpirationTime('10m').sign(new TextEncoder().encode('a shared secret of at least thirty-two bytes'))}`,
    ],
    ['signed by an unknown key', async () => `Bearer ${await token(strangerKey)}`],
    ['a valid signature over a changed payload', async () => {
      const [h, , s] = (await token(demoKey)).split('.');
      return `Bearer ${h}.${b64url({ iss: DEMO_ISSUER, aud: DEMO_AUDIENCE, sub: 'x', exp: NOW() + 600, org: 'ministerium-15', role: 'admin' })}.${s}`;
    }],
    ['malformed token', async () => 'Bearer not-a-token'],
    ['malformed JWT (three parts of garbage)', async () => 'Bearer abc.def.ghi'],
    ['empty Bearer', async () => 'Bearer '],
    ['non-Bearer scheme (Basic)', async () => `Basic ${Buffer.from('halle:secret').toString('base64')}`],
    ['non-Bearer scheme with a valid token', async () => `Token ${t.tokens['halle-editor']}`],
    ['token of an unknown organization', async () => `Bearer ${await token(demoKey, { org: 'bildungsbuero-99999' })}`],
    ['token without an organization claim', async () => `Bearer ${await token(demoKey, { org: undefined })}`],
    ['token whose role is no hub role', async () => `Bearer ${await token(demoKey, { role: 'superuser' })}`],
    ['a syntactically valid unknown API key', async () => `Bearer kobi_0123456789ab_${'A'.repeat(32)}`],
    ['the demo API key with a wrong secret', async () => `Bearer ${t.tokens['demo-report-key'].slice(0, -32)}${'B'.repeat(32)}`],
  ];
  it.each(cases)('%s → 401 UNAUTHENTICATED, no data', async (_name, credential) => {
    expectRefused(await post(t.baseUrl, await credential(), `{ series(indicatorCodes: ["C1"], regionCodes: ["15"]) { values } }`));
  });

  it('a refused credential is never downgraded to the public, also for a query the public may run', async () => {
    expectRefused(await post(t.baseUrl, 'Bearer not-a-token', `{ regions(level: LAND) { code } }`));
    expect((await post(t.baseUrl, undefined, `{ regions(level: LAND) { code } }`)).body.data).toEqual({ regions: [{ code: '15' }] });
  });
});

describe('API keys', () => {
  const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id name prefix scope createdAt createdBy revokedAt lastUsedAt } } }`;
  const REVOKE = `mutation($id: Int!) { revokeApiKey(id: $id) { id revokedAt } }`;
  const LIST = `{ apiKeys { id name prefix scope createdBy revokedAt lastUsedAt } }`;
  const keyCount = async () => (await t.database.db.query(`SELECT count(*)::int AS n FROM api_key`))[0].n as number;
  const stored = async (id: number) => (await t.database.db.query(`SELECT * FROM api_key WHERE id = $1`, [id]))[0];

  it('an admin creates a key: shown once, stored only as a hash; it works as Bearer and records its last use; revoked, it is refused', async () => {
    const created = await t.gql(CREATE, { input: { name: 'Bildungsbericht Halle (Power BI)', scope: 'READ' } }, 'halle-admin');
    expect(created.body.errors).toBeUndefined();
    const { key, apiKey } = created.body.data.createApiKey;
    const m = /^kobi_([a-z0-9]+)_([A-Za-z0-9_-]{32})$/.exec(key)!;
    expect(m).not.toBeNull();
    expect(apiKey).toMatchObject({ name: 'Bildungsbericht Halle (Power BI)', prefix: m[1], scope: 'READ', createdBy: 'demo:halle-admin', revokedAt: null, lastUsedAt: null });

    // Only the SHA-256 of the secret is stored; no column holds the key or its secret.
    const row = await stored(apiKey.id);
    expect(Buffer.from(row.secret_hash).equals(createHash('sha256').update(m[2]).digest())).toBe(true);
    expect(JSON.stringify(row)).not.toContain(m[2]);
    const listed = (await t.gql(LIST, {}, 'halle-admin')).body.data.apiKeys.find((k: any) => k.id === apiKey.id);
    expect(JSON.stringify(listed)).not.toContain(m[2]);

    // The key works as Bearer for queries, as a member of Halle (it sees Halle's keys), and its use is recorded.
    const used = await post(t.baseUrl, `Bearer ${key}`, LIST);
    expect(used.status).toBe(200);
    expect(used.body.data.apiKeys.map((k: any) => k.id)).toContain(apiKey.id);
    const afterUse = (await t.gql(LIST, {}, 'halle-admin')).body.data.apiKeys.find((k: any) => k.id === apiKey.id);
    expect(afterUse.lastUsedAt).not.toBeNull();
    expect(Date.now() - Date.parse(afterUse.lastUsedAt)).toBeLessThan(60_000);

    const revoked = await t.gql(REVOKE, { id: apiKey.id }, 'halle-admin');
    expect(revoked.body.errors).toBeUndefined();
    expect(revoked.body.data.revokeApiKey.revokedAt).not.toBeNull();
    expect((await stored(apiKey.id)).revoked_by).toBe('demo:halle-admin');
    expectRefused(await post(t.baseUrl, `Bearer ${key}`, LIST));

    // Revoking again is a conflict with the key's state; nothing changes.
    const first = await stored(apiKey.id);
    const again = await t.gql(REVOKE, { id: apiKey.id }, 'halle-admin');
    expect(again.body.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(again.body.data).toBeNull();
    expect(await stored(apiKey.id)).toEqual(first);
  });

  it('only admins create keys: an editor and an API key are FORBIDDEN, the public UNAUTHENTICATED; a bad name is BAD_USER_INPUT; nothing is written', async () => {
    const before = await keyCount();
    const input = { name: 'Skript', scope: 'READ_WRITE' };
    expect((await t.gql(CREATE, { input }, 'halle-editor')).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(CREATE, { input }, 'demo-report-key')).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(CREATE, { input })).body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    // A read/write key is an editor at most: it cannot mint keys either.
    const rw = (await t.gql(CREATE, { input }, 'halle-admin')).body.data.createApiKey;
    expect((await post(t.baseUrl, `Bearer ${rw.key}`, CREATE, { input })).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const res = await t.gql(CREATE, { input: { name, scope: 'READ' } }, 'halle-admin');
      expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(await keyCount()).toBe(before + 1);
  });

  it("revoking another organization's key is NOT_FOUND, a viewer or editor of the same organization FORBIDDEN; the key stays valid", async () => {
    const { key, apiKey } = (await t.gql(CREATE, { input: { name: 'Kita-Bericht', scope: 'READ' } }, 'halle-admin')).body.data.createApiKey;
    for (const [who, code] of [
      ['land-admin', 'NOT_FOUND'],
      ['burgenlandkreis-editor', 'NOT_FOUND'],
      ['halle-editor', 'FORBIDDEN'],
      ['demo-report-key', 'NOT_FOUND'],
    ]) {
      const res = await t.gql(REVOKE, { id: apiKey.id }, who);
      expect([who, res.body.errors?.[0].extensions?.code]).toEqual([who, code]);
    }
    // Unknown ids are NOT_FOUND as well: another organization's key looks exactly like none.
    expect((await t.gql(REVOKE, { id: 999999 }, 'halle-admin')).body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await t.gql(REVOKE, { id: apiKey.id })).body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await stored(apiKey.id)).revoked_at).toBeNull();
    expect((await post(t.baseUrl, `Bearer ${key}`, LIST)).status).toBe(200);
  });

  it("lists only the viewer organization's keys, never a hash; the public gets none", async () => {
    const halle = (await t.gql(LIST, {}, 'halle-editor')).body.data.apiKeys;
    expect(halle.length).toBeGreaterThan(0);
    expect(halle.map((k: any) => k.name)).not.toContain('demo-report-key');
    const land = (await t.gql(LIST, {}, 'land-analyst')).body.data.apiKeys;
    expect(land.map((k: any) => k.name)).toEqual(['demo-report-key']);
    expect(land[0]).toMatchObject({ scope: 'READ', revokedAt: null });
    expect((await t.gql(LIST, {}, 'boerde-viewer')).body.data.apiKeys).toEqual([]);
    expect((await t.gql(LIST)).body.data.apiKeys).toEqual([]);
    const fields = (await t.gql(`{ __type(name: "ApiKey") { fields { name } } }`)).body.data.__type.fields.map((f: any) => f.name);
    expect(fields.filter((f: string) => /hash|secret|key$/i.test(f))).toEqual([]);
  });

  it('a READ key cannot run a mutation that needs an editor (FORBIDDEN), and writes nothing', async () => {
    const count = async () => (await t.database.db.query(`SELECT count(*)::int AS n FROM data_sharing_agreement`))[0].n as number;
    const before = await count();
    const res = await t.gql(
      `mutation($input: ProposeAgreementInput!) { proposeAgreement(input: $input) { id } }`,
      {
        input: {
          providerCode: 'statistik-15',
          recipientCode: 'ministerium-15',
          indicatorCodes: ['C1'],
          detail: 'COUNTS',
          purpose: 'Bildungsbericht',
          legalBasis: '§ 3 Kooperationsvereinbarung',
        },
      },
      'demo-report-key',
    );
    expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await count()).toBe(before);
  });
});

describe('OIDC (Keycloak)', () => {
  const ISSUER = 'https://login.example/realms/kobi';
  const AUDIENCE = 'kobi-data-hub';
  let oidcKey: CryptoKey;
  let hub: Hub;
  let baseUrl: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    oidcKey = pair.privateKey;
    const auth = await Authenticator.create({
      oidc: { issuer: ISSUER, audience: AUDIENCE, publicKey: await exportSPKI(pair.publicKey), algorithms: ['ES256'], orgClaim: 'org', roleClaim: 'realm_access.roles' },
      db: t.database.db,
    });
    hub = await createHub({ db: t.database.db, log: silentLogger, config: TEST_SETTINGS, auth });
    baseUrl = `http://127.0.0.1:${await hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** A token as Keycloak issues it: roles in `realm_access.roles` among Keycloak's own. */
  const keycloakToken = (roles: string[], { iss = ISSUER, aud = AUDIENCE } = {}) =>
    new SignJWT({ org: 'ministerium-15', realm_access: { roles: ['offline_access', 'uma_authorization', ...roles] } })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'kc-1' })
      .setIssuer(iss)
      .setAudience(aud)
      .setSubject('f3b1c0de-kc-user')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(oidcKey);

  it("accepts the issuer's tokens: organization and role from the configured claims, the highest role wins", async () => {
    const viewer = await post(baseUrl, `Bearer ${await keycloakToken(['viewer'])}`, `{ apiKeys { name } }`);
    expect(viewer.status).toBe(200);
    expect(viewer.body.data.apiKeys.map((k: any) => k.name)).toEqual(['demo-report-key']);
    const input = { name: 'OIDC-Test', scope: 'READ' };
    const create = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { createdBy } } }`;
    expect((await post(baseUrl, `Bearer ${await keycloakToken(['viewer'])}`, create, { input })).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const admin = await post(baseUrl, `Bearer ${await keycloakToken(['viewer', 'admin'])}`, create, { input });
    expect(admin.body.errors).toBeUndefined();
    expect(admin.body.data.createApiKey.apiKey.createdBy).toBe('f3b1c0de-kc-user');
  });

  it("refuses demo tokens, tokens of the right key but another issuer or audience, and an algorithm outside OIDC_ALGORITHMS", async () => {
    expectRefused(await post(baseUrl, `Bearer ${t.tokens['land-admin']}`, WHO));
    expectRefused(await post(baseUrl, `Bearer ${await keycloakToken(['admin'], { iss: DEMO_ISSUER })}`, WHO));
    expectRefused(await post(baseUrl, `Bearer ${await keycloakToken(['admin'], { aud: DEMO_AUDIENCE + '-other' })}`, WHO));
    expectRefused(await post(baseUrl, `Bearer ${await keycloakToken([])}`, WHO));
    const rsa = await generateKeyPair('RS256');
    const rs256 = await new SignJWT({ org: 'ministerium-15', realm_access: { roles: ['admin'] } }).setProtectedHeader({ alg: 'RS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').setExpirationTime('5m').sign(rsa.privateKey);
    expectRefused(await post(baseUrl, `Bearer ${rs256}`, WHO));
  });

  it('refuses the demo API key: with an issuer configured, no demo credential opens the hub', async () => {
    expectRefused(await post(baseUrl, `Bearer ${t.tokens['demo-report-key']}`, WHO));
  });

  it('DEMO_MODE=1 together with OIDC_ISSUER is a configuration error; an issuer alone turns demo mode off', () => {
    expect(() => loadConfig({ DEMO_MODE: '1', OIDC_ISSUER: ISSUER })).toThrow(ConfigError);
    expect(loadConfig({ OIDC_ISSUER: ISSUER }).demoMode).toBe(false);
    expect(loadConfig({}).demoMode).toBe(true);
  });
});
