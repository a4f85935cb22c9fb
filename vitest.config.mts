import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql-js: vitest could otherwise load its ESM and CommonJS builds side by side
    // ("Cannot use GraphQLObjectType from another module or realm", DESIGN §9).
    // graphql-query-complexity's ESM build would import the ESM graphql: take its CommonJS build.
    alias: { graphql: require.resolve('graphql'), 'graphql-query-complexity': require.resolve('graphql-query-complexity') },
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'seeds/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file gets its own database (test/support/database.ts); two workers fit 2 cores.
    maxWorkers: 2,
  },
});
