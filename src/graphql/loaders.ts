import DataLoader from 'dataloader';
import { loadGrants, type Grant } from '../access/observation-access';
import { AggregationService, type AncestorLevelKey } from '../modules/analytics/aggregation.service';
import type { DataSharingAgreement } from '../modules/agreements/agreement.entity';
import { AgreementService } from '../modules/agreements/agreement.service';
import { IndicatorService } from '../modules/indicators/indicator.service';
import type { EducationArea } from '../modules/indicators/education-area.entity';
import type { Indicator } from '../modules/indicators/indicator.entity';
import type { IndicatorDefinition } from '../modules/indicators/indicator.types';
import type { Organization } from '../modules/organizations/organization.entity';
import { OrganizationService } from '../modules/organizations/organization.service';
import type { Region } from '../modules/regions/region.entity';
import { RegionService } from '../modules/regions/region.service';
import { SeriesService, seriesKeyId, type ObservationDetails, type SeriesKey } from '../modules/series/series.service';
import type { TimeSeries } from '../modules/series/series.types';
import { StatementBatch } from './batch';
import type { RequestContext } from './context';

/**
 * The per-request loader registry (house style §4): created by the context builder only, so a
 * cache never outlives the request or crosses viewers. Every batch function is one SQL statement
 * (the series loader: one per distinct window) and returns results in key order.
 */
export function createLoaders(ctx: RequestContext) {
  return {
    /**
     * Not a DataLoader: the one statement into which the reference lookups below (indicators and
     * regions by code or id, region lists) of one turn are combined, so that e.g. a `series`
     * query resolves its indicator codes and its regions in one round trip.
     */
    lookups: new StatementBatch((sql, params) => ctx.query(sql, params)),
    regionsById: new DataLoader<number, Region | null>((ids) => RegionService.byIds(ctx, ids)),
    regionsByCode: new DataLoader<string, Region | null>((codes) => RegionService.byCodes(ctx, codes)),
    regionsByParentId: new DataLoader<number, Region[]>((ids) => RegionService.childrenOf(ctx, ids)),
    /** Key: an ancestor and a level; the regions of that level below it, by code (aggregates and comparisons). */
    regionsByAncestorLevel: new DataLoader<AncestorLevelKey, Region[], string>((keys) => AggregationService.descendantsAtLevel(ctx, keys), {
      cacheKeyFn: (k) => `${k.ancestorId}|${k.level}`,
    }),
    indicatorsById: new DataLoader<number, Indicator | null>((ids) => IndicatorService.byIds(ctx, ids)),
    indicatorsByCode: new DataLoader<string, Indicator | null>((codes) => IndicatorService.byCodes(ctx, codes)),
    indicatorsByAreaCode: new DataLoader<string, Indicator[]>((codes) => IndicatorService.byAreaCodes(ctx, codes)),
    areasByCode: new DataLoader<string, EducationArea | null>((codes) => IndicatorService.areasByCodes(ctx, codes)),
    /** Key: indicator id; its definition versions, oldest first. */
    definitionsByIndicatorId: new DataLoader<number, IndicatorDefinition[]>((ids) => IndicatorService.definitionsByIndicatorIds(ctx, ids)),
    /** One key per request (the viewer's organization): its active agreements as recipient. */
    grantsForViewer: new DataLoader<number, Grant[]>(async (orgs) => {
      const grants = await loadGrants(ctx);
      return orgs.map(() => grants);
    }),
    organizationsById: new DataLoader<number, Organization | null>((ids) => OrganizationService.byIds(ctx, ids)),
    /** Agreements of which the viewer's organization is a party; null for any other id. */
    agreementsById: new DataLoader<number, DataSharingAgreement | null>((ids) => AgreementService.byIds(ctx, ids)),
    /** Key: observation id (carried on each point); the owner's restricted details of the cell. */
    observationDetailsById: new DataLoader<number, ObservationDetails | null>((ids) => SeriesService.detailsByIds(ctx, ids)),
    /** Key: indicators × regions in one window; compared by their ids and window (seriesKeyId), not identity. */
    seriesBySelection: new DataLoader<SeriesKey, TimeSeries[], string>((keys) => SeriesService.fetchBatch(ctx, keys), {
      cacheKeyFn: seriesKeyId,
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
