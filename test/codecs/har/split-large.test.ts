// The HAR splitter and an entry longer than a string can be: refused where it starts, as soon as that many
// bytes were read, after handing out every entry before it.

import { expect, test } from 'vitest';
import { HarSplitter } from '../../../src/codecs/har/split.js';
import type { SplitEntry } from '../../../src/codecs/har/split.js';

test('an entry longer than the longest string fails, located, before its end is read', () => {
  const head = '{"log":{"version":"1.2","entries":[{"a":1},';
  const long = `{"b":"${'x'.repeat(400)}"}`;
  const doc = Buffer.from(`${head}${long}]}}`);
  const splitter = new HarSplitter('in.har', 100);
  const entries: SplitEntry[] = [];
  let pushed = 0;
  for (let at = 0; at < doc.byteLength && splitter.fault === undefined; at += 16) {
    entries.push(...splitter.push(doc.subarray(at, at + 16)));
    pushed = at + 16;
  }
  expect(entries.map((e) => e.value)).toEqual([{ a: 1 }]);
  expect(splitter.fault?.message).toBe(
    `in.har: flow #1 at byte ${head.length}: entry of more than 100 bytes is longer than the longest string this runtime makes (100 characters)`,
  );
  expect(pushed).toBeLessThanOrEqual(head.length + 100 + 16);
});

test('an entry of the longest length is read', () => {
  const entry = `{"b":"${'x'.repeat(90)}"}`;
  const doc = Buffer.from(`{"log":{"version":"1.2","entries":[${entry}]}}`);
  const splitter = new HarSplitter('in.har', entry.length);
  const entries: SplitEntry[] = [];
  for (let at = 0; at < doc.byteLength; at += 16) entries.push(...splitter.push(doc.subarray(at, at + 16)));
  entries.push(...splitter.end());
  expect(splitter.fault).toBeUndefined();
  expect(entries).toHaveLength(1);
});
