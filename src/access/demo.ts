import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { DataSource } from 'typeorm';
import { hashSecret } from './secrets';
import { Role } from './viewer';

/** Demo identities (DESIGN §5): name → organization and role. */
export const DEMO_IDENTITIES: ReadonlyArray<{ name: string; orgCode: string; role: Role }> = [
  { name: 'land-admin', orgCode: 'ministerium-15', role: Role.ADMIN },
  { name: 'land-analyst', orgCode: 'ministerium-15', role: Role.VIEWER },
  { name: 'statistik-editor', orgCode: 'statistik-15', role: Role.EDITOR },
  { name: 'burgenlandkreis-editor', orgCode: 'bildungsbuero-15084', role: Role.EDITOR },
  { name: 'boerde-viewer', orgCode: 'bildungsbuero-15083', role: Role.VIEWER },
  { name: 'halle-editor', orgCode: 'bildungsbuero-15002', role: Role.EDITOR },
  { name: 'halle-admin', orgCode: 'bildungsbuero-15002', role: Role.ADMIN },
  { name: 'magdeburg-viewer', orgCode: 'bildungsbuero-15003', role: Role.VIEWER },
];

/** The demo API key of a report generator of the Land (read scope). */
export const DEMO_API_KEY = { name: 'demo-report-key', orgCode: 'ministerium-15', prefix: 'demoreport' } as const;

/** Issuer and audience of demo tokens; a hub with a real issuer configured never accepts them. */
export const DEMO_ISSUER = 'urn:kobi-data-hub:demo';
export const DEMO_AUDIENCE = 'kobi-data-hub';
const ALG = 'ES256';
const TOKEN_LIFETIME = '24h';
const KEY_FILE = 'demo-signing-key.json';

/**
 * The demo mode's own token issuer. Its key pair lives in DATA_DIR (mode 0600), created on first
 * use, so tokens survive restarts and every hub instance sharing the folder agrees on them.
 */
export class DemoIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicKey: CryptoKey,
    private readonly secretSeed: string,
  ) {}

  static async load(dataDir: string): Promise<DemoIssuer> {
    const file = path.join(dataDir, KEY_FILE);
    let jwk: { privateJwk: JWK; publicJwk: JWK };
    if (fs.existsSync(file)) {
      jwk = JSON.parse(fs.readFileSync(file, 'utf8'));
    } else {
      const pair = await generateKeyPair(ALG, { extractable: true });
      jwk = { privateJwk: await exportJWK(pair.privateKey), publicJwk: await exportJWK(pair.publicKey) };
      fs.mkdirSync(dataDir, { recursive: true });
      fs.writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    }
    return new DemoIssuer((await importJWK(jwk.privateJwk, ALG)) as CryptoKey, (await importJWK(jwk.publicJwk, ALG)) as CryptoKey, jwk.privateJwk.d!);
  }

  /** A fresh token for a demo identity, valid for 24 hours. */
  sign(identity: { name: string; orgCode: string; role: Role }): Promise<string> {
    return new SignJWT({ org: identity.orgCode, role: identity.role.toLowerCase(), name: identity.name })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setSubject(`demo:${identity.name}`)
      .setIssuer(DEMO_ISSUER)
      .setAudience(DEMO_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(TOKEN_LIFETIME)
      .sign(this.privateKey);
  }

  /**
   * The demo API key. Derived from the signing key rather than stored, so that `/demo/tokens`
   * can show it again (a real key is shown once); only its hash is in the database.
   */
  apiKey(): string {
    const secret = createHmac('sha256', this.secretSeed).update(DEMO_API_KEY.name).digest('base64url').slice(0, 32);
    return `kobi_${DEMO_API_KEY.prefix}_${secret}`;
  }

  /** name → credential, as `GET /demo/tokens` returns it. */
  async tokens(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const identity of DEMO_IDENTITIES) out[identity.name] = await this.sign(identity);
    out[DEMO_API_KEY.name] = this.apiKey();
    return out;
  }
}

/**
 * Makes sure the demo API key of this DATA_DIR is in the database (only its hash). A revoked demo
 * key stays revoked: revocation is something to try out in the demo.
 */
export async function ensureDemoApiKey(db: DataSource, issuer: DemoIssuer): Promise<void> {
  // The secret is base64url and may itself contain `_`: cut the known head off, never split.
  const secret = issuer.apiKey().slice(`kobi_${DEMO_API_KEY.prefix}_`.length);
  await db.query(
    `INSERT INTO api_key (organization_id, name, prefix, secret_hash, scope, created_by)
     SELECT id, $1, $2, $3, 'READ', 'demo mode' FROM organization WHERE code = $4
     ON CONFLICT (prefix) DO UPDATE SET secret_hash = EXCLUDED.secret_hash`,
    [DEMO_API_KEY.name, DEMO_API_KEY.prefix, hashSecret(secret), DEMO_API_KEY.orgCode],
  );
}
