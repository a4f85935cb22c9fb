import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The compiled `npm start` entry point (npm test compiles before vitest runs). */
export const MAIN = path.resolve(__dirname, '../../dist/src/main.js');

export interface HubProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  /** Everything the hub logged so far (JSON lines on stderr). */
  stderr(): string;
  /** Resolves with the exit code (null: ended by a signal it did not handle). */
  exited: Promise<number | null>;
  /** SIGTERM, then resolves with the exit code (SIGKILL after 20 s). */
  stop(): Promise<number | null>;
}

/**
 * The real hub as an operator starts it (`node dist/src/main.js`, NODE_ENV=production, a free
 * port) with this environment, minus DATABASE_URL, plus `env`; resolves once it listens and has
 * answered one request. For tests of what a process does: start-up on old data, restored
 * backups, database faults, signals.
 */
export function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const { DATABASE_URL: _omit, ...base } = process.env;
  const child = spawn(process.execPath, [MAIN], { env: { ...base, NODE_ENV: 'production', PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const handle: HubProcess = {
    child,
    port: 0,
    baseUrl: '',
    stderr: () => stderr,
    exited,
    async stop() {
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the hub did not listen within 60 s:\n${stderr}`));
    }, 60_000);
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const m = /listening on http:\/\/localhost:(\d+)/.exec(stderr);
      if (!m || handle.port) return;
      clearTimeout(timer);
      handle.port = Number(m[1]);
      handle.baseUrl = `http://127.0.0.1:${handle.port}`;
      // One answered request first: main.ts installs its SIGTERM handler just after announcing
      // the port, and a signal in between would end the process with the default action.
      fetch(`${handle.baseUrl}/livez`).then(() => resolve(handle), reject);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited with ${code} before listening:\n${stderr}`));
    });
  });
}

/** POSTs a GraphQL request; `bearer` is a token or an API key. */
export async function postGraphQL(baseUrl: string, query: string, bearer?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.json() };
}
