// The command in-process: exit codes, what goes to stdout and stderr, the JSON summary. The same main() the
// bin calls, with memory streams.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { flowtxInProcess } from '../helpers/in-process.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const SAMPLE = join(FIXTURES, 'sample.flows');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'flowtx-main-'));

describe('exit codes and streams', () => {
  test('listing: one line per flow on stdout, nothing on stderr, exit 0', async () => {
    const r = await flowtxInProcess([SAMPLE]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.toString().trim().split('\n')).toHaveLength(10);
  });

  test('stdin to stdout: the bytes come back as they were read', async () => {
    const bytes = readFileSync(join(FIXTURES, 'sample.ftx'));
    const r = await flowtxInProcess(['-', '-'], bytes);
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual(bytes);
  });

  test.each([
    [['--filter', '~m'], 2, 'flowtx: error: invalid filter expression at column 3: ~m needs a pattern'],
    [[], 2, 'flowtx: error: no input given; see flowtx --help\nRun flowtx --help for usage.\n'],
    [['-s', 'builtin:nope'], 1, 'flowtx: error: unknown built-in script builtin:nope; built-ins: builtin:decode\n'],
  ])('%j: exit %d, %s', async (args, code, stderr) => {
    const r = await flowtxInProcess(args.length === 0 ? [] : [...args, SAMPLE, '-']);
    expect(r.code).toBe(code);
    expect(r.stderr.startsWith(stderr)).toBe(true);
  });

  test('a missing input: exit 1, named, nothing written', async () => {
    const out = join(tmp(), 'out.flows');
    const r = await flowtxInProcess(['/nonexistent/in.flows', SAMPLE, out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('flowtx: error: cannot read /nonexistent/in.flows: no such file\n');
    expect(existsSync(out)).toBe(false);
  });

  test('a truncated input: complete flows written and committed, exit 1 naming file, flow and offset', async () => {
    const dir = tmp();
    const cut = join(dir, 'cut.ftx');
    const bytes = readFileSync(join(FIXTURES, 'sample.ftx'));
    writeFileSync(cut, bytes.subarray(0, bytes.byteLength - 5));
    const r = await flowtxInProcess([cut, join(dir, 'out.ndjson')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^flowtx: error: ${cut.replace(/[.]/g, '\\.')}: flow #9 at byte \\d+: `));
    expect(readFileSync(join(dir, 'out.ndjson'), 'utf8').trim().split('\n')).toHaveLength(9);
  });

  test('the JSON summary goes to stderr when stdout carries the flows', async () => {
    const r = await flowtxInProcess([SAMPLE, '-', '--to', 'ndjson', '--json-summary']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString().trim().split('\n')).toHaveLength(10);
    expect(JSON.parse(r.stderr)).toMatchObject({ ok: true, exitCode: 0, flows: { read: 10, written: 10 } });
  });
});
