// The command line's edge cases from the audit: an option left without its value is a usage error (exit 2)
// and never a run without scripts; the JSON summary names an input that cannot be read as failed.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { flowtxInProcess } from '../helpers/in-process.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const SAMPLE = join(FIXTURES, 'sample.flows');
const SCRIPT = resolve(import.meta.dirname, '../../examples/add_header.ts');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'flowtx-argv-'));

describe('an option without its value', () => {
  // `OUT` stands for an output path; each line must exit 2 with the message and write nothing.
  test.each([
    [['SAMPLE', 'OUT', '-s'], 'Not enough arguments following: s'],
    [['SAMPLE', 'OUT', '--script'], 'Not enough arguments following: script'],
    [['-s', 'SCRIPT', 'SAMPLE', 'OUT', '-s'], 'Not enough arguments following: s'],
    [['-s', '--quiet', 'SAMPLE', 'OUT'], 'Not enough arguments following: s'],
    [['SAMPLE', 'OUT', '--set'], 'Not enough arguments following: set'],
    [['-w', 'OUT', 'SAMPLE', '-r'], 'Not enough arguments following: r'],
    [['-s', '', 'SAMPLE', 'OUT'], '-s/--script needs a value; got an empty one (an unset variable?)'],
    [['-s', '  ', 'SAMPLE', 'OUT'], '-s/--script needs a value; got an empty one (an unset variable?)'],
    [['-s', 'SCRIPT', '-s', '', 'SAMPLE', 'OUT'], '-s/--script needs a value; got an empty one (an unset variable?)'],
    [['--set', '', 'SAMPLE', 'OUT'], '--set needs a value; got an empty one (an unset variable?)'],
    [['-r', '', '-w', 'OUT'], '-r/--read needs a value; got an empty one (an unset variable?)'],
  ])('%j: exit 2, %s', async (args, message) => {
    const out = join(tmp(), 'out.flows');
    const argv = args.map((a) => (a === 'SAMPLE' ? SAMPLE : a === 'OUT' ? out : a === 'SCRIPT' ? SCRIPT : a));
    const r = await flowtxInProcess(argv);
    expect(r.stderr).toBe(`flowtx: error: ${message}\nRun flowtx --help for usage.\n`);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe('--json-summary: an input that cannot be read failed', () => {
  // [the inputs, the status of each, the error of the failed one]
  test.each([
    [['/nonexistent/in.flows'], ['failed'], 'cannot read /nonexistent/in.flows: no such file'],
    [['SAMPLE', '/nonexistent/in.flows'], ['skipped', 'failed'], 'cannot read /nonexistent/in.flows: no such file'],
    [['/nonexistent/*.flows'], ['failed'], 'cannot read /nonexistent/*.flows: no file of a known format matches'],
    [['EMPTY'], ['failed'], 'cannot read EMPTY: no file of a known format in this directory (mitmproxy, msgpack, ndjson, har)'],
  ])('%j', async (inputs, statuses, error) => {
    const empty = tmp();
    const named = inputs.map((i) => (i === 'SAMPLE' ? SAMPLE : i === 'EMPTY' ? empty : i));
    const r = await flowtxInProcess([...named, join(tmp(), 'out.flows'), '--json-summary']);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout.toString()) as { inputs: { status: string; error: string | null }[]; files: object; errors: string[] };
    const message = error.replace('EMPTY', empty);
    expect(summary.inputs.map((i) => i.status)).toEqual(statuses);
    expect(summary.inputs.map((i) => i.error)).toEqual(statuses.map((s) => (s === 'failed' ? message : null)));
    expect(summary.files).toEqual({ total: inputs.length, ok: 0, failed: 1, skipped: inputs.length - 1 });
    expect(summary.errors).toEqual([message]);
  });
});
