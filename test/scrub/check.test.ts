// `flowtx scrub --check` and `--report` in-process: every input format, gzip, stdin, --filter, --select and
// --shard work as in run; the findings reach the summary; builtin:scrub's --check argument. Spawned runs
// (--jobs workers, file modes, the real corpus) are in test/cli/scrub-check.test.ts.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { scrubSpec } from '../../src/cli/scrub.js';
import { parseScrubArgs, scrubFindings } from '../../src/scrub/script.js';
import { tmp } from '../helpers/cli.js';
import { flowtxInProcess } from '../helpers/in-process.js';

const SAMPLE = 'fixtures/sample.flows';
const SAMPLE_SECRETS = ['eyJhbGciOi.secret', 'sk_live_123', 'abc123', 'hunter2-secret'];

interface CheckSummary {
  exitCode: number;
  findings?: number;
  files: { total: number };
  inputs: { path: string; findings?: { where: string; rule: string; count: number }[] }[];
  flows: { written: number };
}

async function check(args: string[], input?: Buffer): Promise<{ code: number | null; stderr: string; summary: CheckSummary }> {
  const r = await flowtxInProcess(['scrub', '--check', '--json-summary', ...args], input === undefined ? {} : { input });
  for (const secret of SAMPLE_SECRETS) expect(r.stdout + r.stderr).not.toContain(secret);
  return { code: r.code, stderr: r.stderr, summary: JSON.parse(r.stdout) as CheckSummary };
}

describe('flowtx scrub --check, in-process', () => {
  test('every format and gzip: fails on the sample as written in it, passes on its scrubbed copy', async () => {
    const dir = tmp('flowtx-check-');
    for (const ext of ['flows', 'ndjson', 'har', 'ftx']) {
      const copy = join(dir, `sample.${ext}`);
      expect((await flowtxInProcess([SAMPLE, copy])).code).toBe(0);
      const gz = `${copy}.gz`;
      writeFileSync(gz, gzipSync(readFileSync(copy)));
      for (const input of [copy, gz]) {
        const found = await check([input]);
        expect(found.code, input).toBe(1);
        expect(found.summary.findings, input).toBe(7);
        expect(found.summary.flows.written).toBe(0);
        expect(found.stderr).toContain(`${input}: flow #2: request.header cookie session (cookie)`);
        const clean = join(dir, `clean-${ext}${input === gz ? '.gz' : ''}.${ext}`);
        expect((await flowtxInProcess(['scrub', input, clean])).code).toBe(0);
        const passed = await check([clean]);
        expect(passed.code, clean).toBe(0);
        expect(passed.summary.findings).toBe(0);
      }
    }
  });

  test('stdin is an input; findings are counted per input and place', async () => {
    const r = await check(['-', SAMPLE], readFileSync(SAMPLE));
    expect(r.code).toBe(1);
    expect(r.summary.findings).toBe(14);
    expect(r.summary.inputs.map((i) => i.path)).toEqual(['-', SAMPLE]);
    expect(r.summary.inputs[0]!.findings).toEqual(r.summary.inputs[1]!.findings);
    expect(r.summary.inputs[0]!.findings).toContainEqual({ where: 'request.url query api_key', rule: 'key', count: 1 });
    expect(r.stderr).toContain('-: flow #0: request.url query api_key (key)');
  });

  test('--filter and --select limit what is checked; a trailing filter expression too', async () => {
    const filtered = await check([SAMPLE, '--filter', '~u api_key']);
    expect(filtered.summary.findings).toBe(2);
    expect(filtered.code).toBe(1);
    const trailing = await check([SAMPLE, '~u', 'api_key']);
    expect(trailing.summary.findings).toBe(2);
    const selected = await check([SAMPLE, '--select', '~u /v1/login']);
    expect(selected.summary.findings).toBe(3);
    const none = await check([SAMPLE, '--filter', '~u /logo.png']);
    expect(none.code).toBe(0);
    expect(none.summary.findings).toBe(0);
  });

  test('--shard checks its share of the files', async () => {
    const dir = tmp('flowtx-check-');
    for (const name of ['a.flows', 'b.flows', 'c.flows', 'd.flows']) writeFileSync(join(dir, name), readFileSync(SAMPLE));
    // --jobs 1: worker threads run the built bundle, which in-process tests do not rely on.
    const shares = [await check([dir, '--shard', '1/2', '--jobs', '1']), await check([dir, '--shard', '2/2', '--jobs', '1'])];
    expect(shares.map((s) => s.summary.files.total).reduce((a, b) => a + b)).toBe(4);
    expect(shares.map((s) => s.summary.findings ?? 0).reduce((a, b) => a + b)).toBe(28);
  });

  test('--report without --check counts what was redacted, per input of one concatenated stream', async () => {
    const dir = tmp('flowtx-check-');
    const report = join(dir, 'report.json');
    const copy = join(dir, 'copy.flows');
    writeFileSync(copy, readFileSync(SAMPLE));
    const r = await flowtxInProcess(['scrub', SAMPLE, copy, join(dir, 'out.flows'), '--report', report, '-q']);
    expect(r.code).toBe(0);
    const { files, total } = JSON.parse(readFileSync(report, 'utf8')) as { files: { path: string; redacted: number; findings: unknown[] }[]; total: number };
    expect(total).toBe(14);
    expect(files.map((f) => [f.path, f.redacted])).toEqual([[SAMPLE, 7], [copy, 7]]);
    expect(files[0]!.findings).toEqual(files[1]!.findings);
  });

  test('run has no findings in its summary; scrub has them without --check', async () => {
    const dir = tmp('flowtx-check-');
    const plain = await flowtxInProcess([SAMPLE, join(dir, 'a.flows'), '--json-summary']);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('findings');
    const scrubbed = await flowtxInProcess(['scrub', SAMPLE, join(dir, 'b.flows'), '--json-summary', '-q']);
    expect(scrubbed.code).toBe(0);
    expect(JSON.parse(scrubbed.stdout)).toMatchObject({ findings: 7, exitCode: 0 });
  });

  test('a usage error for an OUTPUT, for --jobs over stdin; --report needs a value', async () => {
    expect((await flowtxInProcess(['scrub', '--check', '-', SAMPLE, '--jobs', '2'])).code).toBe(2);
    expect((await flowtxInProcess(['scrub', '--check', SAMPLE, '-w', 'x.flows'])).code).toBe(2);
    expect((await flowtxInProcess(['scrub', '--check', SAMPLE, '--report', ''])).code).toBe(2);
    expect((await flowtxInProcess(['scrub', SAMPLE, '-', '--report', '-'])).code).toBe(2);
    const taken = await flowtxInProcess(['scrub', '--check', SAMPLE, '--report', SAMPLE]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('names an input or the output');
    expect((await flowtxInProcess(['scrub', '--check', SAMPLE, '--report', '-', '--json-summary'])).code).toBe(2);
    const toStdout = await flowtxInProcess(['scrub', '--check', SAMPLE, '--report', '-', '-q']);
    expect(toStdout.code).toBe(1);
    expect(JSON.parse(toStdout.stdout)).toMatchObject({ total: 7, files: [{ path: SAMPLE, found: 7 }] });
  });
});

describe('builtin:scrub --check', () => {
  test('parsed from its -s string, which flowtx scrub --check writes', () => {
    expect(parseScrubArgs(['--check'])).toMatchObject({ check: true, style: 'hmac' });
    expect(parseScrubArgs([])).toMatchObject({ check: false });
    expect(() => parseScrubArgs(['--chek'])).toThrow(/--check/);
    expect(scrubSpec(undefined, 'fixed', true)).toBe('builtin:scrub --style fixed --check');
    expect(scrubSpec(undefined, 'hmac')).toBe('builtin:scrub --style hmac');
  });

  test('scrubFindings reads nothing from a state it never wrote', () => {
    expect(scrubFindings({})).toEqual([]);
  });
});
