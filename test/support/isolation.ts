import { expect } from 'vitest';
import { createTestDatabase } from './database';

/**
 * Writes a marker into this file's database and checks that no other file's marker is there.
 * Two test files call it with different names; whichever runs second would see the first one's
 * marker if the files shared a database, in parallel or one after the other.
 */
export async function assertIsolated(name: string) {
  const database = await createTestDatabase({ seed: false });
  try {
    await database.db.query(`INSERT INTO hub_meta (key, value) VALUES ($1, $2)`, [`isolation-${name}`, String(process.pid)]);
    // Give a file running in parallel time to write its own marker before looking.
    await new Promise((r) => setTimeout(r, 1500));
    const rows: Array<{ key: string }> = await database.db.query(`SELECT key FROM hub_meta WHERE key LIKE 'isolation-%' ORDER BY key`);
    expect(rows.map((r) => r.key)).toEqual([`isolation-${name}`]);
  } finally {
    await database.close();
  }
}
