import { describe, expect, test } from 'vitest';
import { splitScriptSpec, suggestHook } from '../../src/scripts/load.js';

describe('splitScriptSpec', () => {
  test.each([
    ['scrub.ts', ['scrub.ts']],
    ['scrub.ts --keep-cookies', ['scrub.ts', '--keep-cookies']],
    ['  a.ts   b  c ', ['a.ts', 'b', 'c']],
    [`a.ts "two words" 'single "q"'`, ['a.ts', 'two words', 'single "q"']],
    ['my\\ script.ts x', ['my script.ts', 'x']],
    ['a.ts ""', ['a.ts', '']],
  ])('%s', (spec, argv) => {
    expect(splitScriptSpec(spec)).toEqual(argv);
  });

  test('an unterminated quote is an error', () => {
    expect(() => splitScriptSpec('a.ts "oops')).toThrow('unterminated " quote in -s "a.ts \\"oops"');
  });
});

describe('suggestHook', () => {
  test.each([
    ['respone', 'response'],
    ['Response', 'response'],
    ['requests', 'request'],
    ['onRequest', 'request'],
    ['errror', 'error'],
    ['strat', 'start'],
    ['clientConnect', 'clientconnect'],
    ['helper', undefined],
    ['parseBody', undefined],
    ['run', undefined],
  ])('%s → %s', (name, hook) => {
    expect(suggestHook(name)).toBe(hook);
  });
});
