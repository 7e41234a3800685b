// The shell examples in README.md and docs/ must run as written (with `npx flowtx` meaning this build), and
// must produce something: a command that prints nothing and writes nothing is as broken as one that fails.

import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readFlows, ROOT, shell, tmp } from './helpers/cli.js';

const hasJq = spawnSync('jq', ['--version']).status === 0;
const NO_JQ = ' (skipped: jq is not installed; apt-get install -y jq, as .ci/run does)';

function shellExamples(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npx flowtx'));
}

/** The files below `dir` that a command wrote (the linked fixtures and examples are not followed). */
function written(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((path) => join(dir, path))
    .filter((path) => !lstatSync(path).isSymbolicLink() && !relative(dir, path).match(/^(fixtures|examples)\//) && statSync(path).isFile());
}

describe.each(['README.md', 'docs/cli.md', 'docs/formats.md', 'docs/scripting.md', 'docs/scale-out.md', 'docs/filters.md', 'docs/scrub.md'])('%s', (file) => {
  const commands = shellExamples(file);
  test('has examples', () => expect(commands.length).toBeGreaterThan(0));

  for (const command of commands) {
    const skip = command.includes('| jq') && !hasJq;
    test.skipIf(skip)(`${command}${skip ? NO_JQ : ''}`, async () => {
      const dir = tmp('flowtx-docs-');
      for (const link of ['fixtures', 'examples']) symlinkSync(join(ROOT, link), join(dir, link));
      const r = shell(command, { cwd: dir });
      expect(r.stderr).not.toMatch(/flowtx: (error|warn)/); // scripts' own log lines may appear
      expect(r.code).toBe(0);
      // What it made: files that each hold flows, or else a listing or document on stdout.
      const files = written(dir);
      const flows = Object.fromEntries(await Promise.all(files.map(async (path) => [relative(dir, path), (await readFlows(path)).length] as const)));
      for (const [path, count] of Object.entries(flows)) expect(count, `${path} holds no flow`).toBeGreaterThan(0);
      if (files.length === 0) expect(r.stdout.trim()).not.toBe('');
      if (command.includes('--json-summary')) {
        const written = Object.values(flows).reduce((a, b) => a + b, 0);
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, exitCode: 0, flows: { written } });
      }
      if (/ --json\b/.test(command)) for (const line of r.stdout.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    });
  }
});

test('docs/errors.md lists every error code of src/errors.ts, once', () => {
  const declared = new Set([...readFileSync(join(ROOT, 'src/errors.ts'), 'utf8').matchAll(/'(FLOWTX_[A-Z_]+)'/g)].map((m) => m[1]));
  const documented = [...readFileSync(join(ROOT, 'docs/errors.md'), 'utf8').matchAll(/^\| `(FLOWTX_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  expect(declared.size).toBeGreaterThan(0);
  expect([...documented].sort()).toEqual([...declared].sort());
});
