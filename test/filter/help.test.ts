// The operator table is the one source of the help text and of docs/filters.md's generated part.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { filterHelpText, renderFiltersDoc } from '../../src/filter/help.js';
import { OPERATORS } from '../../src/filter/operators.js';

test('docs/filters.md is up to date with the operator table (run `npm run docs:filters`)', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/filters.md'), 'utf8');
  expect(renderFiltersDoc(doc)).toBe(doc);
});

test('--help-filters lists every operator with its argument and help', () => {
  const text = filterHelpText();
  for (const op of OPERATORS) {
    const arg = op.argument === 'none' ? '' : op.argument === 'int' ? ' int' : ' regex';
    expect(text).toMatch(new RegExp(`^  ~${op.name}${arg} +${op.help.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  }
});
