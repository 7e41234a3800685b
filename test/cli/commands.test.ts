// End to end: the command table as a user types it, and built-in scripts crossing to --jobs workers by name.
// Spawns the real command (bin/flowtx.js over the build).

import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { flowtx, ROOT, tmp } from '../helpers/cli.js';

const SAMPLE = join(ROOT, 'fixtures/sample.flows');

describe('commands', () => {
  test('`flowtx run …` is `flowtx …`; a file named like a command is given as ./run', () => {
    const dir = tmp('flowtx-commands-');
    copyFileSync(SAMPLE, join(dir, 'run'));
    const plain = flowtx(['run'], { cwd: dir });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('no input given');
    const listed = flowtx(['./run'], { cwd: dir });
    const named = flowtx(['run', './run'], { cwd: dir });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toHaveLength(10);
    expect(named.stdout).toBe(listed.stdout);
  });
});

describe('built-in scripts', () => {
  test('builtin:decode by name, on one thread and on two workers, gives the same outputs', () => {
    const dir = tmp('flowtx-builtin-');
    for (const name of ['a.flows', 'b.flows', 'c.flows']) copyFileSync(SAMPLE, join(dir, name));
    const outputs = (jobs: string): Record<string, Buffer> => {
      const out = join(dir, `out-${jobs}`);
      const r = flowtx(['-s', 'builtin:decode', '*.flows', '--out-dir', out, '--jobs', jobs, '--to', 'ndjson'], { cwd: dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return Object.fromEntries(readdirSync(out).map((name) => [name, readFileSync(join(out, name))]));
    };
    const one = outputs('1');
    expect(outputs('2')).toEqual(one);
    expect(Object.keys(one).sort()).toEqual(['a.ndjson', 'b.ndjson', 'c.ndjson']);
    const flows = one['a.ndjson']!.toString().trim().split('\n').map((l) => JSON.parse(l) as { response?: { headers: [string, string][] } | null });
    const encodings = flows.flatMap((f) => f.response?.headers.filter(([k]) => k.toLowerCase() === 'content-encoding') ?? []);
    expect(flows).toHaveLength(10);
    expect(encodings).toEqual([]);
  });

  test('an unknown built-in is a script error naming the known ones', () => {
    const r = flowtx(['-s', 'builtin:nope', SAMPLE, '-']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('flowtx: error: unknown built-in script builtin:nope; built-ins: builtin:decode, builtin:scrub\n');
  });
});
