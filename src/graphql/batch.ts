/** Groups items by a key, keeping their order within each group. */
export function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Orders batch results by the loader's keys (DataLoader's contract); null where a key found nothing. */
export function inKeyOrder<T, K>(keys: readonly K[], rows: readonly T[], key: (row: T) => K): Array<T | null> {
  const map = new Map(rows.map((r) => [key(r), r]));
  return keys.map((k) => map.get(k) ?? null);
}

interface Part {
  sql: string;
  params: unknown[];
  resolve(rows: Array<Record<string, unknown>>): void;
  reject(err: unknown): void;
}

/**
 * Runs the SELECTs that loaders of one request issue in the same turn of the event loop as ONE
 * statement (one round trip): e.g. the indicators and the regions named by a `series` query, which
 * come from two loaders. Each part is a complete SELECT with its own `$1…` parameters; its rows
 * come back as objects (through `json_agg`, so column aliases are kept and types are JSON's:
 * numbers, strings, arrays, nested JSON; dates as 'YYYY-MM-DD', as the hub reads them anyway), in
 * the part's own order. A part's error rejects every part of the statement.
 *
 * The statement runs on `setImmediate`, after every loader dispatch that the current turn
 * scheduled (DataLoader dispatches on `process.nextTick`), so parts registered by loaders and by
 * direct calls in the same turn land in one statement.
 */
export class StatementBatch {
  private parts: Part[] = [];

  constructor(private readonly query: (sql: string, params: unknown[]) => Promise<Array<{ part: number; rows: Array<Record<string, unknown>> | null }>>) {}

  select<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]> {
    return new Promise((resolve, reject) => {
      if (this.parts.length === 0) setImmediate(() => void this.flush());
      this.parts.push({ sql, params, resolve: resolve as Part['resolve'], reject });
    });
  }

  private async flush(): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    const params: unknown[] = [];
    const selects = parts.map((p, i) => {
      // Renumber the part's parameters after those of the parts before it ($10 before $1).
      const offset = params.length;
      params.push(...p.params);
      const sql = p.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
      // One row per part, its rows as one JSON array in the part's order (json_agg takes them as
      // the part's ORDER BY delivers them): a region list of 10,000 is one value to send and to
      // parse, not 10,000 rows numbered and sorted again.
      return `SELECT ${i} AS part, json_agg(x) AS rows FROM (${sql}) x`;
    });
    try {
      const rows = await this.query(selects.join('\nUNION ALL\n'), params);
      const byPart = parts.map((): Array<Record<string, unknown>> => []);
      for (const r of rows) byPart[r.part] = r.rows ?? []; // json_agg of no rows is NULL
      parts.forEach((p, i) => p.resolve(byPart[i]));
    } catch (err) {
      for (const p of parts) p.reject(err);
    }
  }
}
