// --shard K/N: every file falls in exactly one shard, chosen by its relative path alone.

import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { inShard, parseShard, shardOf } from '../../src/cli/shard.js';

describe('parseShard', () => {
  test.each([
    ['1/1', { index: 1, count: 1 }],
    ['3/8', { index: 3, count: 8 }],
    [' 8/8 ', { index: 8, count: 8 }],
  ])('%j', (text, shard) => expect(parseShard(text)).toEqual(shard));

  test.each(['0/4', '5/4', '1/0', '1', '1/4/2', 'a/b', '-1/4', '1.5/4', ''])('%j is a usage error', (text) => {
    expect(() => parseShard(text)).toThrow(`--shard expects K/N with 1 ≤ K ≤ N (for example 1/4), got ${JSON.stringify(text)}`);
  });
});

describe('sharding', () => {
  prop.prop([fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 200 }), fc.integer({ min: 1, max: 16 })])(
    'the N shards partition any set of paths exactly',
    (paths, count) => {
      const shards = Array.from({ length: count }, (_, k) => paths.filter((p) => inShard(p, { index: k + 1, count })));
      expect(shards.flat().sort()).toEqual([...paths].sort());
      expect(shards.reduce((n, s) => n + s.length, 0)).toBe(paths.length);
    },
  );

  // Pinned: the hash is part of the interface (machines with different flowtx builds must agree).
  test.each([
    ['2024/b.flows', 4, 4],
    ['2024/a.ndjson.gz', 4, 2],
    ['top.jsonl', 4, 4],
    ['part-1.flows', 8, 7],
    ['part-2.flows', 8, 6],
    ['part-3.flows', 8, 2],
  ])('%s of %d shards is in shard %d', (path, count, shard) => {
    expect(shardOf(path, count)).toBe(shard);
  });

  test('the shards spread 1,000 paths roughly evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[shardOf(`captures/day-${i}.flows`, 4) - 1]!++;
    for (const n of counts) expect(n).toBeGreaterThan(200);
  });
});
