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
  /** Seconds to wait for the database at start-up before giving up (`DATABASE_CONNECT_TIMEOUT`, default 10). */
  connectTimeoutSeconds: number;
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
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    migrationDatabaseUrl: postgresUrl(env, 'MIGRATION_DATABASE_URL') ?? databaseUrl,
    dataDir: path.resolve(env.DATA_DIR || './.data'),
    logLevel,
    maxCodesPerList: integer(env, 'QUERY_MAX_CODES', 500, 100, 100_000),
    connectTimeoutSeconds: integer(env, 'DATABASE_CONNECT_TIMEOUT', 10, 1, 300),
  };
}
