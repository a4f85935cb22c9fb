import { AgreementRead } from '../modules/agreements/agreement-read.entity';
import { DataSharingAgreement } from '../modules/agreements/agreement.entity';
import { ApiKey } from '../modules/api-keys/api-key.entity';
import { EducationArea } from '../modules/indicators/education-area.entity';
import { Indicator } from '../modules/indicators/indicator.entity';
import { Organization } from '../modules/organizations/organization.entity';
import { Region } from '../modules/regions/region.entity';
import { DataRelease } from '../modules/releases/release.entity';
import { Observation } from '../modules/series/observation.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { Access1764100000000 } from './migrations/1764100000000-access';
import { Imports1764200000000 } from './migrations/1764200000000-imports';
import { AuditLookup1764200000001 } from './migrations/1764200000001-audit-lookup';
import { Revisions1764300000000 } from './migrations/1764300000000-revisions';
import { AsOfIndex1764300000001 } from './migrations/1764300000001-as-of-index';
import { AuditOwnerOnly1764400000000 } from './migrations/1764400000000-audit-owner-only';

/** Every entity the data source knows; one list so that server, seeds and tests agree. */
export const ENTITIES = [Region, Organization, EducationArea, Indicator, Observation, ApiKey, DataSharingAgreement, AgreementRead, DataRelease];

/** Migrations in the order they run. */
export const MIGRATIONS = [InitialSchema1764000000000, Access1764100000000, Imports1764200000000, AuditLookup1764200000001, Revisions1764300000000, AsOfIndex1764300000001, AuditOwnerOnly1764400000000];
