// The API shims that scripts get inside a run (api.mjs, api.cjs) must offer every runtime export of index.ts.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import * as api from '../src/index.js';

test('api.mts re-exports every runtime export of index.ts', () => {
  const source = readFileSync(join(import.meta.dirname, '../src/api.mts'), 'utf8');
  const exported = /export const \{([^}]*)\} = api;/.exec(source)![1]!.split(',').map((s) => s.trim()).filter(Boolean);
  expect(exported.sort()).toEqual(Object.keys(api).sort());
});
