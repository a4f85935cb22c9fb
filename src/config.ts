import path from 'node:path';

/**
 * The hub's configuration: the only place that reads `process.env` (house style §9).
 * Every value is validated once at start-up; a bad value stops the process with a
 * one-line message naming the variable, rather than surfacing later as a confusing error.
 */
export interface Config {
  /** HTTP port (`PORT`, default 4000). */
  port: number;
  /** Postgres server for requests (`DATABASE_URL`); undefined means embedded PGlite. */
  databaseUrl?: string;
  /** Postgres URL used to run migrations, as the table owner (`MIGRATION_DATABASE_URL`, default `DATABASE_URL`). */
  migrationDatabaseUrl?: string;
  /** Where the embedded database keeps its files (`DATA_DIR`, default `./.data`). */
  dataDir: string;
  /** `LOG_LEVEL`: `debug`, `info`, `warn` or `error` (default `info`). */
  logLevel: LogLevel;
  /** Largest number of codes one list argument may carry (`QUERY_MAX_CODES`, default 500). */
  maxCodesPerList: number;
  /**
   * Connections of each pool on a PostgreSQL server (`DATABASE_POOL_SIZE`, default 10): the request
   * pool (members, migrations aside) and the public's pool; each opens connections only as needed.
   */
  poolSize: number;
  /** Seconds to wait for a database connection before giving up (`DATABASE_CONNECT_TIMEOUT`, default 10). */
  connectTimeoutSeconds: number;
  /** Seconds a statement may run before Postgres cancels it (`DATABASE_STATEMENT_TIMEOUT`, default 30; 0 = none). PGlite ignores it. */
  statementTimeoutSeconds: number;
  /** Seconds a transaction may sit idle before Postgres ends its session (`DATABASE_IDLE_IN_TRANSACTION_TIMEOUT`, default 60; 0 = none). PGlite ignores it. */
  idleInTransactionTimeoutSeconds: number;
  /** Seconds in-flight requests get to finish after SIGTERM/SIGINT (`SHUTDOWN_DRAIN_SECONDS`, default 25). */
  shutdownDrainSeconds: number;
  /** Requests per minute and client IP for the public (`RATE_LIMIT_ANONYMOUS_PER_MINUTE`, default 600; 0 = no limit). */
  rateLimitAnonymousPerMinute: number;
  /** Requests per minute and API key or login (`RATE_LIMIT_AUTHENTICATED_PER_MINUTE`, default 3,000; 0 = no limit). */
  rateLimitAuthenticatedPerMinute: number;
  /** Redis shared by all instances for the rate limits (`REDIS_URL`); undefined: counted in memory per instance. */
  redisUrl?: string;
  /**
   * Which proxies' `X-Forwarded-For` tells the client IP (`TRUST_PROXY`): false (default) trusts
   * none; a number trusts that many hops; otherwise a list of addresses/subnets (Express's syntax).
   */
  trustProxy: false | number | string[];
  /** Bearer token `GET /metrics` requires (`METRICS_TOKEN`); undefined: /metrics is open. */
  metricsToken?: string;
  /** Logins from an OIDC provider (Keycloak); undefined when no `OIDC_ISSUER` is set. */
  oidc?: OidcConfig;
  /** Demo mode: the hub signs tokens for the demo identities itself (`DEMO_MODE`). */
  demoMode: boolean;
  /** Counts below this are suppressed for audiences without a right to them (`DISCLOSURE_THRESHOLD`, default 3). */
  disclosureThreshold: number;
  /**
   * Most cells (indicators × regions × periods × breakdown codes) one request's series may ask
   * for (`QUERY_MAX_CELLS`, default 250,000). The default admits a bulk pull of 100,000 values
   * even when it gives no period bounds: the estimate then counts every period since 2000 (28
   * years in 2026), almost twice the 15 years of data the benchmark holds.
   */
  maxCells: number;
  /** Most cost points a GraphQL document may add up to, lists multiplying (`QUERY_MAX_COST`, default 20,000; src/graphql/limits.ts). */
  maxCost: number;
  /** Deepest selection nesting (`QUERY_MAX_DEPTH`, default 10). */
  maxDepth: number;
  /** Most aliases in one document (`QUERY_MAX_ALIASES`, default 30). */
  maxAliases: number;
  /** Most directives in one document (`QUERY_MAX_DIRECTIVES`, default 30). */
  maxDirectives: number;
  /** Most lexical tokens in one document (`QUERY_MAX_TOKENS`, default 5,000): long code lists belong in variables. */
  maxTokens: number;
  /**
   * Largest body of a GraphQL request without login, in bytes (`QUERY_MAX_ANONYMOUS_BODY`, default
   * 131,072): a document within the token limit and code lists in variables fit; a logged-in
   * request may send up to 1 MB (an upload of 10,000 rows through `importObservations`).
   */
  maxAnonymousBody: number;
  /** `NODE_ENV=production`: validation errors carry no "Did you mean …" suggestions of schema names. */
  hideSuggestions: boolean;
  /**
   * Introspection (`__schema`, `__type`) on `/graphql` (`INTROSPECTION`, default on): analysts
   * explore the schema in GraphiQL, and the schema is no secret (`schema.graphql` is published
   * with the code); the data is guarded, not its shape. Off, GraphiQL shows no docs.
   */
  introspection: boolean;
  /**
   * Uploads are staged with COPY (on a PostgreSQL server) rather than batched INSERTs (the
   * embedded database, whose socket COPY breaks): follows from `DATABASE_URL`, not a variable.
   */
  stageWithCopy: boolean;
}

export interface OidcConfig {
  /** `OIDC_ISSUER`: the `iss` every token must carry, e.g. https://login.example/realms/kobi. */
  issuer: string;
  /** `OIDC_AUDIENCE`: the `aud` every token must carry (default `kobi-data-hub`). */
  audience: string;
  /** `OIDC_JWKS_URL`: where the issuer publishes its keys (default `<issuer>/protocol/openid-connect/certs`, Keycloak's). */
  jwksUrl?: string;
  /** `OIDC_PUBLIC_KEY`: a PEM public key to use instead of the JWKS URL. */
  publicKey?: string;
  /** `OIDC_ALGORITHMS`: accepted signature algorithms (default `RS256,ES256`); `none` is never accepted. */
  algorithms: string[];
  /** `OIDC_ORG_CLAIM`: claim (dotted path) with the organization code (default `org`). */
  orgClaim: string;
  /** `OIDC_ROLE_CLAIM`: claim (dotted path) with the role or a list of roles (default `role`). */
  roleClaim: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function postgresUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://`);
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, got "${env.LOG_LEVEL}"`);
  }
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  const oidc = oidcConfig(env);
  const demo = env.DEMO_MODE ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(demo)) throw new ConfigError(`DEMO_MODE must be 1 or 0, got "${demo}"`);
  const demoMode = demo === '' ? !databaseUrl && !oidc : demo === '1' || demo === 'true';
  const introspection = env.INTROSPECTION ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(introspection)) throw new ConfigError(`INTROSPECTION must be 1 or 0, got "${introspection}"`);
  if (demoMode && oidc) throw new ConfigError('DEMO_MODE cannot be on while OIDC_ISSUER is set: demo tokens would open a real installation');
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    migrationDatabaseUrl: postgresUrl(env, 'MIGRATION_DATABASE_URL') ?? databaseUrl,
    dataDir: path.resolve(env.DATA_DIR || './.data'),
    logLevel,
    maxCodesPerList: integer(env, 'QUERY_MAX_CODES', 500, 100, 100_000),
    poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1_000),
    connectTimeoutSeconds: integer(env, 'DATABASE_CONNECT_TIMEOUT', 10, 1, 300),
    statementTimeoutSeconds: integer(env, 'DATABASE_STATEMENT_TIMEOUT', 30, 0, 86_400),
    idleInTransactionTimeoutSeconds: integer(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT', 60, 0, 86_400),
    shutdownDrainSeconds: integer(env, 'SHUTDOWN_DRAIN_SECONDS', 25, 0, 3_600),
    rateLimitAnonymousPerMinute: integer(env, 'RATE_LIMIT_ANONYMOUS_PER_MINUTE', 600, 0, 10_000_000),
    rateLimitAuthenticatedPerMinute: integer(env, 'RATE_LIMIT_AUTHENTICATED_PER_MINUTE', 3_000, 0, 10_000_000),
    redisUrl: redisUrl(env),
    trustProxy: trustProxy(env),
    metricsToken: metricsToken(env),
    oidc,
    demoMode,
    disclosureThreshold: integer(env, 'DISCLOSURE_THRESHOLD', 3, 1, 100),
    maxCells: integer(env, 'QUERY_MAX_CELLS', 250_000, 1, 100_000_000),
    maxCost: integer(env, 'QUERY_MAX_COST', 20_000, 100, 100_000_000),
    maxDepth: integer(env, 'QUERY_MAX_DEPTH', 10, 3, 100),
    maxAliases: integer(env, 'QUERY_MAX_ALIASES', 30, 0, 10_000),
    maxDirectives: integer(env, 'QUERY_MAX_DIRECTIVES', 30, 0, 10_000),
    maxTokens: integer(env, 'QUERY_MAX_TOKENS', 5_000, 100, 1_000_000),
    maxAnonymousBody: integer(env, 'QUERY_MAX_ANONYMOUS_BODY', 131_072, 16_384, 1_048_576),
    hideSuggestions: env.NODE_ENV === 'production',
    introspection: introspection !== '0' && introspection !== 'false',
    stageWithCopy: databaseUrl !== undefined,
  };
}

function redisUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.REDIS_URL;
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('REDIS_URL is not a valid URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  return raw;
}

/**
 * TRUST_PROXY: off, a hop count, or addresses/subnets. `true` (trust any sender of
 * X-Forwarded-For) is refused: every client could then pick its own IP and escape its rate limit.
 */
function trustProxy(env: NodeJS.ProcessEnv): false | number | string[] {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 0, 0, 100);
  if (raw === 'true') throw new ConfigError('TRUST_PROXY=true would let any client choose its IP; give the number of proxies in front of the hub (e.g. 1) or their addresses');
  const list = raw.split(',').map((a) => a.trim()).filter(Boolean);
  const bad = list.filter((a) => !/^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(a));
  if (bad.length) throw new ConfigError(`TRUST_PROXY: "${bad.join(', ')}" is neither a hop count, an address, a subnet nor loopback/linklocal/uniquelocal`);
  return list;
}

function metricsToken(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.METRICS_TOKEN;
  if (!raw) return undefined;
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError('METRICS_TOKEN must be at least 16 characters without spaces');
  return raw;
}

function oidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = env.OIDC_ISSUER;
  if (!issuer) {
    const stray = ['OIDC_AUDIENCE', 'OIDC_JWKS_URL', 'OIDC_PUBLIC_KEY'].filter((n) => env[n]);
    if (stray.length) throw new ConfigError(`${stray.join(', ')} set without OIDC_ISSUER`);
    return undefined;
  }
  const algorithms = (env.OIDC_ALGORITHMS || 'RS256,ES256').split(',').map((a) => a.trim()).filter(Boolean);
  const allowed = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
  const bad = algorithms.filter((a) => !allowed.includes(a));
  if (bad.length || algorithms.length === 0) throw new ConfigError(`OIDC_ALGORITHMS may list only ${allowed.join(', ')}; got "${env.OIDC_ALGORITHMS}"`);
  if (env.OIDC_JWKS_URL && env.OIDC_PUBLIC_KEY) throw new ConfigError('set OIDC_JWKS_URL or OIDC_PUBLIC_KEY, not both');
  return {
    issuer,
    audience: env.OIDC_AUDIENCE || 'kobi-data-hub',
    jwksUrl: env.OIDC_PUBLIC_KEY ? undefined : env.OIDC_JWKS_URL || `${issuer.replace(/\/$/, '')}/protocol/openid-connect/certs`,
    publicKey: env.OIDC_PUBLIC_KEY || undefined,
    algorithms,
    orgClaim: env.OIDC_ORG_CLAIM || 'org',
    roleClaim: env.OIDC_ROLE_CLAIM || 'role',
  };
}

/** Settings of `npm run import` (src/import-cli.ts), a client of a running hub: it reads no database settings. */
export interface ImportCliConfig {
  /** `KOBI_URL`: the hub to upload to (default `http://localhost:4000`); `--url` overrides it. */
  url: string;
  /** `KOBI_API_KEY`: the credential sent as `Authorization: Bearer …` (an API key with scope READ_WRITE, or a token); `--key` overrides it. */
  apiKey?: string;
}

export function loadImportCliConfig(env: NodeJS.ProcessEnv = process.env): ImportCliConfig {
  const url = env.KOBI_URL || 'http://localhost:4000';
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`KOBI_URL must be an http(s) URL, got "${url}"`);
  }
  return { url, apiKey: env.KOBI_API_KEY || undefined };
}
