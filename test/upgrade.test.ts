import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { MIGRATIONS } from '../src/db/entities';
import { postGraphQL, startHubProcess } from './support/hub-process';
import { tempDirs } from './support/temp-dirs';

// A site that ran release 0.1.0 upgrades by starting the current hub on its data: DATA_DIR or
// server database are migrated in place, nothing is lost, and the hub serves them (README
// "Upgrades"). The fixtures were made by 0.1.0's own code: test/fixtures/release-0.1.0/README.md.

const FIXTURES = path.resolve(__dirname, 'fixtures/release-0.1.0');
const RELEASE_010 = {
  migrations: ['InitialSchema1764000000000', 'Access1764100000000'],
  observations: 11234,
  releases: 13,
  agreements: 5,
};
const serverUrl = process.env.DATABASE_URL;
const tmp = tempDirs('kobi-upgrade-');

interface Facts {
  migrations: string[];
  observations: number;
  releases: number;
  agreements: number;
  probe: string | null;
}

/** What the database holds, read as its owner (the superuser here: row-level security does not hide rows). */
async function facts(url: string): Promise<Facts> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (sql: string) => (await client.query(sql)).rows[0]?.v ?? null;
    return {
      migrations: (await client.query('SELECT name FROM hub_migrations ORDER BY id')).rows.map((r) => r.name),
      observations: Number(await one('SELECT count(*) AS v FROM observation')),
      releases: Number(await one('SELECT count(*) AS v FROM data_release')),
      agreements: Number(await one('SELECT count(*) AS v FROM data_sharing_agreement')),
      probe: await one(`SELECT name AS v FROM indicator WHERE code = 'U1'`),
    };
  } finally {
    await client.end();
  }
}

/** The checks every upgraded site must pass, through the running hub's HTTP API. */
async function servesOldData(baseUrl: string, apiKey: string) {
  const value = await postGraphQL(baseUrl, '{ series(indicatorCodes: ["C1"], regionCodes: ["15084"], from: "2020", to: "2020") { periods values } }');
  expect(value.body).toEqual({ data: { series: [{ periods: ['2020'], values: [57.4] }] } });
  // Written through 0.1.0's API, not by the seed.
  const probe = await postGraphQL(baseUrl, '{ indicator(code: "U1") { name visibility } }');
  expect(probe.body).toEqual({ data: { indicator: { name: 'Upgrade-Probe', visibility: 'PUBLIC' } } });
  // An API key 0.1.0 issued still logs in (its stored hash is still understood), and a wrong one does not.
  const withKey = await postGraphQL(baseUrl, '{ agreements { id } }', apiKey);
  expect(withKey.body.errors).toBeUndefined();
  expect(withKey.body.data.agreements.length).toBeGreaterThan(0);
  expect((await postGraphQL(baseUrl, '{ agreements { id } }')).body).toEqual({ data: { agreements: [] } });
  const wrongKey = await postGraphQL(baseUrl, '{ agreements { id } }', apiKey.slice(0, -4) + 'AAAA');
  expect(wrongKey.status).toBe(401);
  expect(wrongKey.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
}

function expectMigratedInPlace(after: Facts, migrationLog: string) {
  // Every migration of this release, in order, the old ones kept; the new ones applied by this start.
  expect(after.migrations).toEqual(MIGRATIONS.map((m) => m.name));
  expect(after.migrations.slice(0, RELEASE_010.migrations.length)).toEqual(RELEASE_010.migrations);
  const applied = migrationLog
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'migrations applied')
    .flatMap((entry) => entry.migrations);
  expect(applied).toEqual(after.migrations.slice(RELEASE_010.migrations.length));
  // Nothing lost, nothing duplicated.
  expect(after).toMatchObject({ observations: RELEASE_010.observations, releases: RELEASE_010.releases, agreements: RELEASE_010.agreements, probe: 'Upgrade-Probe' });
}

describe.skipIf(serverUrl)('a DATA_DIR made by release 0.1.0 (embedded)', () => {
  it('is migrated in place when the current hub starts on it, and serves the old data', async () => {
    const dataDir = tmp();
    execFileSync('tar', ['-xJf', path.join(FIXTURES, 'data-dir.tar.xz'), '-C', dataDir]);
    const hub = await startHubProcess({ DATA_DIR: dataDir });
    try {
      await servesOldData(hub.baseUrl, 'kobi_667942b0ae5c_LLYpEce2bf9eM-_c0d4JKt4JFzvUPz-d');
      // The old DATA_DIR is not seeded again: the demo data carries fixed identifiers.
      expect(hub.stderr()).not.toMatch(/demo data loaded/);
    } finally {
      expect(await hub.stop()).toBe(0);
    }
    const db = await startEmbeddedPostgres({ dataDir });
    try {
      expectMigratedInPlace(await facts(db.url), hub.stderr());
    } finally {
      await db.stop();
    }
  }, 120_000);
});

describe.runIf(serverUrl)('a server database made by release 0.1.0', () => {
  it('restored from its pg_dump, is migrated in place by the migrate step and served by the current hub', async () => {
    const name = `kobi_upgrade_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl!);
    url.pathname = `/${name}`;
    try {
      execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', url.toString(), path.join(FIXTURES, 'database.dump')]);
      expect(await facts(url.toString())).toEqual({ ...RELEASE_010, probe: 'Upgrade-Probe' });
      // As docker-compose.yml does it: the one-shot migrate step, then the hub (which finds
      // nothing left to apply).
      const migrate = spawnSync(process.execPath, [path.resolve(__dirname, '../dist/src/migrate-cli.js')], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: url.toString() },
        encoding: 'utf8',
      });
      expect(migrate.status, migrate.stderr).toBe(0);
      expect(migrate.stderr).toMatch(/schema up to date/);
      const hub = await startHubProcess({ DATABASE_URL: url.toString(), DEMO_MODE: '1', DATA_DIR: tmp() });
      try {
        await servesOldData(hub.baseUrl, 'kobi_a899cc9e2dd6_QSEShfKXTFt4gl7YQdzrpDRVfwmswmXt');
      } finally {
        expect(await hub.stop()).toBe(0);
      }
      expect(hub.stderr()).not.toMatch(/migrations applied/);
      expectMigratedInPlace(await facts(url.toString()), migrate.stderr);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 120_000);
});
