// Many inputs: globs and directories, --out-dir mirroring, --jobs (byte-identical to one thread), --shard
// (the shards partition the files), --fail-fast against going on, the JSON summary and the --json listing.
// The command runs in-process (its worker threads load the built bundle); runs with scripts spawn the built
// command, since loading scripts through Node's loader is what a process shows.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

import { flowtx as spawned, ROOT } from '../helpers/cli.js';
import { flowtxInProcess } from '../helpers/in-process.js';

const SAMPLE = join(ROOT, 'fixtures/sample.ftx');
const SAMPLE_NDJSON = join(ROOT, 'fixtures/sample.ndjson');
const SAMPLE_FLOWS = join(ROOT, 'fixtures/sample.flows');

/** The command run in `cwd`, where each test's capture store is: in-process, or spawned when a script runs. */
const flowtx = (args: string[], cwd: string) =>
  args.some((a) => a === '-s' || a === '--script') ? Promise.resolve(spawned(args, { cwd })) : flowtxInProcess(args, { cwd });

/** Every file below `dir` by relative path, with its bytes. */
function tree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** A capture store in a fresh directory: `files` maps relative paths to the fixture each is a copy of. */
function store(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowtx-batch-'));
  for (const [path, from] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    if (typeof from === 'string') copyFileSync(from, join(dir, path));
    else writeFileSync(join(dir, path), from);
  }
  return dir;
}

const MIXED = {
  'caps/2024/a.ftx': SAMPLE,
  'caps/2024/b.flows': SAMPLE_FLOWS,
  'caps/2025/c.ndjson': SAMPLE_NDJSON,
  'caps/d.ftx': SAMPLE,
  'caps/e.flows': SAMPLE_FLOWS,
  'caps/readme.txt': Buffer.from('not a capture'),
};
const MIXED_FILES = ['2024/a.ftx', '2024/b.flows', '2025/c.ndjson', 'd.ftx', 'e.flows'];

const truncated = (): Buffer => readFileSync(SAMPLE).subarray(0, -10);

/** `f` over `items` one after another (in-process runs change the working directory). */
async function inTurn<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await f(item));
  return results;
}

describe('concatenation', () => {
  test('a glob expands sorted and its files concatenate into one output', async () => {
    const dir = store({ 'caps/b.ftx': SAMPLE, 'caps/a.ftx': SAMPLE, 'caps/skip.txt': Buffer.from('x') });
    const r = await flowtx(['caps/*', 'all.ndjson'], dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, 'all.ndjson'), 'utf8')).toBe(readFileSync(SAMPLE_NDJSON, 'utf8').repeat(2));
  });

  test('a bad input is reported and the others still go into the output; exit 1', async () => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/b.ftx': truncated(), 'caps/c.ftx': SAMPLE });
    const r = await flowtx(['caps', 'all.ndjson'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flowtx: error: caps\/b\.ftx: flow #9 at byte \d+: truncated record: \d+ of \d+ bytes\nflowtx: error: 1 of 3 inputs failed\n$/);
    expect(readFileSync(join(dir, 'all.ndjson'), 'utf8').trim().split('\n')).toHaveLength(29);
  });

  test('--fail-fast stops at the bad input; the flows before it are written', async () => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/b.ftx': truncated(), 'caps/c.ftx': SAMPLE });
    const r = await flowtx(['caps', 'all.ndjson', '--fail-fast', '--json-summary'], dir);
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, 'all.ndjson'), 'utf8').trim().split('\n')).toHaveLength(19);
    expect(JSON.parse(r.stdout).inputs.map((i: { status: string }) => i.status)).toEqual(['ok', 'failed', 'skipped']);
  });
});

describe('--out-dir', () => {
  test('mirrors each input below the directory: the path below the directory given', async () => {
    const dir = store(MIXED);
    expect(await flowtx(['caps', '--out-dir', 'clean'], dir)).toMatchObject({ code: 0, stderr: '' });
    const out = tree(join(dir, 'clean'));
    expect(Object.keys(out).sort()).toEqual(MIXED_FILES);
    for (const path of MIXED_FILES) expect(out[path]!.equals(readFileSync(join(dir, 'caps', path)))).toBe(true); // pass-through
  });

  test('below the static part of a glob, in the --to format', async () => {
    const dir = store(MIXED);
    expect(await flowtx(['caps/**/*.ftx', '--out-dir', 'clean', '--to', 'ndjson'], dir)).toMatchObject({ code: 0, stderr: '' });
    const out = tree(join(dir, 'clean'));
    expect(Object.keys(out).sort()).toEqual(['2024/a.ndjson', 'd.ndjson']);
    for (const bytes of Object.values(out)) expect(bytes.equals(readFileSync(SAMPLE_NDJSON))).toBe(true);
  });

  test('files named one by one: below their common directory', async () => {
    const dir = store(MIXED);
    expect((await flowtx(['caps/2024/a.ftx', 'caps/2025/c.ndjson', '--out-dir', 'o'], dir)).code).toBe(0);
    expect(Object.keys(tree(join(dir, 'o'))).sort()).toEqual(['2024/a.ftx', '2025/c.ndjson']);
  });

  test('--jobs 3 writes byte-identical outputs to --jobs 1, with scripts that change flows; start, ctx and done are per file', async () => {
    const dir = store(MIXED);
    writeFileSync(join(dir, 'count.ts'), `import type { Flow, ScriptContext } from 'flowtx';
export function start(ctx: ScriptContext) { ctx.state.seen = 0; }
export function response(ctx: ScriptContext, flow: Flow) {
  ctx.state.seen = Number(ctx.state.seen) + 1;
  flow.response!.headers.set('x-seen', String(ctx.state.seen));
}
export function done(ctx: ScriptContext) { ctx.log.info('read %d', ctx.counts.read); }`);
    const args = ['caps', '-s', join(ROOT, 'examples/add_header.ts'), '-s', 'count.ts', '--to', 'ndjson'];
    const runs = await inTurn([1, 3], async (jobs) => {
      const r = await flowtx([...args, '--out-dir', `j${jobs}`, '--jobs', String(jobs)], dir);
      expect(r).toMatchObject({ code: 0, stderr: '[count.ts] read 10\n'.repeat(MIXED_FILES.length) });
      return tree(join(dir, `j${jobs}`));
    });
    const [one, three] = runs as [Record<string, Buffer>, Record<string, Buffer>];
    expect(Object.keys(three).sort()).toEqual(Object.keys(one).sort());
    for (const [path, bytes] of Object.entries(one)) expect(three[path]!.equals(bytes), path).toBe(true);
    for (const bytes of Object.values(one)) {
      const seen = bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((f) => f.response);
      expect(seen.map((f) => f.response.headers.find(([n]: [string]) => n === 'x-seen')[1])).toEqual(seen.map((_, i) => String(i + 1)));
    }
  });

  test('--filter and --select reach worker threads: --jobs 2 gives what --jobs 1 gives', async () => {
    const dir = store(MIXED);
    const args = ['caps', '-s', join(ROOT, 'examples/add_header.ts'), '--select', '~m GET', '--filter', '!~d tracker.test', '--to', 'ndjson', '--json-summary'];
    const runs = await inTurn([1, 2], async (jobs) => {
      const r = await flowtx([...args, '--out-dir', `j${jobs}`, '--jobs', String(jobs)], dir);
      expect(r.code).toBe(0);
      return { summary: JSON.parse(r.stdout), files: tree(join(dir, `j${jobs}`)) };
    });
    const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(one.summary.flows.filtered).toBeGreaterThan(0);
    expect(two.summary.flows).toEqual(one.summary.flows);
    for (const [path, bytes] of Object.entries(one.files)) expect(two.files[path]!.equals(bytes), path).toBe(true);
    for (const bytes of Object.values(one.files)) {
      const flows = bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
      for (const f of flows.filter((flow) => flow.type === 'http')) {
        expect(f.request.host).not.toBe('tracker.test');
        const tagged = f.response?.headers.some(([n]: [string]) => n === 'newheader') ?? false;
        expect(tagged).toBe(f.response !== null && f.request.method === 'GET');
      }
    }
  });

  test('--shard K/N: the N shards partition the files, and a shard is the same whatever else is listed', async () => {
    const dir = store(MIXED);
    const shards = await inTurn([1, 2, 3], async (k) => {
      const r = await flowtx(['caps', '--out-dir', `s${k}`, '--shard', `${k}/3`, '--json-summary'], dir);
      expect(r.code).toBe(0);
      return Object.keys(tree(join(dir, `s${k}`))).sort();
    });
    expect(shards.flat().sort()).toEqual(MIXED_FILES);
    expect(shards.filter((s) => s.length > 0).length).toBeGreaterThan(1);
    // The same files named through a glob land in the same shards: the key is the path below the base.
    const viaGlob = await inTurn([1, 2, 3], async (k) => {
      const r = await flowtx(['caps/**/*', '--shard', `${k}/3`, '--json'], dir);
      return [...new Set(r.stdout.trim().split('\n').filter(Boolean).map((l) => relative('caps', JSON.parse(l).input)))].sort();
    });
    expect(viaGlob).toEqual(shards);
  });

  test.each([
    ['going on (default)', [], ['ok', 'failed', 'ok'], ['a.ndjson', 'b.ndjson', 'c.ndjson'], '1 of 3 inputs failed'],
    ['--fail-fast', ['--fail-fast'], ['ok', 'failed', 'skipped'], ['a.ndjson', 'b.ndjson'], '1 of 3 inputs failed, 1 skipped'],
  ])('a truncated input, %s: its complete flows are written; exit 1', async (_name, extra, statuses, written, last) => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/b.ftx': truncated(), 'caps/c.ftx': SAMPLE });
    const r = await flowtx(['caps', '--out-dir', 'o', '--to', 'ndjson', '--jobs', '1', '--json-summary', ...extra], dir);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`flowtx: error: ${last}`);
    const summary = JSON.parse(r.stdout);
    expect(summary.inputs.map((i: { status: string }) => i.status)).toEqual(statuses);
    const out = tree(join(dir, 'o'));
    expect(Object.keys(out).sort()).toEqual(written);
    expect(out['b.ndjson']!.toString('utf8').trim().split('\n')).toHaveLength(9);
    expect(readdirSync(join(dir, 'o')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('--fail-fast on workers: every input is ok with its output, failed, or skipped without one; no temporary files', async () => {
    const files: Record<string, string | Buffer> = { 'caps/a.ftx': truncated() };
    for (let i = 0; i < 8; i++) files[`caps/b${i}.ftx`] = SAMPLE;
    const dir = store(files);
    const r = await flowtx(['caps', '--out-dir', 'o', '--jobs', '2', '--fail-fast', '--json-summary'], dir);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary.inputs[0]).toMatchObject({ path: 'caps/a.ftx', status: 'failed' });
    // How many are skipped depends on timing (the other worker goes on until it sees the stop), not the rule.
    expect(summary.files.total).toBe(9);
    const out = tree(join(dir, 'o'));
    for (const input of summary.inputs) {
      const name = relative('caps', input.path);
      if (input.status === 'skipped') expect(out[name], name).toBeUndefined();
      else expect(out[name], name).toBeDefined();
    }
    expect(Object.keys(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('--out-dir onto the inputs with --in-place rewrites each file safely', async () => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/sub/b.ndjson': SAMPLE_NDJSON });
    const r = await flowtx(['-s', join(ROOT, 'examples/add_header.ts'), 'caps', '--out-dir', 'caps', '--in-place', '--jobs', '2'], dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const out = tree(join(dir, 'caps'));
    expect(Object.keys(out).sort()).toEqual(['a.ftx', 'sub/b.ndjson']);
    expect(out['sub/b.ndjson']!.toString('utf8')).toContain('newheader');
    expect(out['a.ftx']!.length).toBeGreaterThan(readFileSync(SAMPLE).length);
  });

  test('a script failure: that input has no output, the others do', async () => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/b.ndjson': SAMPLE_NDJSON, 'caps/c.ftx': SAMPLE });
    writeFileSync(join(dir, 'bad.mjs'), `export function request(ctx) { if (ctx.input.endsWith('b.ndjson') && ctx.index === 2) throw new Error('boom'); }`);
    const r = await flowtx(['caps', '--out-dir', 'o', '-s', 'bad.mjs', '--jobs', '2'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('flowtx: error: bad.mjs:1: hook "request" failed on flow #2 of caps/b.ndjson');
    expect(Object.keys(tree(join(dir, 'o'))).sort()).toEqual(['a.ftx', 'c.ftx']);
  });

  test('a script that fails to load fails the run on workers too, said once', async () => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/b.ftx': SAMPLE });
    const r = await flowtx(['caps', '--out-dir', 'o', '-s', 'nope.ts', '--jobs', '2'], dir);
    expect(r).toMatchObject({ code: 1, stderr: 'flowtx: error: script not found: nope.ts\n' });
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });

  test('the JSON summary: per input and in total', async () => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/b.ftx': truncated() });
    const r = await flowtx(['caps', '--out-dir', 'o', '--to', 'ndjson', '--json-summary', '-s', join(ROOT, 'examples/duplicate.ts')], dir);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    const error = summary.inputs[1].error;
    expect(error).toMatch(/^caps\/b\.ftx: flow #9 at byte \d+: truncated record/);
    expect(summary).toEqual({
      ok: false,
      exitCode: 1,
      inputs: [
        { path: 'caps/a.ftx', format: 'msgpack', flows: 10, bytes: readFileSync(SAMPLE).length, status: 'ok', error: null, output: { path: 'o/a.ndjson', format: 'ndjson' }, written: 12, dropped: 0, emitted: 2, filtered: 0, scriptErrors: 0, lost: {} },
        { path: 'caps/b.ftx', format: 'msgpack', flows: 9, bytes: readFileSync(SAMPLE).length - 10, status: 'failed', error, output: { path: 'o/b.ndjson', format: 'ndjson' }, written: 11, dropped: 0, emitted: 2, filtered: 0, scriptErrors: 0, lost: {} },
      ],
      output: { path: 'o', format: 'ndjson' },
      files: { total: 2, ok: 1, failed: 1, skipped: 0 },
      flows: { read: 19, written: 23, dropped: 0, emitted: 4, filtered: 0 },
      scriptErrors: 0,
      errors: [error],
      warnings: [],
      lost: {},
      durationMs: expect.any(Number),
    });
  });

  test.each([
    [['caps', '--out-dir', 'o', '-w', 'x.ftx'], 'give either --out-dir or -w, not both'],
    [['caps', 'out.ftx', '--json'], '--json is for the listing (no OUTPUT); to write flows as JSON use --to ndjson'],
    [['caps', '--out-dir', 'o', '--jobs', '0'], '--jobs expects a whole number ≥ 1, got 0'],
    [['caps', '--shard', '4/3'], '--shard expects K/N with 1 ≤ K ≤ N (for example 1/4), got "4/3"'],
    [['-', '--shard', '1/3'], '--shard splits files; stdin ("-") cannot be sharded'],
    [['caps', '--out-dir', 'caps'], 'output caps/a.ftx is also an input; add --in-place to rewrite it safely'],
    [['caps/*', 'caps/a.ftx'], 'output caps/a.ftx is also an input; add --in-place to rewrite it safely'],
    [['caps', '--in-place'], '--in-place without OUTPUT rewrites one input file; give exactly one (or use --out-dir)'],
  ])('usage error %j exits 2', async (args, message) => {
    const dir = store({ 'caps/a.ftx': SAMPLE });
    const r = await flowtx(args, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`flowtx: error: ${message}\nRun flowtx --help for usage.\n`);
  });
});

test('a command that fails before reading anything lists the missing input as failed, the others as skipped', async () => {
  const dir = store({ 'caps/a.ftx': SAMPLE });
  const r = await flowtx(['caps', 'nope.ftx', 'o.ftx', '--json-summary'], dir);
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({
    ok: false,
    inputs: [
      { path: 'caps', status: 'skipped', error: null },
      { path: 'nope.ftx', status: 'failed', error: 'cannot read nope.ftx: no such file' },
    ],
    files: { total: 2, ok: 0, failed: 1, skipped: 1 },
    errors: ['cannot read nope.ftx: no such file'],
  });
});

describe('listing many inputs', () => {
  test('lines for every input, in order', async () => {
    const dir = store(MIXED);
    const r = await flowtx(['caps'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(50);
  });

  test('--json: one object per flow with its input and index', async () => {
    const dir = store({ 'caps/a.ftx': SAMPLE, 'caps/b.flows': SAMPLE_FLOWS });
    const r = await flowtx(['caps', '--json'], dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects).toHaveLength(20);
    expect(objects[0]).toEqual({
      input: 'caps/a.ftx', index: 0, id: expect.any(String), type: 'http', timestamp: expect.any(Number),
      method: 'GET', url: 'https://api.example.com/v1/users?page=1&api_key=sk_live_123', status: 200, reason: 'OK',
      size: 65, durationMs: 95, error: null, peer: null, messages: null,
      origin: { kind: 'file', path: 'caps/a.ftx', index: 0, offset: 9 }, // after the msgpack file's header
    });
    expect(objects[5]).toMatchObject({ status: null, error: 'Connection killed.' });
    expect(objects[9]).toMatchObject({ type: 'tcp', method: null, url: null, peer: 'db.internal:5432', messages: 2 });
    expect(objects[10]).toMatchObject({ input: 'caps/b.flows', index: 0 });
  });
});
