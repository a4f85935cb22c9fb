import fs from 'node:fs';
import path from 'node:path';
import { hubSchemaSdl } from './graphql/schema';

/** `npm run schema`: writes the SDL to schema.graphql at the repository root. */
const target = path.resolve(__dirname, '../../schema.graphql');
fs.writeFileSync(target, hubSchemaSdl());
console.log(`wrote ${target}`);
