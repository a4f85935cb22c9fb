import 'reflect-metadata';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './entities';

// `date` columns stay 'YYYY-MM-DD' strings: a JS Date at local midnight shifts the day in
// any time zone west of UTC, and period starts and validity dates are calendar days.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
// bigint ids arrive as strings by default; counts from COUNT(*) are far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DataSourceOptions {
  url: string;
  /** Give up connecting after this many seconds (node-postgres waits forever by default). */
  connectTimeoutSeconds: number;
  /** Pool size (default 10). */
  poolSize?: number;
}

/** Removes the password from a connection URL so that it can be logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** A TypeORM data source over node-postgres. Never `synchronize`: the schema comes from migrations. */
export function createDataSource(opts: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'hub_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: 'kobi-data-hub',
    poolSize: opts.poolSize ?? 10,
    extra: {
      connectionTimeoutMillis: opts.connectTimeoutSeconds * 1000,
      idleTimeoutMillis: 30_000,
    },
  });
}

/** Opens a short-lived connection as the migration owner and applies pending migrations. */
export async function runMigrations(opts: DataSourceOptions): Promise<string[]> {
  const ds = createDataSource({ ...opts, poolSize: 1 });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'all' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
