import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Uploads measured (`npm run bench:import`): the audit trigger of a large upload looked up the
 * replaced versions with a join the planner could not size (a transition table has no
 * statistics), and maintained an index by upload that `auditTrail` does not need (it filters the
 * owner's entries). Now the replaced version is looked up by primary key only for rows that
 * replace one, and the index is gone.
 */
export class AuditLookup1764200000001 implements MigrationInterface {
  name = 'AuditLookup1764200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX observation_audit_import;
      CREATE OR REPLACE FUNCTION observation_audit_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
      BEGIN
        INSERT INTO observation_audit (changed_at, changed_by, import_id, action, observation_id, owner_org_id, indicator_id, region_id,
          period, breakdown_dimension, breakdown_code, old_value, old_status, old_symbol, old_version, old_release_state,
          new_value, new_status, new_symbol, new_version, new_release_state)
        SELECT n.recorded_at, observation_audit_who(n.uploaded_by), nullif(current_setting('kobi.import_id', true), '')::bigint,
          CASE WHEN n.version > 1 THEN 'REVISE' ELSE 'INSERT' END, n.id, n.owner_org_id, n.indicator_id, n.region_id,
          n.period, n.breakdown_dimension, n.breakdown_code, p.value, p.status, p.symbol, p.version, p.release_state,
          n.value, n.status, n.symbol, n.version, n.release_state
        FROM inserted_rows n
          LEFT JOIN LATERAL (SELECT o.value, o.status, o.symbol, o.version, o.release_state FROM observation o
                             WHERE n.previous_id IS NOT NULL AND o.id = n.previous_id) p ON true;
        RETURN NULL;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX observation_audit_import ON observation_audit (import_id) WHERE import_id IS NOT NULL`);
  }
}
