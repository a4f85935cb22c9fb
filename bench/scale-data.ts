import 'reflect-metadata';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config';
import { redactUrl } from '../src/db/data-source';
import { openDatabase } from '../src/db/open';
import { silentLogger } from '../src/logger';
import { progressBar } from '../src/cli/progress';
import { runBench, UsageError } from './support';

/**
 * `npm run bench:data -- [--regions N] [--indicators N] [--years N]`: synthetic scale data for the
 * workload benchmark (bench/workloads.bench.ts), loaded with COPY into the database named by
 * DATABASE_URL, which must be an empty (scratch) database on a real PostgreSQL server: COPY does
 * not pass through the embedded database's socket (DESIGN §9), and the connecting user must
 * bypass row-level security (a superuser or the tables' owner with BYPASSRLS), since PostgreSQL
 * refuses COPY FROM into a table under row-level security otherwise.
 *
 * What it writes: a Land-like tree of regions (1 Bund, up to 16 Länder, Kreise, then Gemeinden up
 * to the requested count, about 27 Gemeinden per Kreis as in Germany), one owning organization,
 * `--indicators` PUBLIC indicators (SUM, yearly), and one released, source-cleared total cell per
 * indicator × region × year, so that the public reads every cell. The series index is dropped
 * during the load and rebuilt from its own definition afterwards (one sort instead of 16 million
 * index insertions), then VACUUM ANALYZE makes the index-only scans of the hot path possible.
 * The sizes are recorded in hub_meta under `bench_scale` for the workload benchmark to read.
 */

/** The hub_meta key under which the generator records what it loaded. */
export const SCALE_KEY = 'bench_scale';
/** Years end here: the last year is FIRST_YEAR + years - 1. */
const FIRST_YEAR = 2010;
const MAX_LANDER = 16;
/** Gemeinden per Kreis, as in Germany (about 10,800 Gemeinden in 400 Kreise). */
const GEMEINDEN_PER_KREIS = 27;
/** Rows per chunk handed to COPY. */
const CHUNK_ROWS = 20_000;

/** What `bench_scale` records; the workload benchmark derives its queries from it. */
export interface ScaleInfo {
  regions: number;
  lander: number;
  kreise: number;
  gemeinden: number;
  indicators: number;
  years: number;
  firstYear: number;
  observations: number;
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

function parseFlags(): { regions: number; indicators: number; years: number } {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      options: { regions: { type: 'string', default: '2000' }, indicators: { type: 'string', default: '20' }, years: { type: 'string', default: '15' } },
    }).values as Record<string, string>;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; usage: npm run bench:data -- [--regions N] [--indicators N] [--years N]`);
  }
  const flags = { regions: positive('regions', values.regions!), indicators: positive('indicators', values.indicators!), years: positive('years', values.years!) };
  if (flags.regions < 3) throw new UsageError('--regions must be at least 3 (Bund, a Land, a Kreis)');
  if (flags.years > 60) throw new UsageError('--years must be at most 60');
  if (flags.indicators > 9999) throw new UsageError('--indicators must be at most 9999');
  return flags;
}

interface RegionRow {
  id: number;
  code: string;
  name: string;
  level: 'BUND' | 'LAND' | 'KREIS' | 'GEMEINDE';
  kind: string;
  parentId: number | null;
}

/**
 * The region tree: Länder `01`…, Kreise `LLKKK`, Gemeinden `LLKKKGGG` (official code lengths),
 * dealt round-robin so that every Land gets Kreise and every Kreis Gemeinden. Every ninth Kreis is
 * a kreisfreie Stadt, so that peer groups exist.
 */
export function regionTree(total: number): { rows: RegionRow[]; info: Pick<ScaleInfo, 'regions' | 'lander' | 'kreise' | 'gemeinden'> } {
  const lander = Math.min(MAX_LANDER, Math.max(1, Math.floor((total - 1) / (2 + GEMEINDEN_PER_KREIS))));
  const rest = total - 1 - lander;
  const kreise = Math.max(1, Math.round(rest / (1 + GEMEINDEN_PER_KREIS)));
  const gemeinden = rest - kreise;
  const rows: RegionRow[] = [{ id: 1, code: 'DG', name: 'Deutschland', level: 'BUND', kind: 'STAAT', parentId: null }];
  const landRows: RegionRow[] = [];
  for (let l = 0; l < lander; l++) {
    const row: RegionRow = { id: rows.length + 1, code: String(l + 1).padStart(2, '0'), name: `Land ${l + 1}`, level: 'LAND', kind: 'LAND', parentId: 1 };
    rows.push(row);
    landRows.push(row);
  }
  const kreisRows: RegionRow[] = [];
  for (let k = 0; k < kreise; k++) {
    const land = landRows[k % lander];
    const n = Math.floor(k / lander) + 1;
    const stadt = k % 9 === 0;
    const row: RegionRow = {
      id: rows.length + 1,
      code: `${land.code}${String(n).padStart(3, '0')}`,
      name: `${stadt ? 'Stadt' : 'Landkreis'} ${land.code}-${n}`,
      level: 'KREIS',
      kind: stadt ? 'KREISFREIE_STADT' : 'LANDKREIS',
      parentId: land.id,
    };
    rows.push(row);
    kreisRows.push(row);
  }
  for (let g = 0; g < gemeinden; g++) {
    const kreis = kreisRows[g % kreise];
    const n = Math.floor(g / kreise) + 1;
    rows.push({ id: rows.length + 1, code: `${kreis.code}${String(n).padStart(3, '0')}`, name: `Gemeinde ${kreis.code}-${n}`, level: 'GEMEINDE', kind: 'GEMEINDE', parentId: kreis.id });
  }
  return { rows, info: { regions: rows.length, lander, kreise, gemeinden } };
}

/** The indicator codes of the scale data: `S0001`, `S0002`, …. */
export const scaleIndicatorCode = (i: number) => `S${String(i + 1).padStart(4, '0')}`;

/**
 * The observation rows as COPY text, in chunks: indicator-major, then region, then year, so the
 * heap is laid out like the series index. Values are deterministic (no randomness: two loads of
 * the same size are the same data).
 */
function observationText(regionIds: number[], indicatorIds: number[], years: number): Readable {
  const total = regionIds.length * indicatorIds.length * years;
  let next = 0;
  return new Readable({
    read() {
      if (next >= total) {
        this.push(null);
        return;
      }
      const end = Math.min(total, next + CHUNK_ROWS);
      let text = '';
      for (let n = next; n < end; n++) {
        const y = n % years;
        const r = Math.floor(n / years) % regionIds.length;
        const i = Math.floor(n / (years * regionIds.length));
        const year = FIRST_YEAR + y;
        const value = ((r * 7919 + i * 104729 + y * 13) % 100000) / 10;
        // indicator_id, region_id, period, period_start, value, status, owner_org_id, release_state, released_at, source_cleared
        text += `${indicatorIds[i]}\t${regionIds[r]}\t${year}\t${year}-01-01\t${value}\tA\t1\tRELEASED\t2020-01-01 00:00:00+00\tt\n`;
      }
      next = end;
      this.push(text);
    },
  });
}

const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  const result = await fn();
  console.log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
};

async function main(): Promise<void> {
  const flags = parseFlags();
  const config = loadConfig();
  if (!config.databaseUrl) throw new UsageError('DATABASE_URL must name a scratch database on a PostgreSQL server (COPY does not work on the embedded database)');
  const started = Date.now();
  // Migrations first, by the hub's own start-up path; the hub's pool is not needed afterwards.
  const database = await step('migrations', () => openDatabase(config, silentLogger));
  await database.close();

  const client = new pg.Client({ connectionString: config.migrationDatabaseUrl ?? config.databaseUrl });
  await client.connect();
  try {
    const { rows: present } = await client.query('SELECT (SELECT count(*) FROM region)::int AS regions, (SELECT count(*) FROM observation)::int AS observations');
    if (present[0].regions || present[0].observations) {
      throw new UsageError(`${redactUrl(config.databaseUrl)} already holds ${present[0].regions} regions and ${present[0].observations} observations; use an empty scratch database`);
    }
    const tree = regionTree(flags.regions);
    const info: ScaleInfo = { ...tree.info, indicators: flags.indicators, years: flags.years, firstYear: FIRST_YEAR, observations: tree.rows.length * flags.indicators * flags.years };
    console.log(
      `database: ${redactUrl(config.databaseUrl)}; ${info.regions.toLocaleString('en')} regions (1 Bund, ${info.lander} Länder, ${info.kreise} Kreise, ${info.gemeinden} Gemeinden) x ` +
        `${info.indicators} indicators x ${info.years} years = ${info.observations.toLocaleString('en')} observations`,
    );

    await step('catalogue (regions, organization, indicators)', async () => {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO region (id, code, name, level, kind, parent_id, valid_from)
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::date[])`,
        [
          tree.rows.map((r) => r.id),
          tree.rows.map((r) => r.code),
          tree.rows.map((r) => r.name),
          tree.rows.map((r) => r.level),
          tree.rows.map((r) => r.kind),
          tree.rows.map((r) => r.parentId),
          tree.rows.map(() => '1990-10-03'),
        ],
      );
      await client.query(`INSERT INTO organization (id, code, name, kind, region_id) VALUES (1, 'bench-statistik', 'Statistisches Amt (Benchmark)', 'LAND', 2)`);
      await client.query(`INSERT INTO education_area (code, name, name_en, sort_order) VALUES ('S', 'Skalierung', 'Scale', 99) ON CONFLICT (code) DO NOTHING`);
      const codes = Array.from({ length: info.indicators }, (_, i) => scaleIndicatorCode(i));
      await client.query(
        `INSERT INTO indicator (id, code, name, name_en, definition, unit, decimals, area_code, period_type, aggregation, levels, source, owner_org_id, visibility)
         SELECT n, code, 'Kennzahl ' || code, 'Indicator ' || code, 'Synthetic indicator of the benchmark.', 'Anzahl', 1, 'S', 'YEAR', 'SUM',
           ARRAY['BUND','LAND','KREIS','GEMEINDE'], 'Benchmark', 1, 'PUBLIC'
         FROM unnest($1::text[]) WITH ORDINALITY AS c(code, n)`,
        [codes],
      );
      for (const table of ['region', 'organization', 'indicator']) {
        await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
      }
      await client.query(`INSERT INTO hub_meta (key, value) VALUES ($1, $2)`, [SCALE_KEY, JSON.stringify(info)]);
      await client.query('COMMIT');
    });

    // The series index and the foreign keys go for the load and come back from their own
    // definitions: one sort and one join check instead of 16 million index insertions and
    // 48 million per-row trigger look-ups.
    const { rows: index } = await client.query(`SELECT pg_get_indexdef('observation_series_current'::regclass) AS def`);
    const { rows: foreignKeys } = await client.query(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'observation'::regclass AND contype = 'f'`,
    );
    await client.query('DROP INDEX observation_series_current');
    for (const fk of foreignKeys) await client.query(`ALTER TABLE observation DROP CONSTRAINT ${fk.name}`);
    const copyStarted = Date.now();
    const bar = progressBar('COPY observation', info.observations);
    // Progress as the server reports it (rows written, not rows generated ahead of the socket).
    const monitor = new pg.Client({ connectionString: config.migrationDatabaseUrl ?? config.databaseUrl });
    await monitor.connect();
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const poll = setInterval(() => {
      monitor.query('SELECT tuples_processed::bigint AS n FROM pg_stat_progress_copy WHERE pid = $1', [pid]).then(
        ({ rows }) => rows[0] && bar.set(Number(rows[0].n)),
        () => undefined,
      );
    }, 250);
    try {
      await pipeline(
        observationText(
          tree.rows.map((r) => r.id),
          Array.from({ length: info.indicators }, (_, i) => i + 1),
          info.years,
        ),
        client.query(
          copyFrom(
            `COPY observation (indicator_id, region_id, period, period_start, value, status, owner_org_id, release_state, released_at, source_cleared) FROM STDIN`,
          ),
        ),
      );
    } finally {
      clearInterval(poll);
      await monitor.end();
    }
    bar.set(info.observations);
    bar.done();
    console.log(`COPY: ${((Date.now() - copyStarted) / 1000).toFixed(1)} s`);
    await client.query(`SET maintenance_work_mem = '1GB'`);
    await step('series index rebuilt', () => client.query(index[0].def));
    await step('foreign keys restored', async () => {
      for (const fk of foreignKeys) await client.query(`ALTER TABLE observation ADD CONSTRAINT ${fk.name} ${fk.def}`);
    });
    await step('VACUUM ANALYZE', () => client.query('VACUUM ANALYZE'));
    const { rows: size } = await client.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`);
    console.log(`total: ${((Date.now() - started) / 1000).toFixed(1)} s; database size ${size[0].size}`);
  } finally {
    await client.end();
  }
}

if (require.main === module) runBench(main, 'bench:data');
