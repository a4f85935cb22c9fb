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
