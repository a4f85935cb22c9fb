import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { fieldRuleChecker } from '../access/field-rules';
import { AgreementReadResolver, AgreementResolver, AgreementScopeResolver } from '../modules/agreements/agreement.resolver';
import { AggregateResolver, SeriesComparisonResolver } from '../modules/analytics/analytics.resolver';
import { ApiKeyResolver } from '../modules/api-keys/api-key.resolver';
import { ImportResolver } from '../modules/imports/import.resolver';
import { AuditResolver } from '../modules/audit/audit.resolver';
import { BreakdownCodeResolver } from '../modules/indicators/breakdown-code';
import { EducationAreaResolver, IndicatorResolver } from '../modules/indicators/indicator.resolver';
import { OrganizationResolver } from '../modules/organizations/organization.resolver';
import { RegionResolver } from '../modules/regions/region.resolver';
import { ReleaseResolver } from '../modules/releases/release.resolver';
import { ObservationResolver, SeriesResolver } from '../modules/series/series.resolver';

export const RESOLVERS = [RegionResolver, OrganizationResolver, IndicatorResolver, EducationAreaResolver, SeriesResolver, ObservationResolver, ApiKeyResolver, AgreementResolver, AgreementScopeResolver, AgreementReadResolver, ReleaseResolver, AggregateResolver, SeriesComparisonResolver, BreakdownCodeResolver, ImportResolver, AuditResolver] as const;

let schema: GraphQLSchema | undefined;

/** The executable schema, built once per process (it holds no per-request state). */
export function hubSchema(): GraphQLSchema {
  if (!schema) {
    schema = buildSchemaSync({ resolvers: RESOLVERS, validate: false, authChecker: fieldRuleChecker });
    // type-graphql has no option for the root type's description; analysts see it first in GraphiQL.
    schema.getQueryType()!.description =
      'Entry points of the KoBi Data Hub: regions (Gebietseinheiten), the indicator catalogue by education area, and time series of indicators for regions.';
    schema.getMutationType()!.description =
      'Changes: uploads of cells, API keys, releases (Freigabe), data-sharing agreements (Datenbereitstellung), organizations and the indicator catalogue. Each runs in one transaction: a mutation that fails writes nothing.';
  }
  return schema;
}

/** The SDL as committed in `schema.graphql`: sorted, so that the file diffs cleanly. */
export function hubSchemaSdl(): string {
  return printSchema(lexicographicSortSchema(hubSchema())) + '\n';
}
