import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { changeKey, checkSchema, latestBaseline, readAcceptedBreaks } from '../tools/schema-check';

const committed = fs.readFileSync(path.resolve(__dirname, '../schema.graphql'), 'utf8');
const baseline = latestBaseline();
const baselineSdl = fs.readFileSync(baseline.file, 'utf8');

describe('schema compatibility with the previous release (npm run schema:check)', () => {
  it('the committed schema.graphql breaks nothing of the last release that was not accepted', async () => {
    const result = await checkSchema(baselineSdl, committed, readAcceptedBreaks(), baseline.version);
    expect(result.breaking.map((c) => `${changeKey(c)}: ${c.message}`)).toEqual([]);
    expect(result.invalidEntries).toEqual([]);
  });

  // The check itself, on edits of the released schema: a removed field, a new required argument
  // of an existing field, a changed type are breaks; a new field is not.
  /** The released SDL with `edit` applied to the body of one type. */
  const editType = (header: string, edit: (body: string) => string) => {
    const start = baselineSdl.indexOf(`\n${header} {`);
    const end = baselineSdl.indexOf('\n}', start);
    expect(start).toBeGreaterThan(0);
    const body = baselineSdl.slice(start, end);
    const edited = edit(body);
    expect(edited).not.toBe(body);
    return baselineSdl.slice(0, start) + edited + baselineSdl.slice(end);
  };
  const removedSymbol = () => editType('type Observation', (b) => b.replace(/\n(\s+"""[^"]*"""\n)?\s+symbol: String!\n/, '\n'));

  it('catches a removed field, a new required argument and a changed type, and lists them', async () => {
    const r1 = await checkSchema(baselineSdl, removedSymbol(), []);
    expect(r1.breaking.map(changeKey)).toEqual(['FIELD_REMOVED Observation.symbol']);

    const requiredArg = editType('type Query', (b) => b.replace(/agreement\(\n/, 'agreement(\n    "probe"\n    probe: Int!\n'));
    const r2 = await checkSchema(baselineSdl, requiredArg, []);
    expect(r2.breaking.map(changeKey)).toEqual(['FIELD_ARGUMENT_ADDED Query.agreement.probe']);

    const typeChanged = editType('type Observation', (b) => b.replace(/(\n\s+)value: Float(\n|$)/, '$1value: String$2'));
    const r3 = await checkSchema(baselineSdl, typeChanged, []);
    expect(r3.breaking.map(changeKey)).toEqual(['FIELD_TYPE_CHANGED Observation.value']);

    const added = editType('type Query', (b) => `${b}\n  "probe"\n  probe(x: Int!): Int`);
    const r4 = await checkSchema(baselineSdl, added, []);
    expect(r4.breaking).toEqual([]);
    expect(r4.invalidEntries).toEqual([]);
  });

  it('passes an accepted break with a reason, and fails an entry that is stale or has no reason', async () => {
    const withoutSymbol = removedSymbol();
    const accepted = await checkSchema(baselineSdl, withoutSymbol, [{ type: 'FIELD_REMOVED', path: 'Observation.symbol', reason: 'replaced by …, announced in 0.1.0' }]);
    expect(accepted.breaking.map(changeKey)).not.toContain('FIELD_REMOVED Observation.symbol');
    expect(accepted.accepted.map(changeKey)).toContain('FIELD_REMOVED Observation.symbol');
    expect(accepted.invalidEntries).toEqual([]);

    const stale = await checkSchema(baselineSdl, baselineSdl, [{ type: 'FIELD_REMOVED', path: 'Observation.symbol', reason: 'x' }]);
    expect(stale.invalidEntries).toHaveLength(1);
    const noReason = await checkSchema(baselineSdl, withoutSymbol, [{ type: 'FIELD_REMOVED', path: 'Observation.symbol', reason: ' ' }]);
    expect(noReason.invalidEntries).toEqual(['FIELD_REMOVED Observation.symbol: no reason given']);
  });
});
