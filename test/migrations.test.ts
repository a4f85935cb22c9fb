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

describe('hot path', () => {
  it('reads a series with one index-only range scan of the covering index', async () => {
    // Capture the statement the service really sends, then let the planner explain it with
    // sequential and bitmap scans ruled out: an Index Only Scan is possible only if the index
    // holds every column the statement reads.
    const original = pg.Client.prototype.query;
    let captured: { text: string; values: unknown[] } | undefined;
    pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
      if (typeof args[0] === 'string' && /FROM observation o/.test(args[0])) captured = { text: args[0], values: args[1] };
      return (original as any).apply(this, args);
    } as any;
    try {
      const ctx = await createContext({ db: database.db, log: silentLogger, config: TEST_SETTINGS }, null);
      const window = SeriesService.parseWindow(ctx, { from: '2015', to: '2024' });
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
      await runner.query('SET LOCAL enable_seqscan = off');
      await runner.query('SET LOCAL enable_bitmapscan = off');
      const [{ 'QUERY PLAN': plan }] = await runner.query(`EXPLAIN (FORMAT JSON) ${captured!.text}`, captured!.values);
      await runner.rollbackTransaction();
      const nodes: any[] = [];
      const walk = (n: any) => {
        nodes.push(n);
        (n.Plans ?? []).forEach(walk);
      };
      walk((typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan);
      const scans = nodes.filter((n) => n['Relation Name'] === 'observation');
      expect(scans.map((n) => [n['Node Type'], n['Index Name']])).toEqual([['Index Only Scan', 'observation_series_current']]);
    } finally {
      await runner.release();
    }
  });
});
