/**
 * Example queries preloaded as GraphiQL tabs (and quoted in the README). Each one is run by a
 * test against the demo data, so an example that stops working fails the suite.
 */
export const EXAMPLE_QUERIES: Array<{ name: string; query: string; variables?: Record<string, unknown> }> = [
  {
    name: 'Kreis comparison',
    query: `# Betreuungsquote unter 3 Jahren (C1) for every Kreis of Sachsen-Anhalt,
# as parallel lists: the cheap shape for charts.
query KreisComparison {
  series(indicatorCodes: ["C1"], regionLevel: KREIS, parentCode: "15", from: "2019") {
    region { code name kind }
    periods
    values
    statuses
  }
}
`,
  },
  {
    name: 'Dashboard card',
    query: `# One Kreis, several indicators, cell by cell with status and symbol.
query DashboardCard($region: String!) {
  region(code: $region) {
    name
    parent { name }
    series(indicatorCodes: ["A1", "C1", "D1", "G2"], latest: 5) {
      indicator { code name unit decimals area { name } }
      points { period value status symbol confidential releaseState }
    }
  }
}
`,
    variables: { region: '15084' },
  },
  {
    name: 'Catalogue',
    query: `# The indicator catalogue by education area.
query Catalogue {
  educationAreas {
    code
    name
    indicators { code name unit periodType aggregation levels breakdowns }
  }
  indicators(first: 5, search: "Betreuung") {
    totalCount
    edges { cursor node { code name } }
    pageInfo { hasNextPage endCursor }
  }
}
`,
  },
  {
    name: 'Gemeinden and breakdown',
    query: `# Gemeinden of the Burgenlandkreis (small cells show "." where suppressed),
# and school leavers by sex for the Land.
query GemeindenAndBreakdown {
  gemeinden: series(indicatorCodes: ["D1"], regionLevel: GEMEINDE, parentCode: "15084", latest: 1) {
    region { code name }
    points { period value status symbol confidential }
  }
  bySex: series(indicatorCodes: ["D6"], regionCodes: ["15"], latest: 3, breakdown: { dimension: SEX, codes: ["_T", "F", "M"] }) {
    breakdown { dimension code }
    periods
    values
  }
}
`,
  },
  {
    name: 'Revisions and series breaks',
    query: `# VHS teaching hours per 1000 inhabitants (G2) in the Burgenlandkreis, as the hub knew them on
# 1 July 2025: each cell with its version. Status B marks 2022, the first year on the Zensus 2022
# population basis (definition version 2; see the definition history below).
query RevisionsAndBreaks {
  series(indicatorCodes: ["G2"], regionCodes: ["15084"], from: "2019", asOf: "2025-07-01T00:00:00Z") {
    periods
    statuses
    points { period value status symbol version definitionVersion recordedAt }
  }
  indicator(code: "G2") {
    definitionHistory { version populationBasis validFrom definition }
  }
}
`,
  },
];
