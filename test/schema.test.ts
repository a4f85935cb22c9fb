import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType } from 'graphql';
import { hubSchema, hubSchemaSdl } from '../src/graphql/schema';

describe('schema.graphql', () => {
  it('is the SDL the code builds (run `npm run schema` after changing the schema)', () => {
    const committed = fs.readFileSync(path.resolve(__dirname, '../schema.graphql'), 'utf8');
    expect(committed).toBe(hubSchemaSdl());
  });

  it('documents every type, field, argument and enum value', () => {
    const missing: string[] = [];
    for (const type of Object.values(hubSchema().getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type)) for (const v of type.getValues()) if (!v.description) missing.push(`${type.name}.${v.name}`);
      if (isScalarType(type) && !type.description) missing.push(type.name);
    }
    expect(missing).toEqual([]);
  });

  it('coerces every input value to itself, as the executor relies on (src/graphql/jit.ts coerces twice)', () => {
    const changed: string[] = [];
    const samples: Record<string, unknown> = { DateTimeISO: '2024-01-31T10:00:00Z', LocalDate: '2024-01-31', Int: 3, Float: 1.5, String: 'x', Boolean: true, ID: '7' };
    for (const type of Object.values(hubSchema().getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (isEnumType(type)) for (const v of type.getValues()) if (v.value !== v.name) changed.push(`${type.name}.${v.name}`);
      if (isScalarType(type)) {
        expect(samples, `a sample value for the scalar ${type.name}`).toHaveProperty(type.name);
        const once = type.parseValue(samples[type.name]);
        if (String(type.parseValue(once)) !== String(once)) changed.push(type.name);
      }
    }
    expect(changed).toEqual([]);
  });

  it('keeps the public contract names of DESIGN §5', () => {
    const s = hubSchema();
    const enumValues = (name: string) => (s.getType(name) as any).getValues().map((v: any) => v.name).sort();
    expect(enumValues('RegionLevel')).toEqual(['BUND', 'GEMEINDE', 'KREIS', 'LAND']);
    expect(enumValues('ObservationStatus')).toEqual(['A', 'B', 'E', 'L', 'M', 'O', 'P', 'Q', 'R', 'U']);
    expect(enumValues('ReleaseState')).toEqual(['DRAFT', 'RELEASED']);
    expect(enumValues('BreakdownDimension')).toEqual(['AGE_GROUP', 'NATIONALITY', 'SCHOOL_TYPE', 'SEX']);
    const obs = (s.getType('Observation') as any).getFields();
    expect(String(obs.value.type)).toBe('Float');
    expect(String(obs.status.type)).toBe('ObservationStatus!');
    expect(String(obs.symbol.type)).toBe('String!');
    expect(String(obs.confidential.type)).toBe('Boolean!');
    expect(String(obs.releaseState.type)).toBe('ReleaseState!');
    const series = (s.getType('Query') as any).getFields().series;
    expect(series.args.map((a: any) => a.name).sort()).toEqual(
      ['asOf', 'breakdown', 'from', 'indicatorCodes', 'latest', 'parentCode', 'regionCodes', 'regionLevel', 'to'].sort(),
    );
    expect(Object.keys((s.getType('TimeSeries') as any).getFields())).toEqual(
      expect.arrayContaining(['indicator', 'region', 'breakdown', 'points', 'periods', 'values', 'statuses']),
    );
  });
});
