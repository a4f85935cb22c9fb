import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub';
import { dataSnapshot, plainCsv, upload } from './support/uploads';

// Demo facts (seeds/demo-data.ts), written here independently: the Burgenlandkreis (15084) owns
// K15084-KITA (places, calendar years, SUM, valid from 0, no breakdown, visibility OWNER) for the
// Kreis and its Gemeinden, 2021–2024 released and 2025 a draft; Halle (15002) owns K15002-SSA (%,
// school years, RATIO, 0–100, by SCHOOL_TYPE), 2024/25 a draft. The official C1 of 15084 belongs
// to the Statistisches Landesamt. Gemeinde 15084015 lies in the Burgenlandkreis, 15083 is Börde.
const KITA = 'K15084-KITA';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await t?.close();
});

const IMPORT = `mutation($input: ImportObservationsInput!) {
  importObservations(input: $input) { importId status replayed rows inserted revised unchanged released written errorCount errors { row column code message } }
}`;

/** The current version of one cell, read as the table owner. */
async function cell(indicator: string, region: string, period: string, code = '_T') {
  const [row] = await t.database.db.query(
    `SELECT o.value, o.status, o.symbol, o.version, o.release_state, o.definition_version, o.recorded_at, o.uploaded_by
     FROM observation o JOIN indicator i ON i.id = o.indicator_id JOIN region r ON r.id = o.region_id
     WHERE i.code = $1 AND r.code = $2 AND o.period = $3 AND o.breakdown_code = $4 AND o.superseded_at IS NULL`,
    [indicator, region, period, code],
  );
  return row;
}

/** Expects the upload to be refused with `code` in `column` of `row`, and nothing written. */
async function expectRejected(csv: string, code: string, where: { row: number; column: string | null }, opts: Parameters<typeof upload>[2] = {}) {
  const before = await dataSnapshot(t);
  const res = await upload(t, csv, { as: 'burgenlandkreis-editor', ...opts });
  expect(res.status, JSON.stringify(res.body)).toBe(422);
  expect(res.body.status).toBe('REJECTED');
  expect(res.body.written).toBe(0);
  expect(res.body.errors).toContainEqual(expect.objectContaining({ code, row: where.row, column: where.column }));
  expect(await dataSnapshot(t)).toEqual(before);
  return res.body;
}

describe('validation: every code, and nothing written', () => {
  const good = { indicator: KITA, region: '15084015', period: '2026', value: '12' };

  it('UNKNOWN_INDICATOR, UNKNOWN_REGION', async () => {
    const body = await expectRejected(plainCsv([good, { ...good, indicator: 'ZZ9' }, { ...good, region: '15999', period: '2027' }]), 'UNKNOWN_INDICATOR', { row: 3, column: 'indicator' });
    expect(body.errors).toContainEqual(expect.objectContaining({ code: 'UNKNOWN_REGION', row: 4, column: 'region' }));
    expect(body.errorCount).toBe(2);
  });

  it('UNKNOWN_BREAKDOWN: a dimension the indicator lacks, an unknown dimension, a code outside a closed list', async () => {
    const body = await expectRejected(
      plainCsv([
        { ...good, breakdown_dimension: 'SEX', breakdown_code: 'F' },
        { ...good, breakdown_dimension: 'COLOUR', breakdown_code: 'RED', period: '2027' },
      ]),
      'UNKNOWN_BREAKDOWN',
      { row: 2, column: 'breakdown_dimension' },
    );
    expect(body.errors).toContainEqual(expect.objectContaining({ code: 'UNKNOWN_BREAKDOWN', row: 3 }));
    await expectRejected(plainCsv([{ ...good, indicator: 'C6', region: '15', breakdown_dimension: 'SEX', breakdown_code: 'X' }]), 'UNKNOWN_BREAKDOWN', { row: 2, column: 'breakdown_code' }, { as: 'statistik-editor' });
  });

  it('MALFORMED_PERIOD and PERIOD_TYPE_MISMATCH', async () => {
    await expectRejected(plainCsv([{ ...good, period: '2026/28' }]), 'MALFORMED_PERIOD', { row: 2, column: 'period' });
    await expectRejected(plainCsv([{ ...good, period: '2026/27' }]), 'PERIOD_TYPE_MISMATCH', { row: 2, column: 'period' });
  });

  it('MALFORMED_NUMBER: a decimal comma in plain, a decimal point where German notation is due, a bad version', async () => {
    await expectRejected(plainCsv([{ ...good, value: '"12,5"' }]), 'MALFORMED_NUMBER', { row: 2, column: 'value' });
    const de = '\uFEFFIndikator;Indikatorname;Regionalschlüssel;Region;Zeitraum;Aufgliederung;Ausprägung;Wert;Einheit\r\n' + `${KITA};x;15084015;x;2026;;_T;zwölf;places\r\n`;
    await expectRejected(de, 'MALFORMED_NUMBER', { row: 2, column: 'Wert' }, { format: 'de' });
    await expectRejected(plainCsv([{ ...good, version: 'v2' }], ['version']), 'MALFORMED_NUMBER', { row: 2, column: 'version' });
  });

  it('VALUE_OUT_OF_RANGE', async () => {
    await expectRejected(plainCsv([{ ...good, value: '-3' }]), 'VALUE_OUT_OF_RANGE', { row: 2, column: 'value' });
    await expectRejected(plainCsv([{ indicator: 'K15002-SSA', region: '15002', period: '2026/27', breakdown_dimension: 'SCHOOL_TYPE', breakdown_code: 'GS', value: '100.5' }]), 'VALUE_OUT_OF_RANGE', { row: 2, column: 'value' }, { as: 'halle-editor' });
  });

  it('SYMBOL_CONTRADICTS_VALUE and UNKNOWN_SYMBOL', async () => {
    await expectRejected(plainCsv([{ ...good, symbol: '.' }]), 'SYMBOL_CONTRADICTS_VALUE', { row: 2, column: 'symbol' });
    await expectRejected(plainCsv([{ ...good, value: '' }]), 'SYMBOL_CONTRADICTS_VALUE', { row: 2, column: 'value' });
    await expectRejected(plainCsv([{ ...good, value: '12', status: 'Q' }]), 'SYMBOL_CONTRADICTS_VALUE', { row: 2, column: 'status' });
    await expectRejected(plainCsv([{ ...good, symbol: '?' }]), 'UNKNOWN_SYMBOL', { row: 2, column: 'symbol' });
  });

  it('RATE_MISMATCH: numerator ÷ denominator must give the rate', async () => {
    const ssa = { indicator: 'K15002-SSA', region: '15002', period: '2026/27', breakdown_dimension: 'SCHOOL_TYPE', breakdown_code: 'GS' };
    await expectRejected(plainCsv([{ ...ssa, value: '30', numerator: '10', denominator: '40' }], ['numerator', 'denominator']), 'RATE_MISMATCH', { row: 2, column: 'value' }, { as: 'halle-editor' });
    // 10 / 40 = 25 %: accepted (checked only, nothing written).
    const ok = await upload(t, plainCsv([{ ...ssa, value: '25', numerator: '10', denominator: '40' }], ['numerator', 'denominator']), { as: 'halle-editor', dryRun: true });
    expect(ok.body).toMatchObject({ status: 'DRY_RUN', errorCount: 0, inserted: 1 });
  });

  it('DUPLICATE_CELL: the repetition is named with the row it repeats', async () => {
    const body = await expectRejected(plainCsv([good, { ...good, region: '15084' , period: '2030'}, { ...good, value: '13' }]), 'DUPLICATE_CELL', { row: 4, column: 'period' });
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].message).toContain('row 2');
  });

  it("REGION_NOT_WRITABLE: outside the organization's territory, or a cell of another organization", async () => {
    await expectRejected(plainCsv([{ ...good, region: '15083' }]), 'REGION_NOT_WRITABLE', { row: 2, column: 'region' });
    await expectRejected(plainCsv([{ indicator: 'C1', region: '15084', period: '2023', value: '60' }]), 'REGION_NOT_WRITABLE', { row: 2, column: 'region' });
    // The Land's statistical office may write anywhere in the Land, but not Germany.
    await expectRejected(plainCsv([{ indicator: 'C1', region: 'DG', period: '2023', value: '40' }]), 'REGION_NOT_WRITABLE', { row: 2, column: 'region' }, { as: 'statistik-editor' });
    // A cell the Land may not even see: the Burgenlandkreis' draft of 2025.
    await expectRejected(plainCsv([{ indicator: KITA, region: '15084', period: '2025', value: '40' }]), 'REGION_NOT_WRITABLE', { row: 2, column: 'region' }, { as: 'statistik-editor' });
  });

  it('REVISION_NEEDS_RELEASE: a released cell gets a new value only with release', async () => {
    const released = await cell(KITA, '15084', '2024');
    expect(released.release_state).toBe('RELEASED');
    await expectRejected(plainCsv([{ indicator: KITA, region: '15084', period: '2024', value: String(released.value + 1) }]), 'REVISION_NEEDS_RELEASE', { row: 2, column: 'value' });
  });

  it('CONFLICT: the row was edited from another version than the current one', async () => {
    const current = await cell(KITA, '15084', '2025');
    await expectRejected(
      plainCsv([{ indicator: KITA, region: '15084', period: '2025', value: String(current.value + 1), version: String(current.version + 1) }], ['version']),
      'CONFLICT',
      { row: 2, column: 'version' },
    );
  });

  it('MISSING_COLUMN and MALFORMED_CSV', async () => {
    await expectRejected('indicator,region,period\nX,Y,2020\n', 'MISSING_COLUMN', { row: 1, column: 'value' });
    await expectRejected(plainCsv([good]) + `${KITA},15084015,2027,,_T,12,A,,places,extra\n`, 'MALFORMED_CSV', { row: 3, column: null });
    await expectRejected(plainCsv([good]) + `${KITA},"15084015,2027\n`, 'MALFORMED_CSV', { row: 3, column: null });
  });

  it('MALFORMED_CSV as the CSV is read as it streams: a stray quote, a NUL character, too many columns, a row too long (with its line)', async () => {
    // Lines before the bad one that are no rows still count: a comment, a blank line, a field with a line break.
    const lead = plainCsv([good]) + `# a comment\n\n${KITA},15084015,2027,,_T,"1\n2",A,,places\n`;
    await expectRejected(lead + `${KITA},150"84015,2028,,_T,12,A,,places\n`, 'MALFORMED_CSV', { row: 7, column: null });
    await expectRejected(lead + `${KITA},"15084015"x,2028,,_T,12,A,,places\n`, 'MALFORMED_CSV', { row: 7, column: null });
    await expectRejected(lead + `${KITA},15084015,2028,,_T,1\u00002,A,,places\n`, 'MALFORMED_CSV', { row: 7, column: null });
    await expectRejected(plainCsv([good]).replace('unit', `unit${',x'.repeat(1000)}`), 'MALFORMED_CSV', { row: 1, column: null });
    await expectRejected(plainCsv([good]) + `${KITA},15084015,2027,,_T,12,A,,"${'x'.repeat((1 << 20) + 10)}"\n`, 'MALFORMED_CSV', { row: 3, column: null });
  });

  it('reads what RFC 4180 allows: CRLF, quoted fields with the delimiter, quotes and line breaks, a BOM, comment and blank lines; row numbers are lines', async () => {
    const csv = '\uFEFF' + plainCsv([good]).replace(/\n/g, '\r\n') + `#,a comment, with "quotes\r\n\r\n"${KITA}",15084015,2027,,_T,"12",A,,"places, ""many""\r\nof them"\r\n${KITA},15084015,2028,,_T,-5,A,,places\r\n`;
    const body = await expectRejected(csv, 'VALUE_OUT_OF_RANGE', { row: 7, column: 'value' });
    expect(body.rows).toBe(3);
    expect(body.errorCount).toBe(1);
    const dry = await upload(t, csv.replace(',-5,', ',5,'), { as: 'burgenlandkreis-editor', dryRun: true });
    expect(dry.body).toMatchObject({ status: 'DRY_RUN', rows: 3, inserted: 3, errorCount: 0 });
  });

  it('the mutation reports with its field names and row positions, and writes nothing', async () => {
    const before = await dataSnapshot(t);
    const res = await t.gql(IMPORT, { input: { rows: [{ indicator: KITA, region: '15084015', period: '2026', value: 5 }, { indicator: KITA, region: '15084015', period: '2026', breakdownCode: 'F', breakdownDimension: 'SEX', value: 5 }] } }, 'burgenlandkreis-editor');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.importObservations).toMatchObject({ status: 'REJECTED', errorCount: 1, written: 0, errors: [{ row: 2, column: 'breakdownDimension', code: 'UNKNOWN_BREAKDOWN' }] });
    expect(await dataSnapshot(t)).toEqual(before);
  });
});

describe('who may upload', () => {
  const csv = plainCsv([{ indicator: KITA, region: '15084015', period: '2026', value: '12' }]);

  it('the public: 401; a viewer and a read-scope API key: 403; nothing written', async () => {
    const before = await dataSnapshot(t);
    expect((await upload(t, csv)).status).toBe(401);
    const viewer = await upload(t, csv, { as: 'boerde-viewer' });
    expect(viewer.status).toBe(403);
    expect(viewer.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const readKey = await upload(t, csv, { as: 'demo-report-key' });
    expect(readKey.status).toBe(403);
    expect(readKey.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await dataSnapshot(t)).toEqual(before);
  });

  it('a READ_WRITE API key uploads', async () => {
    const created = await t.data(`mutation { createApiKey(input: { name: "Upload-Skript", scope: READ_WRITE }) { key } }`, {}, 'halle-admin');
    const res = await upload(t, plainCsv([{ indicator: 'K15002-SSA', region: '15002', period: '2030/31', breakdown_dimension: 'SCHOOL_TYPE', breakdown_code: 'GS', value: '20' }]), { bearer: created.createApiKey.key });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'COMMITTED', inserted: 1 });
  });

  it('unknown query parameters are refused (400)', async () => {
    const res = await upload(t, csv, { as: 'burgenlandkreis-editor', query: '&dryrun=true' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'dryrun' });
  });
});

describe('writing', () => {
  it('a dry run checks and counts, and writes nothing', async () => {
    const before = await dataSnapshot(t);
    const res = await upload(t, plainCsv([{ indicator: KITA, region: '15084015', period: '2026', value: '12' }]), { as: 'burgenlandkreis-editor', dryRun: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'DRY_RUN', importId: null, inserted: 1, written: 1, errorCount: 0 });
    expect(await dataSnapshot(t)).toEqual(before);
    expect(await cell(KITA, '15084015', '2026')).toBeUndefined();
  });

  it('a valid file is committed as drafts of the uploader, with the definition version and the audit trail', async () => {
    const res = await upload(
      t,
      plainCsv([
        { indicator: KITA, region: '15084015', period: '2026', value: '12' },
        { indicator: KITA, region: '15084', period: '2026', value: '412', symbol: 'p', status: 'P' },
        { indicator: KITA, region: '15084013', period: '2026', value: '', symbol: '...' },
      ]),
      { as: 'burgenlandkreis-editor' },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'COMMITTED', rows: 3, inserted: 3, revised: 0, unchanged: 0, written: 3, released: 0, errors: [] });
    const c = await cell(KITA, '15084', '2026');
    expect(c).toMatchObject({ value: 412, status: 'P', symbol: 'p', version: 1, release_state: 'DRAFT', definition_version: 1, uploaded_by: 'demo:burgenlandkreis-editor' });
    expect(await cell(KITA, '15084013', '2026')).toMatchObject({ value: null, status: 'O', symbol: '...' });
    const audit = await t.database.db.query(`SELECT action, changed_by, import_id::text, new_value FROM observation_audit WHERE import_id = $1 ORDER BY new_value`, [res.body.importId]);
    expect(audit).toEqual([
      { action: 'INSERT', changed_by: 'demo:burgenlandkreis-editor', import_id: res.body.importId, new_value: 12 },
      { action: 'INSERT', changed_by: 'demo:burgenlandkreis-editor', import_id: res.body.importId, new_value: 412 },
      { action: 'INSERT', changed_by: 'demo:burgenlandkreis-editor', import_id: res.body.importId, new_value: null },
    ]);
    const [record] = await t.database.db.query(`SELECT format, status, rows, inserted, subject FROM data_import WHERE id = $1`, [res.body.importId]);
    expect(record).toEqual({ format: 'plain', status: 'COMMITTED', rows: 3, inserted: 3, subject: 'demo:burgenlandkreis-editor' });
    // A draft: others do not see it.
    const seen = await t.data(`{ series(indicatorCodes: ["${KITA}"], regionCodes: ["15084"], from: "2026", to: "2026") { values } }`, {}, 'land-admin');
    expect(seen.series[0].values).toEqual([]);
  });
});
