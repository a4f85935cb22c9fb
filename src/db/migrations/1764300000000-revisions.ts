import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from './1764100000000-access';

/**
 * Revisions, read side (issue 5 item 4): the history of indicator definitions, and the indexes
 * that read cells as they were known at an earlier instant.
 *
 * - `indicator_definition`: one row per version of an indicator's definition (text and
 *   population basis, e.g. "Zensus 2022"), with the first period it applies to. Filled here with
 *   each existing indicator's current version (earlier texts were overwritten before this table
 *   existed and are not known); written from then on by `updateIndicator`. Append-only: the
 *   request role may read and add rows, never change or delete one.
 * - `observation_series_current` gains `version` and `definition_version` in its INCLUDE list, so
 *   that the hot path stays one index-only scan while every cell carries its version (exports,
 *   conditional uploads) and its definition version (series breaks, status `B`).
 * - `observation_series_history`: the superseded rows by series key, for `asOf` reads. Partial,
 *   so it holds only the (few) old versions; the current rows of an as-of read come from
 *   `observation_series_current`.
 */
export class Revisions1764300000000 implements MigrationInterface {
  name = 'Revisions1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE indicator_definition (
        indicator_id     integer NOT NULL REFERENCES indicator (id),
        version          integer NOT NULL CHECK (version >= 1),
        definition       text NOT NULL CHECK (length(trim(definition)) > 0),
        population_basis text CHECK (population_basis IS NULL OR length(trim(population_basis)) > 0),
        valid_from       date,
        changed_at       timestamptz NOT NULL DEFAULT now(),
        changed_by       text NOT NULL,
        PRIMARY KEY (indicator_id, version)
      );
      COMMENT ON TABLE indicator_definition IS 'versions of an indicator''s definition; observation.definition_version refers to (indicator_id, version)';
      COMMENT ON COLUMN indicator_definition.valid_from IS 'first day of the first period the version applies to; NULL: every period before the next version';
      INSERT INTO indicator_definition (indicator_id, version, definition, changed_by)
        SELECT id, version, definition, 'migration' FROM indicator;
      GRANT SELECT, INSERT ON indicator_definition TO ${APP_ROLE};

      DROP INDEX observation_series_current;
      CREATE UNIQUE INDEX observation_series_current
        ON observation (indicator_id, region_id, breakdown_dimension, breakdown_code, period_start)
        INCLUDE (id, period, value, numerator, denominator, status, symbol, release_state, released_at, owner_org_id, suppressed, version, definition_version)
        WHERE superseded_at IS NULL;
      CREATE INDEX observation_series_history
        ON observation (indicator_id, region_id, breakdown_dimension, breakdown_code, period_start, superseded_at)
        WHERE superseded_at IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX observation_series_history;
      DROP INDEX observation_series_current;
      CREATE UNIQUE INDEX observation_series_current
        ON observation (indicator_id, region_id, breakdown_dimension, breakdown_code, period_start)
        INCLUDE (id, period, value, numerator, denominator, status, symbol, release_state, released_at, owner_org_id, suppressed)
        WHERE superseded_at IS NULL;
      DROP TABLE indicator_definition;
    `);
  }
}
