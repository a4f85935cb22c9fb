import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../src/graphql/context';
import { silentLogger } from '../src/logger';
import { SeriesService } from '../src/modules/series/series.service';
import { createTestDatabase, type TestDatabase } from './support/database';
import { TEST_SETTINGS } from './support/hub';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe('migrations', () => {
  it('create every column the entities map, with the same nullability', async () => {
    const columns: Array<{ table_name: string; column_name: string; is_nullable: string }> = await database.db.query(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    const actual = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c.is_nullable === 'YES']));
    const mismatches: string[] = [];
    for (const entity of database.db.entityMetadatas) {
      for (const column of entity.columns) {
        const key = `${entity.tableName}.${column.databaseName}`;
        if (!actual.has(key)) mismatches.push(`${key} missing`);
        else if (actual.get(key) !== column.isNullable) mismatches.push(`${key} nullable: entity ${column.isNullable}, table ${actual.get(key)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('are recorded, so a second run applies nothing', async () => {
    expect(await database.db.showMigrations()).toBe(false);
    expect(await database.db.runMigrations()).toEqual([]);
  });
});

/**
 * The statement the series service really sends for C1, D1 and A1 × the 14 Kreise, 2015–2024
 * (as of `asOf` when given), and the nodes of its plan that scan `observation` or one of its
 * indexes, as [node type, table, index].
 * With `strict`, sequential and bitmap scans are ruled out: an Index Only Scan is then possible
 * only if the index holds every column the statement reads.
 */
async function seriesScans(opts: { asOf?: Date; strict: boolean }): Promise<Array<[string, string | undefined, string | undefined]>> {
  const original = pg.Client.prototype.query;
  let captured: { text: string; values: unknown[] } | undefined;
  pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
    // The cells statement goes as a string or as a config object (rows as arrays).
    const [text, values] = typeof args[0] === 'string' ? [args[0], args[1]] : [args[0]?.text, args[0]?.values];
    if (typeof text === 'string' && /o\.indicator_id = ANY\(\$1::int\[\]\) AND o\.region_id = ANY/.test(text)) captured = { text, values };
    return (original as any).apply(this, args);
  } as any;
  try {
    const ctx = await createContext({ db: database.db, log: silentLogger, config: TEST_SETTINGS }, null);
    const window = SeriesService.parseWindow(ctx, { from: '2015', to: '2024', asOf: opts.asOf });
    const indicators = await SeriesService.resolveIndicators(ctx, { indicatorCodes: ['C1', 'D1', 'A1'] });
    const regions = await SeriesService.resolveRegions(ctx, { regionLevel: 'KREIS' as any, parentCode: '15' });
    const series = await SeriesService.load(ctx, indicators, regions, window);
    expect(series).toHaveLength(3 * 14);
    await ctx.tx.finish(true);
  } finally {
    pg.Client.prototype.query = original;
  }
  expect(captured).toBeDefined();
  const runner = database.db.createQueryRunner();
  try {
    await runner.startTransaction();
    if (opts.strict) {
      await runner.query('SET LOCAL enable_seqscan = off');
      await runner.query('SET LOCAL enable_bitmapscan = off');
    }
    const [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (FORMAT JSON) ${captured!.text}`, captured!.values);
    await runner.rollbackTransaction();
    const nodes: any[] = [];
    const walk = (n: any) => {
      nodes.push(n);
      (n.Plans ?? []).forEach(walk);
    };
    walk((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
    return nodes.filter((n) => n['Relation Name'] === 'observation' || n['Index Name']).map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']]);
  } finally {
    await runner.release();
  }
}

describe('hot path', () => {
  it('reads a series with one index-only range scan of the covering index', async () => {
    // The second scan is the series-break look-up (src/modules/series/revisions.ts), a subplan
    // that runs only for cells of a changed definition: one backward step on the same index.
    expect(await seriesScans({ strict: true })).toEqual([
      ['Index Only Scan', 'observation', 'observation_series_current'],
      ['Index Only Scan', 'observation', 'observation_series_current'],
    ]);
  });

  it('reads a series as of an earlier instant through the series indexes, never a sequential scan', async () => {
    // Not strict: the planner's own choice on the demo data. The current rows come from the
    // covering index (index-only: it holds recorded_at), the superseded ones from
    // observation_series_history; the series-break look-up may combine both.
    const scans = await seriesScans({ asOf: new Date('2025-07-01T00:00:00Z'), strict: false });
    expect(scans.filter(([type]) => type === 'Seq Scan')).toEqual([]);
    expect(scans).toContainEqual(['Index Only Scan', 'observation', 'observation_series_current']);
    expect(new Set(scans.map(([, , index]) => index).filter(Boolean))).toEqual(new Set(['observation_series_current', 'observation_series_history']));
  });
});
