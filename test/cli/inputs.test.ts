// Input expansion: directories and globs into files of known formats, each with the relative path that
// names its --out-dir output and decides its --shard.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { commonParent, expandInputs } from '../../src/cli/inputs.js';

/** A capture store: known formats at several depths, plus files expansion must leave out. */
function store(): string {
  const root = mkdtempSync(join(tmpdir(), 'flowtx-inputs-'));
  const files = [
    'caps/2024/b.flows',
    'caps/2024/a.ndjson.gz',
    'caps/2025/c.ftx',
    'caps/top.jsonl',
    'caps/notes.txt', // unknown extension
    'caps/.hidden/x.flows', // hidden folder
    'caps/.y.flows', // hidden file
    'other/d.mitm',
  ];
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), file);
  }
  return root;
}

/** Runs expansion from inside `root`, as a user in that directory would. */
async function expandIn(root: string, specs: string[]): Promise<{ path: string; relative: string }[]> {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    return (await expandInputs(specs)).map(({ path, relative }) => ({ path, relative }));
  } finally {
    process.chdir(cwd);
  }
}

describe('expandInputs', () => {
  test('a directory: readable files below it, recursively, sorted by relative path; hidden and unknown files left out', async () => {
    expect(await expandIn(store(), ['caps'])).toEqual([
      { path: 'caps/2024/a.ndjson.gz', relative: '2024/a.ndjson.gz' },
      { path: 'caps/2024/b.flows', relative: '2024/b.flows' },
      { path: 'caps/2025/c.ftx', relative: '2025/c.ftx' },
      { path: 'caps/top.jsonl', relative: 'top.jsonl' },
    ]);
  });

  test.each([
    ['caps/**/*.flows', [['caps/2024/b.flows', '2024/b.flows']]],
    ['caps/*/*', [['caps/2024/a.ndjson.gz', '2024/a.ndjson.gz'], ['caps/2024/b.flows', '2024/b.flows'], ['caps/2025/c.ftx', '2025/c.ftx']]],
    ['caps/202[45]/*.{ftx,flows}', [['caps/2024/b.flows', '2024/b.flows'], ['caps/2025/c.ftx', '2025/c.ftx']]],
    ['*/*.{txt,jsonl,mitm}', [['caps/top.jsonl', 'caps/top.jsonl'], ['other/d.mitm', 'other/d.mitm']]],
  ])('glob %s: relative to its static part, sorted, known formats only', async (pattern, expected) => {
    expect(await expandIn(store(), [pattern])).toEqual(expected.map(([path, rel]) => ({ path, relative: rel })));
  });

  test('files named one by one keep the order given, relative to their deepest common directory', async () => {
    expect(await expandIn(store(), ['other/d.mitm', 'caps/2025/c.ftx', 'caps/notes.txt'])).toEqual([
      { path: 'other/d.mitm', relative: 'other/d.mitm' },
      { path: 'caps/2025/c.ftx', relative: 'caps/2025/c.ftx' },
      { path: 'caps/notes.txt', relative: 'caps/notes.txt' }, // named: read whatever its extension
    ]);
    expect(await expandIn(store(), ['caps/2025/c.ftx'])).toEqual([{ path: 'caps/2025/c.ftx', relative: 'c.ftx' }]);
  });

  test('arguments expand in the order given; a file met twice is read once, where first met', async () => {
    const got = await expandIn(store(), ['caps/2025/c.ftx', 'caps', '-']);
    expect(got.map((f) => f.path)).toEqual(['caps/2025/c.ftx', 'caps/2024/a.ndjson.gz', 'caps/2024/b.flows', 'caps/top.jsonl', '-']);
    expect(got.at(-1)).toEqual({ path: '-', relative: '-' });
  });

  test('sizes come with the files (for the progress bar); stdin has none', async () => {
    const root = store();
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const files = await expandInputs(['caps/2024', '-']);
      expect(files.map((f) => f.size)).toEqual(['caps/2024/a.ndjson.gz'.length, 'caps/2024/b.flows'.length, undefined]);
    } finally {
      process.chdir(cwd);
    }
  });

  test.each([
    [['nope.flows'], 'cannot read nope.flows: no such file'],
    [['caps/*.har'], 'cannot read caps/*.har: no file of a known format matches'],
    [['caps/.hidden/../notes-*'], 'cannot read caps/.hidden/../notes-*: no file of a known format matches'],
  ])('%j fails before anything runs: %s', async (specs, message) => {
    await expect(expandIn(store(), specs)).rejects.toThrow(message);
  });

  test('a directory with no readable file is an error', async () => {
    const root = store();
    mkdirSync(join(root, 'empty'));
    await expect(expandIn(root, ['empty'])).rejects.toThrow(/^cannot read empty: no file of a known format in this directory \(mitmproxy, msgpack, ndjson/);
  });
});

describe('commonParent', () => {
  test.each([
    [['/a/b/x', '/a/b/y'], '/a/b'],
    [['/a/b/x', '/a/c/y'], '/a'],
    [['/a/x', '/b/y'], '/'],
    [['/a/b/x'], '/a/b'],
  ])('%j → %s', (paths, parent) => {
    expect(relative(parent, commonParent(paths))).toBe('');
  });
});
