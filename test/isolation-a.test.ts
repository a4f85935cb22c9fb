import { it } from 'vitest';
import { assertIsolated } from './support/isolation';

// Twin of isolation-b.test.ts: fails if two test files could see each other's writes.
it('sees only its own writes', () => assertIsolated('a'));
