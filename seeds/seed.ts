import type { DataSource, EntityManager } from 'typeorm';
import { DEFAULT_DISCLOSURE_THRESHOLD } from '../src/access/disclosure';
import { recomputeSuppression } from '../src/access/suppression.service';
import { groupBy } from '../src/graphql/batch';
import { generateDemoData, type ObservationRow } from './demo-data';

/** The hub_meta key that marks a database as seeded with the demo data. */
export const DEMO_SEED_KEY = 'demo_seed';

/** Observations per INSERT statement (one parameter per field, each an array of this length). */
const BATCH_SIZE = 5000;

/** Observation fields and the array types `unnest` reads them as, in insert order. */
const OBSERVATION_ARRAYS: [field: keyof ObservationRow, arrayType: string][] = [
  ['id', 'bigint[]'],
  ['indicatorId', 'int[]'],
  ['regionId', 'int[]'],
  ['period', 'text[]'],
  ['periodStart', 'date[]'],
  ['breakdownDimension', 'text[]'],
  ['breakdownCode', 'text[]'],
  ['value', 'float8[]'],
  ['numerator', 'float8[]'],
  ['denominator', 'float8[]'],
  ['status', 'text[]'],
  ['symbol', 'text[]'],
  ['ownerOrgId', 'int[]'],
  ['releaseState', 'text[]'],
  ['releasedAt', 'timestamptz[]'],
  ['releasedBy', 'text[]'],
  ['version', 'int[]'],
  ['definitionVersion', 'int[]'],
  ['recordedAt', 'timestamptz[]'],
  ['sourceNote', 'text[]'],
  ['sourceCleared', 'bool[]'],
  ['internalNote', 'text[]'],
  ['uploadedBy', 'text[]'],
];

/** Tables with identity ids whose sequences must continue after the seeded ids. */
const IDENTITY_TABLES = ['region', 'organization', 'indicator', 'observation', 'data_release', 'data_sharing_agreement'];

/**
 * Loads the demo data (seeds/demo-data.ts) with its fixed ids, in one transaction: either all of
 * it is there afterwards, or none. A database that already carries the `demo_seed` mark in
 * hub_meta is left untouched (`seeded: false`); the mark is claimed first, so two seeders racing
 * on one database serialize on its key and the second one writes nothing. Rows with the demo ids
 * that exist without the mark make the insert fail and roll back: the seed never overwrites data.
 *
 * The Kommunen's released cells get their stored suppression pattern for `disclosureThreshold`
 * from the code a release runs (src/access/suppression.service.ts), as the table owner.
 *
 * Uses batched `INSERT … SELECT FROM unnest(…)`, never COPY (which breaks the embedded database's
 * socket, DESIGN §9). Runs on PostgreSQL 15 and on PGlite (18).
 *
 * @returns whether it wrote anything, and how many observations it wrote.
 */
export async function seedDemoData(
  ds: DataSource,
  log: (msg: string) => void = () => {},
  disclosureThreshold: number = DEFAULT_DISCLOSURE_THRESHOLD,
): Promise<{ seeded: boolean; observations: number }> {
  const result = await ds.transaction(async (em) => {
    const claimed = await em.query(`INSERT INTO hub_meta (key, value) VALUES ($1, '1') ON CONFLICT (key) DO NOTHING RETURNING key`, [DEMO_SEED_KEY]);
    if (claimed.length === 0) {
      log('demo data already present; nothing written');
      return { seeded: false, observations: 0 };
    }
    const started = Date.now();
    const data = generateDemoData();
    await insertValues(em, 'region', data.regions);
    await insertValues(em, 'organization', data.organizations);
    await insertValues(em, 'education_area', data.educationAreas);
    await insertValues(em, 'indicator', data.indicators);
    await insertValues(em, 'indicator_definition', data.indicatorDefinitions);
    const columns = OBSERVATION_ARRAYS.map(([field]) => column(field)).join(', ');
    const arrays = OBSERVATION_ARRAYS.map(([, type], i) => `$${i + 1}::${type}`).join(', ');
    for (let from = 0; from < data.observations.length; from += BATCH_SIZE) {
      const batch = data.observations.slice(from, from + BATCH_SIZE);
      await em.query(
        `INSERT INTO observation (${columns}) SELECT * FROM unnest(${arrays})`,
        OBSERVATION_ARRAYS.map(([field]) => batch.map((o) => o[field])),
      );
    }
    await insertValues(em, 'data_release', data.releases);
    await insertValues(em, 'data_sharing_agreement', data.agreements);
    const scope = { query: (sql: string, params?: unknown[]) => em.query(sql, params), config: { disclosureThreshold } };
    let suppressed = 0;
    const undisclosed = data.observations.filter((o) => !o.sourceCleared);
    for (const [ownerOrgId, cells] of groupBy(undisclosed, (o) => o.ownerOrgId)) {
      suppressed += (await recomputeSuppression(scope, ownerOrgId, [...new Set(cells.map((o) => o.indicatorId))])).suppressed;
    }
    for (const table of IDENTITY_TABLES) {
      await em.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
    }
    log(
      `demo data loaded: ${data.regions.length} regions, ${data.indicators.length} indicators, ${data.observations.length} observations ` +
        `(${undisclosed.length} of Kommunen, ${suppressed} of them suppressed), ${data.releases.length} releases, ${data.agreements.length} agreements in ${Date.now() - started} ms`,
    );
    return { seeded: true, observations: data.observations.length };
  });
  // Fresh statistics and visibility map: the planner then picks the index-only scan of the hot
  // path at once (PGlite has no autovacuum to do it later). VACUUM cannot run in a transaction.
  if (result.seeded) await ds.query('VACUUM (ANALYZE) region, indicator, observation');
  return result;
}

/** The column of a row field: the demo rows name the columns in camelCase (`parentId` → `parent_id`). */
function column(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** One multi-row INSERT for a small table; node-postgres sends JS arrays as Postgres arrays. */
async function insertValues(em: EntityManager, table: string, rows: object[]): Promise<void> {
  const fields = Object.keys(rows[0]);
  const params = rows.flatMap((row) => fields.map((f) => (row as Record<string, unknown>)[f]));
  const tuples = rows.map((_, r) => `(${fields.map((_, c) => `$${r * fields.length + c + 1}`).join(', ')})`);
  await em.query(`INSERT INTO ${table} (${fields.map(column).join(', ')}) VALUES ${tuples.join(', ')}`, params);
}
