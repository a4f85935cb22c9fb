import { registerEnumType } from 'type-graphql';

/** The kind of period an indicator is observed for; fixes the shape of its period codes (DESIGN §5). */
export enum PeriodType {
  YEAR = 'YEAR',
  SCHOOL_YEAR = 'SCHOOL_YEAR',
  STICHTAG = 'STICHTAG',
}

registerEnumType(PeriodType, {
  name: 'PeriodType',
  description: 'The kind of period an indicator is observed for, which fixes its period codes.',
  valuesConfig: {
    YEAR: { description: 'Calendar year, code `2023`; stocks at a yearly Stichtag (e.g. 31.12. or 1.3.) use it too, the indicator says which day.' },
    SCHOOL_YEAR: { description: 'School year from 1 August to 31 July, code `2023/24`.' },
    STICHTAG: { description: 'A single reference date (Stichtag), e.g. a census, code `2022-05-15`.' },
  },
});

/** How values of an indicator combine across regions (DESIGN §3). Averaging percentages is never a rule. */
export enum AggregationRule {
  SUM = 'SUM',
  RATIO = 'RATIO',
  WEIGHTED_MEAN = 'WEIGHTED_MEAN',
  NONE = 'NONE',
}

registerEnumType(AggregationRule, {
  name: 'AggregationRule',
  description: 'How values of an indicator combine across regions (e.g. Kreise to the Land).',
  valuesConfig: {
    SUM: { description: 'Counts and stocks at a Stichtag: the parent is the sum of its parts.' },
    RATIO: { description: 'Rates: the parent is Σnumerator / Σdenominator, never the mean of the rates.' },
    WEIGHTED_MEAN: { description: 'Mean weighted by a named weight indicator.' },
    NONE: { description: 'Not aggregatable: an aggregate has status `M`, symbol `x`.' },
  },
});

/** Who may see an indicator's released values by default; its owner sets it (DESIGN §4). */
export enum Visibility {
  PUBLIC = 'PUBLIC',
  PARTNERS = 'PARTNERS',
  OWNER = 'OWNER',
}

registerEnumType(Visibility, {
  name: 'Visibility',
  description: "Who may see an indicator's released values by default.",
  valuesConfig: {
    PUBLIC: { description: 'Everyone, including the public without login.' },
    PARTNERS: { description: 'Logged-in organizations of the Land and its Kommunen.' },
    OWNER: { description: 'Only the owner organization, and whoever a data-sharing agreement names.' },
  },
});

/** Dimensions a value can be broken down by (DESIGN §5). The total of every dimension has code `_T`. */
export enum BreakdownDimension {
  SEX = 'SEX',
  AGE_GROUP = 'AGE_GROUP',
  NATIONALITY = 'NATIONALITY',
  SCHOOL_TYPE = 'SCHOOL_TYPE',
}

registerEnumType(BreakdownDimension, {
  name: 'BreakdownDimension',
  description: 'A dimension a value can be broken down by. Its total has the code `_T`.',
  valuesConfig: {
    SEX: { description: 'Sex (Geschlecht): `_T` total, `F` female, `M` male, `D` diverse.' },
    AGE_GROUP: { description: 'Age group (Altersgruppe), e.g. `Y_LT3`, `Y3T5`.' },
    NATIONALITY: { description: 'Nationality (Staatsangehörigkeit): `DE` German, `FOR` foreign.' },
    SCHOOL_TYPE: { description: 'School type (Schulform), e.g. `GS` Grundschule, `GYM` Gymnasium.' },
  },
});

/** Code of the total in every breakdown dimension. */
export const TOTAL_CODE = '_T';

/**
 * Known codes per dimension, `_T` first; null where the code list is open (validated by shape only).
 */
export const BREAKDOWN_CODES: Record<BreakdownDimension, string[] | null> = {
  SEX: [TOTAL_CODE, 'F', 'M', 'D'],
  NATIONALITY: [TOTAL_CODE, 'DE', 'FOR'],
  AGE_GROUP: null,
  SCHOOL_TYPE: null,
};
