import { ApolloServer, type GraphQLResponse } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { describe, expect, it } from 'vitest';
import { jitGateway } from '../src/graphql/jit';

/**
 * The executor of src/graphql/jit.ts inside a real Apollo Server, on a schema whose resolvers
 * fail the way a lost database connection or a bug does: with errors that carry no `extensions`.
 * graphql-jit (a text's second run on) passes such errors on without `extensions`, which made
 * Apollo answer "Internal server error" before the hub's formatter could see the cause (a
 * mutation that lost its connection answered 200 instead of SERVICE_UNAVAILABLE, unlogged).
 * Both runs must hand the formatter the original error, with the same answer.
 */
const lost = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      ok: { type: GraphQLString, resolve: () => 'fine' },
      lost: { type: GraphQLString, resolve: async () => Promise.reject(lost()) },
      bug: { type: new GraphQLNonNull(GraphQLString), resolve: () => (undefined as unknown as { x: string }).x },
    },
  }),
});

describe('graphql-jit errors reach the formatter as graphql-js errors do', () => {
  it('a rejected resolver and a TypeError: the same answer and the same original error on the first and the second run', async () => {
    const seen: unknown[] = [];
    const server = new ApolloServer({
      gateway: jitGateway(schema),
      formatError: (formatted, error) => {
        seen.push(unwrapResolverError(error));
        return { ...formatted, extensions: { code: (unwrapResolverError(error) as { code?: string }).code ?? 'BUG' } };
      },
    });
    await server.start();
    try {
      const run = async () => ((await server.executeOperation({ query: '{ ok lost } ' })) as GraphQLResponse).body;
      const runBug = async () => ((await server.executeOperation({ query: '{ ok bug }' })) as GraphQLResponse).body;
      const [first, second, third] = [await run(), await run(), await run()];
      expect(first).toEqual({ kind: 'single', singleResult: { data: { ok: 'fine', lost: null }, errors: [{ message: 'terminating connection due to administrator command', locations: [{ line: 1, column: 6 }], path: ['lost'], extensions: { code: '57P01' } }] } });
      expect(second).toEqual(first);
      expect(third).toEqual(first);
      const bugs = [await runBug(), await runBug()];
      expect(bugs[1]).toEqual(bugs[0]);
      expect(bugs[0]).toMatchObject({ singleResult: { data: null, errors: [{ path: ['bug'], extensions: { code: 'BUG' } }] } });
      expect(seen).toHaveLength(5);
      expect(seen.slice(0, 3).map((e) => (e as { code?: string }).code)).toEqual(['57P01', '57P01', '57P01']);
      expect(seen.slice(3).every((e) => e instanceof TypeError)).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
