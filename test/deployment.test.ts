import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, startHubProcess } from './support/hub-process';
import { privateClusterUnavailable, startPrivateCluster, type PrivateCluster } from './support/private-postgres';
import { tempDirs } from './support/temp-dirs';

// The Postgres side of docker-compose.yml, without Docker: on a cluster of its own, what
// deploy/postgres-init.sh creates is enough for the migrate step, the seed and the hub, none of
// them a superuser, and the backup commands of README "Backups" work for that owner.
// (Runs in the server pass: the embedded pass has no business with Postgres servers.)

const tmp = tempDirs('kobi-deploy-');
const password = randomBytes(12).toString('hex');
const dist = (file: string) => path.resolve(__dirname, '../dist/src', file);
let cluster: PrivateCluster;
let ownerUrl: (db: string) => string;

beforeAll(async () => {
  if (!process.env.DATABASE_URL || privateClusterUnavailable()) return;
  cluster = await startPrivateCluster({ bare: true });
  ownerUrl = (db) => `postgres://kobi:${password}@127.0.0.1:${cluster.port}/${db}`;
  execFileSync('sh', [path.resolve(__dirname, '../deploy/postgres-init.sh')], {
    env: { PATH: process.env.PATH ?? '', POSTGRES_USER: 'postgres', KOBI_DB_PASSWORD: password, PGHOST: '127.0.0.1', PGPORT: String(cluster.port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
});
afterAll(() => cluster?.destroy());

/** Runs one statement, optionally in a transaction as another role (as requests do). */
async function query(url: string, sql: string, role?: string): Promise<any[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (!role) return (await client.query(sql)).rows;
    await client.query('BEGIN');
    await client.query(`SET LOCAL ROLE ${role}`);
    const rows = (await client.query(sql)).rows;
    await client.query('ROLLBACK');
    return rows;
  } finally {
    await client.end();
  }
}

function cli(file: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [dist(file)], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
}

describe.runIf(process.env.DATABASE_URL && !privateClusterUnavailable())('docker-compose.yml roles on a private cluster', () => {
  it('deploy/postgres-init.sh creates an owner login that is no superuser, and the request role', async () => {
    const [kobi] = await query(cluster.url, `SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, pg_has_role('kobi', 'kobi_app', 'MEMBER') AS app FROM pg_roles WHERE rolname = 'kobi'`);
    expect(kobi).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true, app: true });
    const [db] = await query(cluster.url, `SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'kobi'`);
    expect(db.owner).toBe('kobi');
  });

  it('migrate, seed and the hub run as that owner; requests are bound by row-level security', async () => {
    const migrate = cli('migrate-cli.js', { DATABASE_URL: ownerUrl('kobi') });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stderr).toMatch(/migrations applied/);
    const seed = cli('seed-cli.js', { DATABASE_URL: ownerUrl('kobi') });
    expect(seed.status, seed.stderr).toBe(0);
    const again = cli('migrate-cli.js', { DATABASE_URL: ownerUrl('kobi') });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/migrations applied/);

    // The owner sees every draft; the request role, without an organization, none.
    const [owner] = await query(ownerUrl('kobi'), `SELECT count(*)::int AS n FROM observation WHERE release_state = 'DRAFT'`);
    expect(owner.n).toBeGreaterThan(0);
    const [asRequest] = await query(ownerUrl('kobi'), `SELECT count(*)::int AS n FROM observation WHERE release_state = 'DRAFT'`, 'kobi_app');
    expect(asRequest.n).toBe(0);

    const hub = await startHubProcess({ DATABASE_URL: ownerUrl('kobi'), DEMO_MODE: '1', DATA_DIR: tmp() });
    try {
      const value = await postGraphQL(hub.baseUrl, '{ series(indicatorCodes: ["C1"], regionCodes: ["15084"], from: "2020", to: "2020") { values } }');
      expect(value.body).toEqual({ data: { series: [{ values: [57.4] }] } });
      // An API key is looked up by the owner before the request knows its organization.
      const tokens = await (await fetch(`${hub.baseUrl}/demo/tokens`)).json();
      const created = await postGraphQL(hub.baseUrl, 'mutation { createApiKey(input: { name: "deploy test", scope: READ }) { key } }', tokens['land-admin']);
      expect(created.body.errors).toBeUndefined();
      const withKey = await postGraphQL(hub.baseUrl, '{ agreements { id } }', created.body.data.createApiKey.key);
      expect(withKey.body.errors).toBeUndefined();
      expect(withKey.body.data.agreements.length).toBeGreaterThan(0);
    } finally {
      expect(await hub.stop()).toBe(0);
    }
  });

  it('backs up as the owner only with --enable-row-security, and restores under the same owner', async () => {
    const file = path.join(tmp(), 'kobi.dump');
    // Row-level security is forced on the owner too: a plain pg_dump as the owner is refused.
    const plain = spawnSync('pg_dump', ['-Fc', '-d', ownerUrl('kobi'), '-f', file], { encoding: 'utf8' });
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toMatch(/row-level security/);
    execFileSync('pg_dump', ['-Fc', '--enable-row-security', '-d', ownerUrl('kobi'), '-f', file]);

    await query(cluster.url, 'CREATE DATABASE kobi_restored OWNER kobi');
    const superuser = cluster.url.replace(/\/postgres$/, '/kobi_restored');
    execFileSync('pg_restore', ['--no-owner', '--role=kobi', '--exit-on-error', '-d', superuser, file]);
    const count = `SELECT (SELECT count(*) FROM observation)::int AS o, (SELECT count(*) FROM api_key)::int AS k, (SELECT count(*) FROM data_release)::int AS r`;
    expect(await query(ownerUrl('kobi_restored'), count)).toEqual(await query(ownerUrl('kobi'), count));
    const [owners] = await query(superuser, `SELECT array_agg(DISTINCT tableowner::text) AS owners FROM pg_tables WHERE schemaname = 'public'`);
    expect(owners.owners).toEqual(['kobi']);
  });
});
