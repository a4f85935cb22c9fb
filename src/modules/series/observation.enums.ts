import { registerEnumType } from 'type-graphql';

/**
 * SDMX OBS_STATUS of a cell (DESIGN §5, `reference/status-codes.csv`). The German symbol of
 * official statistics travels beside it in `symbol`.
 */
export enum ObservationStatus {
  A = 'A',
  B = 'B',
  E = 'E',
  L = 'L',
  M = 'M',
  O = 'O',
  P = 'P',
  Q = 'Q',
  R = 'R',
  U = 'U',
}

registerEnumType(ObservationStatus, {
  name: 'ObservationStatus',
  description: 'Status of a cell (SDMX OBS_STATUS). The German symbol of official statistics is in `symbol`.',
  valuesConfig: {
    A: { description: 'Normal value (symbol empty, or `-` for exactly zero).' },
    B: { description: 'Time series break: definition or population basis changed (e.g. Zensus 2011 → 2022).' },
    E: { description: 'Estimated value (symbol `s`).' },
    L: { description: 'Missing: the value is unknown (symbol `.`, not confidential).' },
    M: { description: 'Missing: not meaningful or not applicable at this level (symbol `x`).' },
    O: { description: 'Missing: not yet published, comes later (symbol `...`).' },
    P: { description: 'Provisional value (symbol `p`).' },
    Q: { description: 'Missing: suppressed for confidentiality (symbol `.`, `confidential: true`).' },
    R: { description: 'Revised value (symbol `r`).' },
    U: { description: 'Unreliable: too uncertain to publish (symbol `/`), or of limited reliability (`( )`).' },
  },
});

/** Whether a cell is visible beyond its owner (Freigabe). */
export enum ReleaseState {
  DRAFT = 'DRAFT',
  RELEASED = 'RELEASED',
}

registerEnumType(ReleaseState, {
  name: 'ReleaseState',
  description: 'Release state (Freigabe) of a cell.',
  valuesConfig: {
    DRAFT: { description: 'Visible only to the owner organization.' },
    RELEASED: { description: 'Released by the owner; visible according to the access rules.' },
  },
});

/** Symbols that stand for a missing value; a cell with one of them has `value: null`. */
export const MISSING_VALUE_SYMBOLS = new Set(['.', 'x', '...', '/']);
