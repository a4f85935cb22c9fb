import { registerEnumType } from 'type-graphql';

/** Level of a territorial unit (Gebietsebene). Public contract (DESIGN §5): names never change. */
export enum RegionLevel {
  BUND = 'BUND',
  LAND = 'LAND',
  KREIS = 'KREIS',
  GEMEINDE = 'GEMEINDE',
}

/** Order from the top of the hierarchy down; used to compare levels. */
export const LEVEL_DEPTH: Record<RegionLevel, number> = { BUND: 0, LAND: 1, KREIS: 2, GEMEINDE: 3 };

registerEnumType(RegionLevel, {
  name: 'RegionLevel',
  description: 'Level of a territorial unit (Gebietsebene), from Germany down to the municipality.',
  valuesConfig: {
    BUND: { description: 'Germany as a whole (Bund), code `DG`.' },
    LAND: { description: 'A federal state (Land), e.g. `15` Sachsen-Anhalt.' },
    KREIS: { description: 'A district (Kreis): Landkreis or kreisfreie Stadt, 5-digit Kreisschlüssel.' },
    GEMEINDE: { description: 'A municipality (Gemeinde), 8-digit AGS.' },
  },
});

/** Legal kind of a territorial unit (Gebietsart). */
export enum RegionKind {
  STAAT = 'STAAT',
  LAND = 'LAND',
  LANDKREIS = 'LANDKREIS',
  KREISFREIE_STADT = 'KREISFREIE_STADT',
  STADT = 'STADT',
  GEMEINDE = 'GEMEINDE',
}

registerEnumType(RegionKind, {
  name: 'RegionKind',
  description: 'Legal kind of a territorial unit (Gebietsart).',
  valuesConfig: {
    STAAT: { description: 'The federal republic (Bund).' },
    LAND: { description: 'A federal state (Land).' },
    LANDKREIS: { description: 'A rural district (Landkreis).' },
    KREISFREIE_STADT: { description: 'A city that is a district of its own (kreisfreie Stadt).' },
    STADT: { description: 'A town with town rights inside a Landkreis (Stadt).' },
    GEMEINDE: { description: 'A municipality without town rights (Gemeinde).' },
  },
});
