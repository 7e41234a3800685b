// --out-dir planning: output names per format, and the clashes refused before anything runs.

import { describe, expect, test } from 'vitest';
import { outputName, planOutputs } from '../../src/cli/outdir.js';
import { codecByName } from '../../src/codecs/registry.js';

describe('outputName', () => {
  test.each([
    ['a/x.flows', undefined, 'a/x.flows'],
    ['a/x.flows', 'ndjson', 'a/x.ndjson'],
    ['a/x.mitm', 'mitmproxy', 'a/x.mitm'], // already a mitmproxy name: kept
    ['x.ndjson.gz', 'msgpack', 'x.ftx.gz'], // compressed in, compressed out
    ['x.jsonl', 'ndjson', 'x.jsonl'],
    ['odd.bin', 'ndjson', 'odd.bin.ndjson'], // an unknown extension is kept and one added
    ['noext', 'mitmproxy', 'noext.flows'],
  ])('%s with --to %s → %s', (relative, to, expected) => {
    expect(outputName(relative, to === undefined ? undefined : codecByName(to))).toBe(expected);
  });
});

describe('planOutputs', () => {
  const files = (...relatives: string[]) => relatives.map((relative) => ({ path: `in/${relative}`, relative, size: 1 }));
  const never = (): boolean => false;

  test('each input below the directory, at its relative path', () => {
    expect(planOutputs(files('a/x.flows', 'y.ftx'), 'out', codecByName('ndjson'), never, false)).toEqual([
      { input: 'in/a/x.flows', output: 'out/a/x.ndjson', format: 'ndjson' },
      { input: 'in/y.ftx', output: 'out/y.ndjson', format: 'ndjson' },
    ]);
  });

  test.each([
    ['two inputs onto one output', files('x.flows', 'x.ftx'), 'in/x.flows and in/x.ftx would both be written to out/x.ndjson', never, false],
    ['an output that is an input', files('x.flows'), 'output out/x.ndjson is also an input; add --in-place to rewrite it safely', () => true, false],
    ['stdin', [{ path: '-', relative: '-', size: undefined }], 'stdin ("-") cannot be an input with --out-dir: it has no name to write under', never, false],
  ])('%s is a usage error', (_name, inputs, message, isInput, inPlace) => {
    expect(() => planOutputs(inputs, 'out', codecByName('ndjson'), isInput, inPlace)).toThrow(message);
  });

  test('--in-place allows writing over the inputs', () => {
    expect(planOutputs(files('x.flows'), 'in', undefined, () => true, true)).toEqual([{ input: 'in/x.flows', output: 'in/x.flows', format: undefined }]);
  });
});
