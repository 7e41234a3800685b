// Where the command may write: --out-dir never below anything but DIR (a glob's alternatives may lie below
// different folders), an output that is an input under another name (a symbolic or a hard link) needs
// --in-place, a rewritten capture keeps its mode, and a write error names the output.

import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { globBase } from '../../src/cli/inputs.js';
import { flowtxInProcess } from '../helpers/in-process.js';

const SAMPLE = resolve(import.meta.dirname, '../../fixtures/sample.flows');
const SCRIPT = resolve(import.meta.dirname, '../../examples/add_header.ts');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'flowtx-outputs-'));

/** A folder holding `names` (paths below it), each a copy of the sample. */
function tree(names: string[]): string {
  const root = tmp();
  for (const name of names) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    copyFileSync(SAMPLE, join(root, name));
  }
  return root;
}

describe('a glob pattern\'s base: the folders before its first glob character', () => {
  test.each([
    ['captures/**/*.flows', 'captures'],
    ['captures/2024/*.{flows,har}', 'captures/2024'],
    ['a/{b,c}/*.flows', 'a'],
    ['a/{b/c,d}/*.flows', 'a'],
    ['{b,../x}/*.flows', '.'],
    ['../x/*.flows', '../x'],
    ['*.flows', '.'],
    ['/abs/cap?/*.flows', '/abs'],
    ['/*.flows', '/'],
    ['a/[bc]/x.flows', 'a'],
    ['a/@(b|c)/x.flows', 'a'],
  ])('%s → %s', (pattern, base) => {
    expect(globBase(pattern)).toBe(base);
  });
});

describe('--out-dir stays in its folder', () => {
  // The audit's case: alternatives below different folders; the one that climbs is refused before anything runs.
  test("'{b,../x}/*.flows' is refused: it would write outside DIR", async () => {
    const root = tree(['w/b/a.flows', 'x/c.flows']);
    const out = join(root, 'w', 'out');
    const r = await flowtxInProcess([join(root, 'w', '{b,../x}/*.flows'), '--out-dir', out, '--jobs', '1']);
    expect(r.stderr).toBe(
      `flowtx: error: ${root}/w/../x/c.flows would be written outside --out-dir ${out} (as ${join(root, 'w/x/c.flows')}); give patterns whose matches lie below their static part\nRun flowtx --help for usage.\n`,
    );
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(root, 'x'))).toEqual(['c.flows']);
    expect(readdirSync(join(root, 'w')).sort()).toEqual(['b']);
  });

  test("'{b,c}/*.flows': each alternative keeps its folder below DIR", async () => {
    const root = tree(['b/a.flows', 'c/a.flows']);
    const out = join(root, 'out');
    const r = await flowtxInProcess([join(root, '{b,c}/*.flows'), '--out-dir', out, '--jobs', '1']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(readdirSync(out).sort()).toEqual(['b', 'c']);
    expect(readdirSync(join(out, 'b'))).toEqual(['a.flows']);
  });
});

describe('an output that is an input under another name', () => {
  // [how the output names the input]
  test.each([
    ['a hard link', (input: string, output: string) => linkSync(input, output)],
    ['a symbolic link', (input: string, output: string) => symlinkSync(input, output)],
  ])('%s: refused without --in-place, in concatenation and with --out-dir', async (_how, link) => {
    const root = tree(['in/a.flows']);
    const input = join(root, 'in', 'a.flows');
    const output = join(root, 'alias.flows');
    link(input, output);
    const r = await flowtxInProcess([input, output]);
    expect(r.stderr).toBe(`flowtx: error: output ${output} is also an input; add --in-place to rewrite it safely\nRun flowtx --help for usage.\n`);
    expect(r.code).toBe(2);

    mkdirSync(join(root, 'out'));
    link(input, join(root, 'out', 'a.flows'));
    const mirrored = await flowtxInProcess([join(root, 'in'), '--out-dir', join(root, 'out')]);
    expect(mirrored.code).toBe(2);
    expect(mirrored.stderr).toContain(`output ${join(root, 'out', 'a.flows')} is also an input`);
  });
});

describe('a rewritten file keeps its mode', () => {
  test.each([0o600, 0o640, 0o644])('--in-place over a capture of mode %o (decimal)', async (mode) => {
    const root = tree(['cap.flows']);
    const capture = join(root, 'cap.flows');
    chmodSync(capture, mode);
    const r = await flowtxInProcess(['-s', SCRIPT, '--in-place', capture]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(statSync(capture).mode & 0o777).toBe(mode);
    expect(readdirSync(root)).toEqual(['cap.flows']);
  });

  test('a new output is 0600, whatever the umask', async () => {
    const out = join(tmp(), 'new.flows');
    const previous = process.umask(0o002);
    try {
      expect((await flowtxInProcess([SAMPLE, out])).code).toBe(0);
    } finally {
      process.umask(previous);
    }
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});

test('a write error names the output, not its temporary file', async () => {
  const out = join(tmp(), 'missing', 'out.flows');
  const r = await flowtxInProcess([SAMPLE, out, '--json-summary']);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(`flowtx: error: cannot write ${out}: no such directory\n`);
  expect(JSON.parse(r.stdout.toString()).errors).toEqual([`cannot write ${out}: no such directory`]);
});
