// End to end: `flowtx scrub --check` and `--report` as a user types them. Spawns the built command, so --jobs
// workers load builtin:scrub (with --check in its -s string) from their own bundle.

import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SHARED_CORPUS } from '../helpers/corpus.js';
import { flowtx, ROOT, tmp } from '../helpers/cli.js';

const SAMPLE = join(ROOT, 'fixtures/sample.flows');
/** The secret values fixtures/sample.flows carries (Authorization, api_key, session cookie, password). */
const SAMPLE_SECRETS = ['eyJhbGciOi.secret', 'sk_live_123', 'abc123', 'hunter2-secret'];
const CURL_MIXED = join(SHARED_CORPUS, 'real/curl-mixed.flows');

interface Report {
  files: { path: string; status: string; findings: { where: string; rule: string; count: number }[]; found?: number; redacted?: number }[];
  total: number;
}

const readReport = (path: string): Report => JSON.parse(readFileSync(path, 'utf8')) as Report;

/** The finding lines of --check's stderr: `FILE: flow #I: WHERE (RULE)`. */
const findingLines = (stderr: string): string[] => stderr.split('\n').filter((line) => /^\[builtin:scrub\] warn: .*: flow #\d+: .* \([^)]+\)$/.test(line));

describe('flowtx scrub --check', () => {
  test('fails on fixtures/sample.flows, naming file, flow, place and rule, never a secret value; passes on its scrubbed output', () => {
    const dir = tmp('flowtx-check-e2e-');
    const r = flowtx(['scrub', '--check', 'fixtures/sample.flows', '--json-summary']);
    expect(r.code).toBe(1);
    for (const secret of SAMPLE_SECRETS) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
    expect(r.stderr).toContain('fixtures/sample.flows: flow #0: request.url query api_key (key)');
    expect(r.stderr).toContain('fixtures/sample.flows: flow #0: request.header authorization (authorization)');
    expect(r.stderr).toContain('fixtures/sample.flows: flow #2: request.header cookie session (cookie)');
    expect(r.stderr).toContain('fixtures/sample.flows: flow #1: response.header set-cookie session (set-cookie)');
    expect(r.stderr).toContain('flowtx: error: 7 secret value(s) remain in 1 input(s)');
    expect(findingLines(r.stderr)).toHaveLength(7);
    const summary = JSON.parse(r.stdout) as { findings: number; exitCode: number; output: unknown; flows: { written: number } };
    expect(summary).toMatchObject({ findings: 7, exitCode: 1, output: null, flows: { written: 0 } });

    const clean = join(dir, 'clean.flows');
    expect(flowtx(['scrub', 'fixtures/sample.flows', clean]).code).toBe(0);
    const again = flowtx(['scrub', '--check', clean, '--json-summary']);
    expect(again.stderr).toBe('[builtin:scrub] found 0 values in 0 flows\n');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ findings: 0, exitCode: 0, ok: true });
  });

  test('writes nothing: an OUTPUT, -w, --out-dir or --in-place is a usage error; every positional is an input', () => {
    const dir = tmp('flowtx-check-e2e-');
    for (const args of [['-w', join(dir, 'o.flows')], ['--out-dir', dir], ['--in-place']]) {
      const r = flowtx(['scrub', '--check', SAMPLE, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('scrub --check writes no flows');
    }
    // Two positionals: both inputs (the second is not taken for an OUTPUT, and is not written).
    const copy = join(dir, 'copy.flows');
    copyFileSync(SAMPLE, copy);
    const before = readFileSync(copy);
    const both = flowtx(['scrub', '--check', SAMPLE, copy, '--json-summary']);
    expect(both.code).toBe(1);
    expect(JSON.parse(both.stdout)).toMatchObject({ findings: 14, files: { total: 2 } });
    expect(readFileSync(copy)).toEqual(before);
  });

  test('--report: per file, place and rule; the counts match the lines printed and what scrub redacts; written 0600', () => {
    const dir = tmp('flowtx-check-e2e-');
    const found = join(dir, 'found.json');
    const r = flowtx(['scrub', '--check', SAMPLE, '--report', found]);
    expect(r.code).toBe(1);
    const report = readReport(found);
    expect(statSync(found).mode & 0o777).toBe(0o600);
    expect(report.total).toBe(findingLines(r.stderr).length);
    expect(report.files).toHaveLength(1);
    const [file] = report.files;
    expect(file!.path).toBe(SAMPLE);
    expect(file!.found).toBe(7);
    expect(file!.findings).toContainEqual({ where: 'request.header cookie session', rule: 'cookie', count: 1 });
    expect(file!.findings.reduce((n, f) => n + f.count, 0)).toBe(7);
    for (const secret of SAMPLE_SECRETS) expect(readFileSync(found, 'utf8')).not.toContain(secret);

    const redacted = join(dir, 'redacted.json');
    expect(flowtx(['scrub', SAMPLE, join(dir, 'clean.flows'), '--report', redacted]).code).toBe(0);
    const scrubbed = readReport(redacted);
    expect(scrubbed.total).toBe(7);
    expect(scrubbed.files[0]!.redacted).toBe(7);
    expect(scrubbed.files[0]!.findings).toEqual(file!.findings);
  });

  test('--jobs 2 with --out-dir gives the same report as one thread; --check over the same files likewise', () => {
    const dir = tmp('flowtx-check-e2e-');
    for (const name of ['a.flows', 'b.flows', 'c.flows']) copyFileSync(SAMPLE, join(dir, name));
    const reports = (mode: string[], jobs: string): Report => {
      const path = join(dir, `report-${mode.length}-${jobs}.json`);
      const r = flowtx(['scrub', '*.flows', ...mode, '--jobs', jobs, '--report', path, '-q'], { cwd: dir });
      expect(r.code).toBe(mode.includes('--check') ? 1 : 0);
      return readReport(path);
    };
    const one = reports(['--out-dir', 'out-1'], '1');
    expect(one.total).toBe(21);
    expect(one.files.map((f) => f.path)).toEqual(['a.flows', 'b.flows', 'c.flows']);
    expect(reports(['--out-dir', 'out-2'], '2')).toEqual(one);
    const checked = reports(['--check'], '2');
    expect(checked.total).toBe(21);
    expect(checked.files.map((f) => f.findings)).toEqual(one.files.map((f) => f.findings));
    expect(reports(['--check'], '1')).toEqual(checked);
    // The scrubbed outputs pass, on two threads.
    const clean = flowtx(['scrub', '--check', 'out-2', '--jobs', '2', '-q'], { cwd: dir });
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
  });

  test.skipIf(!existsSync(CURL_MIXED))(
    `fails on the real capture curl-mixed.flows and passes on its scrubbed output${existsSync(CURL_MIXED) ? '' : ' (skipped: ../shared/corpus/real/curl-mixed.flows is not beside this clone)'}`,
    () => {
      const dir = tmp('flowtx-check-e2e-');
      const r = flowtx(['scrub', '--check', CURL_MIXED, '--report', join(dir, 'r.json')]);
      expect(r.code).toBe(1);
      const report = readReport(join(dir, 'r.json'));
      expect(report.total).toBeGreaterThan(0);
      expect(report.total).toBe(findingLines(r.stderr).length);
      const clean = join(dir, 'clean.flows');
      expect(flowtx(['scrub', CURL_MIXED, clean, '-q']).code).toBe(0);
      const again = flowtx(['scrub', '--check', clean, '-q']);
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
    },
  );
});
