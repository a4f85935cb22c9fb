import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_ROLE } from './1764100000000-access';

const ORG = `NULLIF(current_setting('kobi.org_id', true), '')::int`;

/**
 * The audit trail is the owner organization's alone, in the database as in the API. Until now
 * row-level security let members of a Land body read every organization's entries (the service
 * narrowed that to Land admins). But an entry carries the values before and after, the version
 * and release state, and who made the change: for a Kommune's cell that is its drafts, its
 * releases and its uploaders, which DESIGN §4 and README "Logins and who sees what" keep from
 * Land bodies. The schema-driven fuzzer found a Land admin reading Kommunen's draft values there.
 */
export class AuditOwnerOnly1764400000000 implements MigrationInterface {
  name = 'AuditOwnerOnly1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY observation_audit_read ON observation_audit`);
    await q.query(`CREATE POLICY observation_audit_read ON observation_audit FOR SELECT TO ${APP_ROLE} USING (owner_org_id = ${ORG})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY observation_audit_read ON observation_audit`);
    await q.query(
      `CREATE POLICY observation_audit_read ON observation_audit FOR SELECT TO ${APP_ROLE}
       USING (owner_org_id = ${ORG} OR EXISTS (SELECT 1 FROM organization g WHERE g.id = ${ORG} AND g.kind = 'LAND'))`,
    );
  }
}
