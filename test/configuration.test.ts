import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';

// Every setting the hub reads is documented, and the deployment sets only documented ones: a
// setting added later cannot slip through undocumented (README "Configuration", "Deployment").

const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** The names src/config.ts reads: from its source, and by watching loadConfig read an env. */
function settingsRead(): Set<string> {
  const source = read('src/config.ts');
  const names = new Set<string>();
  for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]);
  for (const m of source.matchAll(/\benv\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g)) names.add(m[1]);
  // Helpers take the env and the name: integer(env, 'PORT', …), postgresUrl(env, 'DATABASE_URL').
  for (const m of source.matchAll(/\(\s*env\s*,\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g)) names.add(m[1]);
  // Whatever the code style, a read is a read: run loadConfig on envs that take each branch.
  const scenarios: Array<Record<string, string>> = [
    {},
    { DATABASE_URL: 'postgres://u@h/db' },
    { OIDC_ISSUER: 'https://login.example/realms/kobi', DEMO_MODE: '0' },
    { OIDC_ISSUER: 'https://login.example/realms/kobi', OIDC_PUBLIC_KEY: 'pem', DEMO_MODE: '0' },
  ];
  for (const values of scenarios) {
    const env = new Proxy(values, {
      get(target, key) {
        if (typeof key === 'string') names.add(key);
        return target[key as string];
      },
    });
    loadConfig(env as NodeJS.ProcessEnv);
  }
  return names;
}

/** The variable names in the first column of the table(s) of one README section. */
function tableNames(section: string): Set<string> {
  const readme = read('README.md');
  const start = readme.indexOf(`\n## ${section}\n`);
  expect(start, `README has a "## ${section}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const body = readme.slice(start, end === -1 ? undefined : end);
  return new Set([...body.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));
}

describe('configuration', () => {
  const read_ = settingsRead();
  const documented = tableNames('Configuration');

  it('finds the settings it should (the extraction works)', () => {
    for (const name of ['PORT', 'DATABASE_URL', 'MIGRATION_DATABASE_URL', 'DATA_DIR', 'LOG_LEVEL', 'OIDC_ISSUER', 'OIDC_PUBLIC_KEY', 'QUERY_MAX_COST', 'NODE_ENV']) {
      expect(read_).toContain(name);
    }
  });

  it('every setting src/config.ts reads is in the README Configuration table, and nothing else is', () => {
    expect([...read_].filter((n) => !documented.has(n)).sort()).toEqual([]);
    expect([...documented].filter((n) => !read_.has(n)).sort()).toEqual([]);
  });

  it('only src/config.ts reads process.env', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(rel);
        else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && rel !== path.join('src', 'config.ts')) {
          if (/process\.env\b/.test(read(rel))) offenders.push(rel);
        }
      }
    };
    walk('src');
    walk('seeds');
    expect(offenders).toEqual([]);
  });

  it('docker-compose.yml passes the hub only documented settings, and documents its own variables', () => {
    const text = read('docker-compose.yml');
    const compose = parse(text, { merge: true });
    const hubServices = Object.entries<any>(compose.services).filter(([, s]) => String(s.image ?? '').startsWith('kobi-data-hub:'));
    expect(hubServices.map(([name]) => name).sort()).toEqual(['hub', 'migrate', 'seed']);
    for (const [name, service] of hubServices) {
      const keys = Object.keys(service.environment ?? {});
      expect(keys.length, `${name} sets its environment`).toBeGreaterThan(0);
      expect(keys.filter((k) => !read_.has(k)), `${name} sets settings the hub does not read`).toEqual([]);
    }
    // ${VAR} interpolated from the operator's .env: a hub setting, or a compose variable that the
    // README's Deployment section explains (passwords, where to publish, the image tag).
    const composeVariables = tableNames('Deployment');
    const interpolated = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    expect([...interpolated].filter((v) => !read_.has(v) && !composeVariables.has(v)).sort()).toEqual([]);
    // ... and the example .env offers nothing that is neither.
    const example = read('deploy/compose.env.example');
    const offered = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.filter((v) => !interpolated.has(v))).toEqual([]);
  });

  it('the hub in docker-compose.yml runs as the image user, read-only, with a drain-safe stop', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true });
    const hub = compose.services.hub;
    expect(hub.read_only).toBe(true);
    expect(hub.user).toBeUndefined(); // the Dockerfile's USER node applies
    expect(read('Dockerfile')).toMatch(/^USER node$/m);
    expect(hub.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(hub.healthcheck.test.join(' ')).toContain('/readyz');
    expect(compose.services.postgres.healthcheck.test).toContain('pg_isready');
    // Docker's grace period covers the hub's drain time with room to close the database.
    expect(hub.stop_grace_period).toMatch(/^\d+s$/);
    const drain = Number(/SHUTDOWN_DRAIN_SECONDS:-(\d+)/.exec(read('docker-compose.yml'))![1]);
    expect(drain).toBe(loadConfig({}).shutdownDrainSeconds);
    expect(parseInt(hub.stop_grace_period, 10)).toBeGreaterThanOrEqual(drain + 10);
  });
});
