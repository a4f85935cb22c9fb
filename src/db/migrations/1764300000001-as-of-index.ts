import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `recorded_at` joins the INCLUDE list of `observation_series_current`, so that an `asOf` read
 * takes the current rows recorded by then with an index-only scan, as the current read does
 * (src/modules/series/revisions.ts, `cellsKnownAt`). Measured on 1.65 million cells (bench
 * scale data, 11,000 regions × 10 indicators × 15 years), all Gemeinden × 1 indicator × 9 years:
 * without it the planner read the as-of cells with a parallel sequential scan of the table; with
 * it, one index-only scan plus the (small) history index. The index grows from 177 to 193 MB
 * there (164 MB before Revisions1764300000000).
 */
export class AsOfIndex1764300000001 implements MigrationInterface {
  name = 'AsOfIndex1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX observation_series_current;
      CREATE UNIQUE INDEX observation_series_current
        ON observation (indicator_id, region_id, breakdown_dimension, breakdown_code, period_start)
        INCLUDE (id, period, value, numerator, denominator, status, symbol, release_state, released_at, owner_org_id, suppressed, version, definition_version, recorded_at)
        WHERE superseded_at IS NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX observation_series_current;
      CREATE UNIQUE INDEX observation_series_current
        ON observation (indicator_id, region_id, breakdown_dimension, breakdown_code, period_start)
        INCLUDE (id, period, value, numerator, denominator, status, symbol, release_state, released_at, owner_org_id, suppressed, version, definition_version)
        WHERE superseded_at IS NULL;
    `);
  }
}
