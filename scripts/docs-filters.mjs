// Regenerates the operator table in docs/filters.md from the operator table in the code (run through
// `npm run docs:filters`, which builds first). test/filter/help.test.ts fails when the committed doc is stale.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderFiltersDoc } from '../dist/filter/help.js';

const path = fileURLToPath(new URL('../docs/filters.md', import.meta.url));
const before = readFileSync(path, 'utf8');
const after = renderFiltersDoc(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'docs/filters.md is up to date' : 'docs/filters.md regenerated');
