import fs from 'node:fs';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';

/**
 * `npm run schema:check`: are the committed `schema.graphql`'s changes since the last release
 * safe for the dashboards and scripts written against that release (DESIGN §5)?
 *
 * The baseline is the newest `releases/<version>.graphql` (the SDL as it was released). Every
 * BREAKING change (graphql-inspector's criticality: a removed field or enum value, a new required
 * argument, a narrowed type, ...) fails the check unless `releases/accepted-breaks.json` lists it
 * with a reason: a break is a decision someone reviewed, never an accident. DANGEROUS changes
 * (e.g. a new enum value a strict client may not handle) are printed, not failed. An accepted
 * entry that matches no change fails too, so the list never outlives its break.
 */

/** One reviewed, intended break: `type` and `path` as this check prints them. */
export interface AcceptedBreak {
  type: string;
  path: string;
  reason: string;
}

export interface SchemaCheck {
  baseline: string;
  /** Breaking changes nobody accepted: the check fails on any. */
  breaking: Change[];
  /** Breaking changes listed in the accepted-breaks file. */
  accepted: Change[];
  dangerous: Change[];
  /** Accepted-breaks entries that match no change, or lack a reason: the check fails on any. */
  invalidEntries: string[];
}

// tools/ under vitest, dist/tools/ when compiled.
const ROOT = path.resolve(__dirname, fs.existsSync(path.resolve(__dirname, '../package.json')) ? '..' : '../..');
export const RELEASES_DIR = path.join(ROOT, 'releases');

/** `type path` of a change: the key an accepted-breaks entry names. */
export const changeKey = (c: { type: string; path?: string }) => `${c.type} ${c.path ?? ''}`;

/** The newest released schema in `dir` (by semantic version of the file name). */
export function latestBaseline(dir = RELEASES_DIR): { version: string; file: string } {
  const versions = fs
    .readdirSync(dir)
    .map((f) => /^(\d+)\.(\d+)\.(\d+)\.graphql$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]) || Number(a[3]) - Number(b[3]));
  const newest = versions.at(-1);
  if (!newest) throw new Error(`no released schema (<version>.graphql) in ${dir}`);
  return { version: `${newest[1]}.${newest[2]}.${newest[3]}`, file: path.join(dir, newest[0]) };
}

export async function checkSchema(baselineSdl: string, currentSdl: string, accepted: AcceptedBreak[], baseline = 'baseline'): Promise<SchemaCheck> {
  const changes = await diff(buildSchema(baselineSdl), buildSchema(currentSdl));
  const acceptedKeys = new Map(accepted.map((a) => [changeKey(a), a]));
  const result: SchemaCheck = { baseline, breaking: [], accepted: [], dangerous: [], invalidEntries: [] };
  const matched = new Set<string>();
  for (const change of changes) {
    if (change.criticality.level === CriticalityLevel.Dangerous) result.dangerous.push(change);
    if (change.criticality.level !== CriticalityLevel.Breaking) continue;
    const key = changeKey(change);
    if (acceptedKeys.has(key)) {
      matched.add(key);
      result.accepted.push(change);
    } else {
      result.breaking.push(change);
    }
  }
  for (const [key, entry] of acceptedKeys) {
    if (!entry.reason || !entry.reason.trim()) result.invalidEntries.push(`${key}: no reason given`);
    else if (!matched.has(key)) result.invalidEntries.push(`${key}: matches no breaking change since ${baseline}; remove the entry`);
  }
  return result;
}

export function readAcceptedBreaks(file = path.join(RELEASES_DIR, 'accepted-breaks.json')): AcceptedBreak[] {
  if (!fs.existsSync(file)) return [];
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed.accepted)) throw new Error(`${file}: expected { "accepted": [ { "type", "path", "reason" } ] }`);
  return parsed.accepted;
}

async function main() {
  const baseline = latestBaseline();
  const result = await checkSchema(
    fs.readFileSync(baseline.file, 'utf8'),
    fs.readFileSync(path.join(ROOT, 'schema.graphql'), 'utf8'),
    readAcceptedBreaks(),
    baseline.version,
  );
  const line = (c: Change) => `  ${changeKey(c)}\n      ${c.message}`;
  for (const c of result.dangerous) console.log(`dangerous (allowed):\n${line(c)}`);
  for (const c of result.accepted) console.log(`breaking, accepted in releases/accepted-breaks.json:\n${line(c)}`);
  if (result.breaking.length || result.invalidEntries.length) {
    if (result.breaking.length) {
      console.error(`schema.graphql breaks clients of release ${baseline.version}:`);
      for (const c of result.breaking) console.error(line(c));
      console.error('Restore the old shape (add, deprecate, never remove or narrow), or, if the break is intended and reviewed,');
      console.error('list it in releases/accepted-breaks.json with a reason and note it in CHANGELOG.md (README "Deployment").');
    }
    for (const e of result.invalidEntries) console.error(`releases/accepted-breaks.json: ${e}`);
    process.exit(1);
  }
  console.log(`schema.graphql: no unaccepted breaking change since release ${baseline.version}.`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
