// The shell examples in README.md and docs/ must run as written (with `npx flowtx` meaning this build).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const hasJq = spawnSync('jq', ['--version']).status === 0;

function shellExamples(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npx flowtx'));
}

describe.each(['README.md', 'docs/cli.md', 'docs/formats.md', 'docs/scripting.md', 'docs/scale-out.md', 'docs/filters.md'])('%s', (file) => {
  const commands = shellExamples(file);
  test.skipIf(commands.length === 0)('has examples', () => expect(commands.length).toBeGreaterThan(0));
  test.each(commands)('%s', (command) => {
    if (command.includes('| jq') && !hasJq) return; // jq is not installed here: nothing to run it with
    const dir = mkdtempSync(join(tmpdir(), 'flowtx-docs-'));
    for (const link of ['fixtures', 'examples']) symlinkSync(join(ROOT, link), join(dir, link));
    const shell = command.replace(/^npx flowtx/, `node ${JSON.stringify(join(ROOT, 'bin/flowtx.js'))}`);
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', shell], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/flowtx: (error|warn)/); // scripts' own log lines may appear
    expect(r.status).toBe(0);
  });
});

test('docs/errors.md lists every error code of src/errors.ts, once', () => {
  const declared = new Set([...readFileSync(join(ROOT, 'src/errors.ts'), 'utf8').matchAll(/'(FLOWTX_[A-Z_]+)'/g)].map((m) => m[1]));
  const documented = [...readFileSync(join(ROOT, 'docs/errors.md'), 'utf8').matchAll(/^\| `(FLOWTX_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  expect(declared.size).toBeGreaterThan(0);
  expect([...documented].sort()).toEqual([...declared].sort());
});
