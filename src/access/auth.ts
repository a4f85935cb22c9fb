import { createRemoteJWKSet, decodeProtectedHeader, importSPKI, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { DataSource } from 'typeorm';
import type { OidcConfig } from '../config';
import { HubError } from '../graphql/errors';
import type { Logger } from '../logger';
import { DEMO_API_KEY, DEMO_AUDIENCE, DEMO_ISSUER, DemoIssuer, ensureDemoApiKey } from './demo';
import { hashSecret } from './secrets';
import { Role, type Credentials } from './viewer';

/** Shape of an API key: `kobi_<prefix>_<secret>`; the prefix finds the row, the secret is hashed. */
const API_KEY = /^kobi_([a-z0-9]{8,16})_([A-Za-z0-9_-]{32})$/;

/** 401 with UNAUTHENTICATED; the message says what was wrong with the credential, never echoes it. */
export const unauthenticated = (why: string) => new HubError('UNAUTHENTICATED', `not authenticated: ${why}`, { http: { status: 401 } });

/** Reads a claim by dotted path, e.g. `realm_access.roles` (Keycloak). */
function claim(payload: JWTPayload, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), payload);
}

/** The highest hub role among a claim's values (`viewer`, `editor`, `admin`, any case). */
function roleOf(value: unknown): Role | undefined {
  const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string').map((v) => v.toUpperCase());
  return [Role.ADMIN, Role.EDITOR, Role.VIEWER].find((r) => values.includes(r));
}

interface JwtRule {
  key: CryptoKey | JWTVerifyGetKey;
  issuer: string;
  audience: string;
  algorithms: string[];
  orgClaim: string;
  roleClaim: string;
  via: 'oidc' | 'demo';
}

/**
 * Turns an `Authorization` header into credentials (DESIGN §5, issue "who may see what"):
 * - no header: the public (null);
 * - `Bearer <JWT>`: verified with jose against the configured OIDC issuer (or, in demo mode only,
 *   the hub's demo issuer) — signature, `iss`, `aud`, `exp`, an allow-list of algorithms — with
 *   no SQL at all;
 * - `Bearer kobi_…`: an API key, found by its prefix and checked by hash in one statement that
 *   also records its last use.
 * Anything else is UNAUTHENTICATED (HTTP 401), never a silent downgrade to the public.
 */
export class Authenticator {
  private constructor(
    private readonly rule: JwtRule | undefined,
    private readonly db: DataSource,
    private readonly demoMode: boolean,
  ) {}

  static async create(opts: { oidc?: OidcConfig; demo?: DemoIssuer; db: DataSource }): Promise<Authenticator> {
    let rule: JwtRule | undefined;
    if (opts.oidc) {
      const o = opts.oidc;
      const key = o.publicKey ? await importSPKI(o.publicKey, o.algorithms[0]) : createRemoteJWKSet(new URL(o.jwksUrl!));
      rule = { key, issuer: o.issuer, audience: o.audience, algorithms: o.algorithms, orgClaim: o.orgClaim, roleClaim: o.roleClaim, via: 'oidc' };
    } else if (opts.demo) {
      rule = { key: opts.demo.publicKey, issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE, algorithms: ['ES256'], orgClaim: 'org', roleClaim: 'role', via: 'demo' };
    }
    return new Authenticator(rule, opts.db, opts.demo !== undefined);
  }

  private readonly perRequest = new WeakMap<object, Promise<Credentials | null>>();

  /**
   * `authenticate` once per HTTP request: the rate limiter (src/http/rate-limit.ts), the GraphQL
   * context and the exports share the answer, so an API key is looked up once.
   */
  forRequest(req: { headers: { authorization?: string } }): Promise<Credentials | null> {
    let credentials = this.perRequest.get(req);
    if (!credentials) {
      credentials = this.authenticate(req.headers.authorization);
      credentials.catch(() => undefined); // whoever asks handles the rejection; this copy is the cache
      this.perRequest.set(req, credentials);
    }
    return credentials;
  }

  async authenticate(header: string | undefined): Promise<Credentials | null> {
    if (header === undefined || header === '') return null;
    const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
    if (!m) throw unauthenticated('expected "Authorization: Bearer <token or API key>"');
    const token = m[1];
    const key = API_KEY.exec(token);
    if (key) return this.apiKey(key[1], key[2]);
    if (token.split('.').length === 3) return this.jwt(token);
    throw unauthenticated('malformed token');
  }

  private async jwt(token: string): Promise<Credentials> {
    if (!this.rule) throw unauthenticated('this hub accepts no tokens (no OIDC_ISSUER configured)');
    let payload: JWTPayload;
    try {
      decodeProtectedHeader(token);
      ({ payload } = await jwtVerify(token, this.rule.key as never, {
        issuer: this.rule.issuer,
        audience: this.rule.audience,
        algorithms: this.rule.algorithms,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw unauthenticated(jwtProblem(err));
    }
    const org = claim(payload, this.rule.orgClaim);
    const role = roleOf(claim(payload, this.rule.roleClaim));
    if (typeof org !== 'string' || !org) throw unauthenticated(`the token has no organization claim "${this.rule.orgClaim}"`);
    if (!role) throw unauthenticated(`the token's claim "${this.rule.roleClaim}" names no hub role (viewer, editor, admin)`);
    return { subject: payload.sub!, orgCode: org, role, via: this.rule.via };
  }

  private async apiKey(prefix: string, secret: string): Promise<Credentials> {
    // Runs as the connecting (owner) user, before the request's transaction: the key decides
    // which organization that transaction is for.
    // The demo key's row stays in a database that once ran in demo mode: outside demo mode it
    // must not open the hub (with an issuer configured, no demo credential is accepted).
    if (prefix === DEMO_API_KEY.prefix && !this.demoMode) throw unauthenticated('the demo API key is valid only in demo mode');
    // In a transaction of its own: the embedded database (pglite-socket) interleaves the protocol
    // messages of connections that are not in a transaction, so an autocommit statement with
    // parameters can be split by another request's BEGIN and the hub hangs under concurrent load
    // (test/concurrency.test.ts). Wrapped in a SELECT: TypeORM answers a bare UPDATE … RETURNING
    // with [rows, rowCount].
    const rows: Array<{ id: number; scope: string; org: string }> = await this.db.transaction((em) =>
      em.query(
        `WITH used AS (
           UPDATE api_key k SET last_used_at = now() FROM organization o
           WHERE k.prefix = $1 AND k.secret_hash = $2 AND k.revoked_at IS NULL AND o.id = k.organization_id
           RETURNING k.id, k.scope, o.code AS org)
         SELECT * FROM used`,
        [prefix, hashSecret(secret)],
      ),
    );
    if (!rows[0]) throw unauthenticated(prefix === DEMO_API_KEY.prefix ? 'the demo API key is not valid here' : 'unknown or revoked API key');
    const { id, scope, org } = rows[0];
    return { subject: `api-key:${id}`, orgCode: org, role: scope === 'READ_WRITE' ? Role.EDITOR : Role.VIEWER, via: 'api-key', apiKeyId: id };
  }
}

/** A short reason for a rejected JWT, from jose's error codes. */
function jwtProblem(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `the token's ${(err as { claim?: string }).claim ?? 'claims'} does not match this hub`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is signed with an algorithm this hub does not accept';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token is not signed by a key this hub trusts';
    default:
      return 'the token is malformed or cannot be verified';
  }
}

/**
 * The authentication of a running hub: OIDC when an issuer is configured; in demo mode the hub's
 * own issuer (key in DATA_DIR) and the demo API key, announced loudly in the log.
 */
export async function createAuthentication(opts: {
  oidc?: OidcConfig;
  demoMode: boolean;
  dataDir: string;
  db: DataSource;
  log: Logger;
}): Promise<{ auth: Authenticator; demo?: DemoIssuer }> {
  let demo: DemoIssuer | undefined;
  if (opts.demoMode) {
    demo = await DemoIssuer.load(opts.dataDir);
    await ensureDemoApiKey(opts.db, demo);
    opts.log.warn(
      'DEMO MODE IS ON: anyone who can reach this hub can fetch tokens for every demo identity from GET /demo/tokens. Never run it like this with real data (set DEMO_MODE=0 and OIDC_ISSUER).',
    );
  }
  return { auth: await Authenticator.create({ oidc: opts.oidc, demo, db: opts.db }), demo };
}
