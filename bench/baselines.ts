import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLEnumType, GraphQLFloat, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import type pg from 'pg';
import { listen } from './support';

/**
 * The two baselines of the workload benchmark (bench/workloads.bench.ts), both over a plain `pg`
 * pool as the table owner (so without row-level security), both running the statements below:
 * - raw: a `node:http` server that takes the ids up front and answers `JSON.stringify(rows)`;
 * - bare Apollo: Apollo Server 5 on Express 5 (the hub's set-up) with a hand-written graphql-js
 *   schema: no type-graphql, no loaders, no access rules, no request transaction.
 * The cell statement is the hub's series statement as far as the public is concerned (total
 * breakdown, current cells, released and past their embargo, PUBLIC indicators), with the window.
 */

/** The public's cells of indicators × regions in a period window, in the hub's order. */
export const CELLS_SQL = `SELECT o.indicator_id, o.region_id, o.period, o.period_start, o.value, o.status, o.symbol
  FROM observation o
  WHERE o.indicator_id = ANY($1::int[]) AND o.region_id = ANY($2::int[]) AND o.superseded_at IS NULL
    AND o.breakdown_dimension = '' AND o.breakdown_code = '_T'
    AND ($3::date IS NULL OR o.period_start >= $3::date) AND ($4::date IS NULL OR o.period_start <= $4::date)
    AND o.release_state = 'RELEASED' AND o.released_at <= now()
    AND o.indicator_id IN (SELECT id FROM indicator WHERE visibility = 'PUBLIC')
  ORDER BY o.indicator_id, o.region_id, o.period_start`;

/** A page of the catalogue, ordered by code, with the total. */
export const CATALOGUE_SQL = `SELECT code, name, unit, count(*) OVER () AS total FROM indicator WHERE visibility = 'PUBLIC' ORDER BY code LIMIT $1`;

/** What the raw server is asked: the cells of ids in a window, or a catalogue page. */
export type RawRequest = { kind: 'cells'; indicatorIds: number[]; regionIds: number[]; from: string | null; to: string | null } | { kind: 'catalogue'; first: number };

export interface Baseline {
  url: string;
  close(): Promise<void>;
}

/** The raw baseline: read the request, run the one statement, `JSON.stringify` the rows. */
export function startRawServer(pool: pg.Pool): Promise<Baseline> {
  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const q: RawRequest = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const { rows } = q.kind === 'cells' ? await pool.query(CELLS_SQL, [q.indicatorIds, q.regionIds, q.from, q.to]) : await pool.query(CATALOGUE_SQL, [q.first]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  return listen(server, '/raw');
}

interface SeriesRow {
  indicator: { id: number; code: string; name: string };
  region: { id: number; code: string; name: string };
  periods: string[];
  values: Array<number | null>;
  statuses: string[];
}

/**
 * The bare Apollo baseline's schema, by hand: `series` (the hub's arguments that the workloads
 * use) and `indicators` (a page of the catalogue). A series request runs one statement per list
 * it resolves: indicators by code, regions by code or level, the cells.
 */
function bareSchema(pool: pg.Pool): GraphQLSchema {
  const text = new GraphQLNonNull(GraphQLString);
  const named = (name: string) => new GraphQLObjectType({ name, fields: { code: { type: text }, name: { type: text } } });
  const level = new GraphQLEnumType({ name: 'RegionLevel', values: { BUND: {}, LAND: {}, KREIS: {}, GEMEINDE: {} } });
  const series = new GraphQLObjectType({
    name: 'TimeSeries',
    fields: {
      indicator: { type: new GraphQLNonNull(named('Indicator')) },
      region: { type: new GraphQLNonNull(named('Region')) },
      periods: { type: new GraphQLNonNull(new GraphQLList(text)) },
      values: { type: new GraphQLNonNull(new GraphQLList(GraphQLFloat)) },
      statuses: { type: new GraphQLNonNull(new GraphQLList(text)) },
    },
  });
  const catalogueItem = new GraphQLObjectType({ name: 'CatalogueItem', fields: { code: { type: text }, name: { type: text }, unit: { type: text } } });
  const edge = new GraphQLObjectType({ name: 'IndicatorEdge', fields: { node: { type: new GraphQLNonNull(catalogueItem) } } });
  const connection = new GraphQLObjectType({
    name: 'IndicatorConnection',
    fields: { totalCount: { type: new GraphQLNonNull(GraphQLInt) }, edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))) } },
  });
  const query = new GraphQLObjectType({
    name: 'Query',
    fields: {
      series: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(series))),
        args: {
          indicatorCodes: { type: new GraphQLNonNull(new GraphQLList(text)) },
          regionCodes: { type: new GraphQLList(text) },
          regionLevel: { type: level },
          from: { type: GraphQLString },
          to: { type: GraphQLString },
        },
        resolve: async (_: unknown, args: { indicatorCodes: string[]; regionCodes?: string[]; regionLevel?: string; from?: string; to?: string }) => {
          const [indicators, regions] = await Promise.all([
            pool.query('SELECT id, code, name FROM indicator WHERE code = ANY($1::text[]) ORDER BY code', [args.indicatorCodes]),
            args.regionCodes
              ? pool.query('SELECT id, code, name FROM region WHERE code = ANY($1::text[]) AND valid_to IS NULL ORDER BY code', [args.regionCodes])
              : pool.query('SELECT id, code, name FROM region WHERE level = $1 AND valid_to IS NULL ORDER BY code', [args.regionLevel]),
          ]);
          const { rows } = await pool.query(CELLS_SQL, [
            indicators.rows.map((i) => i.id),
            regions.rows.map((r) => r.id),
            args.from ? `${args.from}-01-01` : null,
            args.to ? `${args.to}-12-31` : null,
          ]);
          const byKey = new Map<string, SeriesRow>();
          for (const row of rows) {
            const key = `${row.indicator_id}|${row.region_id}`;
            let s = byKey.get(key);
            if (!s) byKey.set(key, (s = { indicator: row.indicator_id, region: row.region_id, periods: [], values: [], statuses: [] } as unknown as SeriesRow));
            s.periods.push(row.period);
            s.values.push(row.value);
            s.statuses.push(row.status);
          }
          // Every indicator × region, empty where there are no cells (the hub's shape).
          return indicators.rows.flatMap((indicator) =>
            regions.rows.map((region) => {
              const s = byKey.get(`${indicator.id}|${region.id}`);
              return { indicator, region, periods: s?.periods ?? [], values: s?.values ?? [], statuses: s?.statuses ?? [] };
            }),
          );
        },
      },
      indicators: {
        type: new GraphQLNonNull(connection),
        args: { first: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: async (_: unknown, args: { first: number }) => {
          const { rows } = await pool.query(CATALOGUE_SQL, [args.first]);
          return { totalCount: rows.length ? Number(rows[0].total) : 0, edges: rows.map((node) => ({ node })) };
        },
      },
    },
  });
  return new GraphQLSchema({ query });
}

/** The bare Apollo baseline: the hub's Apollo and Express set-up around `bareSchema`. */
export async function startBareApollo(pool: pg.Pool): Promise<Baseline> {
  const apollo = new ApolloServer({
    schema: bareSchema(pool),
    csrfPrevention: true,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
  });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(apollo));
  const server = await listen(http.createServer(app), '/graphql');
  return {
    url: server.url,
    async close() {
      await server.close();
      await apollo.stop();
    },
  };
}
