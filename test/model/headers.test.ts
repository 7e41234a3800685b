import { describe, expect, test } from 'vitest';
import { ChangeMark } from '../../src/model/change.js';
import { Headers, type HeaderField } from '../../src/model/headers.js';

const fields = (): HeaderField[] => [
  ['Host', 'example.com'],
  ['Set-Cookie', 'a=1'],
  ['X-Thing', 'one'],
  ['set-cookie', 'b=2'],
];

describe('Headers', () => {
  test.each([
    ['host', 'example.com'],
    ['HOST', 'example.com'],
    ['set-cookie', 'a=1, b=2'],
    ['missing', undefined],
  ])('get(%s) is case-insensitive and joins duplicates', (name, expected) => {
    expect(new Headers(fields()).get(name)).toBe(expected);
  });

  test('getAll keeps every value in wire order', () => {
    expect(new Headers(fields()).getAll('SET-COOKIE')).toEqual(['a=1', 'b=2']);
  });

  test.each<[string, (h: Headers) => void, HeaderField[]]>([
    ['set replaces all at the first position, keeping its spelling', (h) => h.set('SET-COOKIE', 'c=3'), [['Host', 'example.com'], ['Set-Cookie', 'c=3'], ['X-Thing', 'one']]],
    ['set appends when absent', (h) => h.set('X-New', 'v'), [...fields(), ['X-New', 'v']]],
    ['set with a list sets several fields', (h) => h.set('x-thing', ['1', '2']), [['Host', 'example.com'], ['Set-Cookie', 'a=1'], ['X-Thing', '1'], ['X-Thing', '2'], ['set-cookie', 'b=2']]],
    ['add keeps existing ones', (h) => h.add('x-thing', 'two'), [...fields(), ['x-thing', 'two']]],
    ['delete removes every spelling', (h) => h.delete('Set-Cookie'), [['Host', 'example.com'], ['X-Thing', 'one']]],
    ['clear empties', (h) => h.clear(), []],
  ])('%s', (_name, change, expected) => {
    const h = new Headers(fields());
    change(h);
    expect(h.fields).toEqual(expected);
  });

  test('iteration yields [name, value] in order; names() lists distinct names', () => {
    const h = new Headers(fields());
    expect([...h]).toEqual(fields());
    expect(h.names()).toEqual(['Host', 'Set-Cookie', 'X-Thing']);
    expect(h.has('x-THING')).toBe(true);
    expect(h.delete('nope')).toBe(false);
  });

  test('accepts a record with arrays', () => {
    expect(new Headers({ a: '1', b: ['2', '3'] }).fields).toEqual([['a', '1'], ['b', '2'], ['b', '3']]);
  });

  test('wrapped headers write through to the storage and mark changes', () => {
    const storage = fields();
    const mark = new ChangeMark();
    const h = Headers.wrap(storage, mark);
    h.get('host');
    expect(mark.changed).toBe(false);
    h.add('x', 'y');
    expect(mark.changed).toBe(true);
    expect(storage.at(-1)).toEqual(['x', 'y']);
  });
});
