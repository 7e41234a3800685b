// JSON-pointer patches: a patch turns the derived document into the original, and a guarded value yields
// to a change made since.

import { fc, test as prop } from '@fast-check/vitest';
import { expect, test } from 'vitest';
import { applyPatch, diff, type Json, type JsonObject } from '../../../src/codecs/har/json-patch.js';

const json = fc.jsonValue() as fc.Arbitrary<Json>;
const object = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('a/b', 'c~d', '__proto__', '')), json, { maxKeys: 5 }) as fc.Arbitrary<JsonObject>;

prop.prop([object, object], { numRuns: 300 })('applying diff(a, b) to a gives b', (a, b) => {
  expect(applyPatch(structuredClone(a), diff(a, b))).toEqual(b);
});

test.each<[string, JsonObject, JsonObject, object]>([
  ['a field the derived document lacks', { x: 1 }, { x: 1, y: { z: [1] } }, { entry: { '/y': { z: [1] } }, derived: {}, absent: [] }],
  ['a field the original lacks', { x: 1, y: 2 }, { x: 1 }, { entry: {}, derived: { '/y': 2 }, absent: ['/y'] }],
  ['a changed value deep inside, keys escaped', { 'a/b': [{ '~': 1 }, 2] }, { 'a/b': [{ '~': 3 }, 2] }, { entry: { '/a~1b/0/~0': 3 }, derived: { '/a~1b/0/~0': 1 }, absent: [] }],
  ['arrays of other lengths are replaced whole', { l: [1, 2] }, { l: [1] }, { entry: { '/l': [1] }, derived: { '/l': [1, 2] }, absent: [] }],
])('diff: %s', (_what, derived, original, patch) => {
  expect(diff(derived, original)).toEqual(patch);
});

test('a kept value is written only while the model still derives what it derived when read', () => {
  const patch = diff({ size: 10, text: 'a', gone: 1 }, { size: 12, text: 'a', extra: true });
  expect(applyPatch({ size: 10, text: 'a', gone: 1 }, patch)).toEqual({ size: 12, text: 'a', extra: true });
  // The body changed: its size is the model's; the field the model never derived is still added.
  expect(applyPatch({ size: 20, text: 'bb', gone: 2 }, patch)).toEqual({ size: 20, text: 'bb', gone: 2, extra: true });
});
