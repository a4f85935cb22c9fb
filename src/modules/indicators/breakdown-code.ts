import { Arg, Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import type { Indicator } from './indicator.entity';
import { BREAKDOWN_CODES, BreakdownDimension, TOTAL_CODE } from './indicator.enums';

/**
 * German labels of the breakdown codes (official statistics' wording). A code of an open list
 * that is missing here is labelled with the code itself.
 */
const LABELS: Record<BreakdownDimension, Record<string, string>> = {
  SEX: { [TOTAL_CODE]: 'Insgesamt', F: 'weiblich', M: 'männlich', D: 'divers' },
  NATIONALITY: { [TOTAL_CODE]: 'Insgesamt', DE: 'deutsch', FOR: 'ausländisch' },
  AGE_GROUP: { [TOTAL_CODE]: 'Insgesamt', Y_LT3: 'unter 3 Jahre', Y3T5: '3 bis unter 6 Jahre', Y6T9: '6 bis unter 10 Jahre' },
  SCHOOL_TYPE: {
    [TOTAL_CODE]: 'Insgesamt',
    GS: 'Grundschule',
    SEK: 'Sekundarschule',
    GMS: 'Gemeinschaftsschule',
    IGS: 'Integrierte Gesamtschule',
    GYM: 'Gymnasium',
    FOES: 'Förderschule',
  },
};

@ObjectType({ description: 'A code of a breakdown dimension with its German label, e.g. SEX / `F` / weiblich.' })
export class BreakdownCode {
  @Field(() => BreakdownDimension, { description: 'The dimension, e.g. `SEX`.' })
  dimension: BreakdownDimension;

  @Field({ description: 'The code as used in `breakdown.codes` and in series, e.g. `F`; `_T` is the total.' })
  code: string;

  @Field({ description: 'German label, e.g. `weiblich`, as in reports of official statistics.' })
  label: string;
}

export const BreakdownCodeService = {
  /**
   * The codes of a dimension, total first. A closed list (SEX, NATIONALITY) in full; an open list
   * (AGE_GROUP, SCHOOL_TYPE): the total and the codes that current cells of indicators in the
   * viewer's catalogue use (the indicator loader decides which indicators those are; row-level
   * security leaves out others' drafts), in the order of LABELS, then by code. Like
   * `Indicator.breakdowns`, this is catalogue information, not data: it reveals no value.
   */
  async list(ctx: RequestContext, dimension: BreakdownDimension): Promise<BreakdownCode[]> {
    let codes = BREAKDOWN_CODES[dimension];
    if (!codes) {
      const rows: Array<{ indicatorId: number; code: string }> = await ctx.query(
        `SELECT DISTINCT indicator_id AS "indicatorId", breakdown_code AS code FROM observation WHERE breakdown_dimension = $1 AND superseded_at IS NULL`,
        [dimension],
      );
      const visible = await ctx.loaders.indicatorsById.loadMany([...new Set(rows.map((r) => r.indicatorId))]);
      const seen = new Set(visible.filter((i): i is Indicator => !!i && !(i instanceof Error)).map((i) => i.id));
      const present = new Set(rows.filter((r) => seen.has(r.indicatorId)).map((r) => r.code));
      const known = Object.keys(LABELS[dimension]);
      codes = [TOTAL_CODE, ...known.filter((c) => present.has(c) && c !== TOTAL_CODE), ...[...present].filter((c) => !known.includes(c)).sort()];
    }
    return codes.map((code) => ({ dimension, code, label: LABELS[dimension][code] ?? code }));
  },
};

@Resolver(() => BreakdownCode)
export class BreakdownCodeResolver {
  @Query(() => [BreakdownCode], {
    description:
      'The codes of a breakdown dimension with German labels, the total `_T` first: what `breakdown.codes` accepts. SEX and NATIONALITY have fixed lists; for AGE_GROUP and SCHOOL_TYPE, the codes present in the data you can see. Which dimensions an indicator has: `Indicator.breakdowns`.',
  })
  breakdownCodes(
    @Ctx() ctx: RequestContext,
    @Arg('dimension', () => BreakdownDimension, { description: 'The dimension, e.g. `SEX`.' }) dimension: BreakdownDimension,
  ): Promise<BreakdownCode[]> {
    return BreakdownCodeService.list(ctx, dimension);
  }
}
