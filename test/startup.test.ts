import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/embedded';

// The real start-up path: the compiled `npm start` entry point (npm test compiles first).
const MAIN = path.resolve(__dirname, '../dist/src/main.js');
const tmpDirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kobi-start-'));
  tmpDirs.push(d);
  return d;
};
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

interface Run {
  code: number | null;
  stderr: string;
  ms: number;
}

/** Starts the hub; resolves when it exits. `onListening` runs once it listens; `sigtermOn` sends SIGTERM once stderr matches it. */
function startHub(env: Record<string, string>, onListening?: (port: number, stop: () => void) => Promise<void>, sigtermOn?: RegExp): Promise<Run> {
  const { DATABASE_URL: _omit, ...base } = process.env;
  // NODE_ENV as `npm start` sets it (vitest sets "test", under which Apollo behaves differently,
  // e.g. it installs no signal handlers of its own).
  const child = spawn(process.execPath, [MAIN], { env: { ...base, NODE_ENV: 'production', PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const started = Date.now();
  let stderr = '';
  let listening = false;
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (sigtermOn?.test(stderr)) {
      sigtermOn = undefined;
      child.kill('SIGTERM');
    }
    const m = /listening on http:\/\/localhost:(\d+)/.exec(stderr);
    if (m && !listening && onListening) {
      listening = true;
      const stop = () => {
        child.kill('SIGTERM');
        // A graceful stop takes a second or two; a hang fails here rather than at the test timeout.
        setTimeout(() => {
          if (child.exitCode === null) {
            stderr += '\ntest failure: no exit within 10 s of SIGTERM';
            child.kill('SIGKILL');
          }
        }, 10_000).unref();
      };
      onListening(Number(m[1]), stop).catch((err) => {
        child.kill('SIGKILL');
        stderr += `\ntest failure: ${err}`;
      });
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, ms: Date.now() - started })));
}

describe('start-up failures', () => {
  it('an unreachable DATABASE_URL exits non-zero with one clear line', async () => {
    const run = await startHub({ DATABASE_URL: 'postgres://kobi:secret@127.0.0.1:1/kobi' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^kobi-hub: cannot use the database at postgres:\/\/kobi:\*\*\*@127\.0\.0\.1:1\/kobi: /);
    expect(run.stderr).not.toContain('secret');
  });

  it('a server that accepts but never answers: the connect timeout ends the start, no hang', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      // A 2 s connect timeout: a hang would run into the 60 s test timeout; the bound below only
      // separates "gave up" from "hung" and leaves room for a slow process start on a busy machine.
      const run = await startHub({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/kobi`, DATABASE_CONNECT_TIMEOUT: '2' });
      expect(run.code).toBe(1);
      expect(run.ms).toBeLessThan(40_000);
      expect(run.stderr).toMatch(/cannot use the database/);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('a database that does not exist: one line naming it', async () => {
    const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    server.pathname = '/kobi_does_not_exist';
    const run = await startHub({ DATABASE_URL: server.toString() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/kobi_does_not_exist/);
  });

  it('a foreign DATA_DIR is refused and left untouched', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'thesis.docx'), 'precious');
    const run = await startHub({ DATA_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not a KoBi data directory/);
    expect(fs.readdirSync(dir)).toEqual(['thesis.docx']);
  });

  it('a corrupt DATA_DIR is reported, not re-initialised', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'kobi-hub.json'), JSON.stringify({ format: 1 }));
    fs.mkdirSync(path.join(dir, 'pgdata'));
    fs.writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), 'garbage\n');
    const before = fs.readdirSync(path.join(dir, 'pgdata'));
    const run = await startHub({ DATA_DIR: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/could not be opened|left untouched/);
    expect(fs.readdirSync(path.join(dir, 'pgdata'))).toEqual(before);
    expect(fs.readFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), 'utf8')).toBe('garbage\n');
  });

  it('an invalid PORT is a configuration error', async () => {
    const run = await startHub({ PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^kobi-hub: PORT must be an integer/);
  });
});

describe('embedded default', () => {
  it('seeds on first start, keeps data across restarts, and stops cleanly on SIGTERM, also during start-up', async () => {
    const dir = tmp();
    const query = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ regions(level: KREIS) { code } }' }),
      });
      return (await res.json()).data.regions.length;
    };
    let kreise = 0;
    const first = await startHub({ DATA_DIR: dir }, async (port, stop) => {
      kreise = await query(port);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      stop();
    });
    expect(first.code).toBe(0);
    expect(kreise).toBe(14);
    expect(first.stderr).toMatch(/demo data loaded/);

    // Something written while the hub is down must still be there after the hub ran again.
    const pglite = await startEmbeddedPostgres({ dataDir: dir });
    await pglite.db.query(`INSERT INTO hub_meta (key, value) VALUES ('restart-marker', 'kept')`);
    await pglite.stop();

    kreise = 0;
    const second = await startHub({ DATA_DIR: dir }, async (port, stop) => {
      kreise = await query(port);
      stop();
    });
    expect(second.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'hub.lock'))).toBe(false);
    expect(kreise).toBe(14);
    expect(second.stderr).not.toMatch(/demo data loaded/);

    const again = await startEmbeddedPostgres({ dataDir: dir });
    const rows = await again.db.query<{ value: string }>(`SELECT value FROM hub_meta WHERE key = 'restart-marker'`);
    await again.stop();
    expect(rows.rows).toEqual([{ value: 'kept' }]);

    // SIGTERM while the hub still starts (migrating and seeding a fresh DATA_DIR): it finishes
    // starting, then stops the graceful way — exit 0, lock released, the data complete.
    const early = tmp();
    const interrupted = await startHub({ DATA_DIR: early }, undefined, /embedded Postgres \(PGlite\) started/);
    expect(interrupted.code).toBe(0);
    expect(interrupted.stderr).toMatch(/demo data loaded/);
    expect(interrupted.stderr).toMatch(/"msg":"stopped"/);
    expect(fs.existsSync(path.join(early, 'hub.lock'))).toBe(false);
    // Five starts of an on-disk PGlite (a first one creates its data folder, ~13 s alone on a busy
    // machine): more than the default 60 s when CI shares the cores.
  }, 240_000);
});
