// What only a real process shows: signals sent to the running command, a second Ctrl-C with worker threads
// stuck in a hook, a script that exits or crashes the process, a kill -9 and the run after it, the bin under
// BusyBox, --version in a project that installed flowtx. Every process is bounded in time.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BIN, flowtx, ROOT, tmp } from '../helpers/cli.js';
import { SIGNAL_EXIT_CODES, until } from '../helpers/signals.js';

const SAMPLE = join(ROOT, 'fixtures/sample.flows');
const LIMIT = 20_000;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts `flowtx ARGS…` (or `command`) in the background; it is killed if it outlives LIMIT. */
function start(args: string[], command: string[] = [process.execPath, BIN]) {
  const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT);
  const ended = new Promise<Ended>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    }),
  );
  return { child, ended, stderr: () => stderr };
}


const temporaries = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.tmp'));

/** A folder with a script that waits `ms` per flow, or forever when `ms` is null, and many copies of the sample. */
function workspace(ms: number | null, copies = 40): { dir: string; script: string; input: string } {
  const dir = tmp();
  const script = join(dir, 'slow.mjs');
  const wait = ms === null ? "ctx.log.info('stuck'); await new Promise(() => setInterval(() => {}, 1000));" : `await new Promise((r) => setTimeout(r, ${ms}));`;
  writeFileSync(script, `export async function request(ctx) { ${wait} }\n`);
  const input = join(dir, 'in.flows');
  writeFileSync(input, Buffer.concat(Array.from({ length: copies }, () => readFileSync(SAMPLE))));
  return { dir, script, input };
}

describe('signals', () => {
  // [signal, exit code]: the run stops between batches, its temporary file is removed, an existing output stays.
  test.each(SIGNAL_EXIT_CODES)('%s: exit %d, no temporary file, the old output kept, the progress line ended', async (signal, exitCode) => {
    const { dir, script, input } = workspace(5);
    const out = join(dir, 'out', 'o.flows');
    mkdirSync(join(dir, 'out'));
    writeFileSync(out, 'old');
    const run = start(['-s', script, input, out, '--progress']);
    await until(() => temporaries(join(dir, 'out')).length === 1 && run.stderr().includes('flows'), 'the temporary file and the progress bar');
    run.child.kill(signal);
    const ended = await run.ended;
    expect(ended.code).toBe(exitCode);
    expect(readdirSync(join(dir, 'out'))).toEqual(['o.flows']);
    expect(readFileSync(out, 'utf8')).toBe('old');
    // The bar is cleared before the message, and not drawn again after it. A SIGINT that lands while a hook
    // awaits interrupts that hook, and the message names it instead (engine/guard.ts).
    const last = ended.stderr.slice(ended.stderr.lastIndexOf('\r\x1b[2K'));
    if (signal === 'SIGINT' && last.includes('interrupted: hook')) expect(last).toMatch(/^\r\x1b\[2Kflowtx: error: interrupted: hook "request" of .* on flow #\d+ of .*\n$/);
    else expect(last).toBe(`\r\x1b[2Kflowtx: error: interrupted by ${signal}\n`);
  });

  // The audit killed runs at random moments and found temporary files left by most: here at fixed moments,
  // from start-up (before the handlers exist, and before any output is opened) to the middle of writing.
  test.each([0, 60, 120, 250, 400, 700])('SIGTERM %d ms after the start leaves no file behind', async (delay) => {
    const { dir, script, input } = workspace(2);
    const out = join(dir, 'out');
    mkdirSync(out);
    const run = start(['-s', script, input, join(out, 'o.flows')]);
    await new Promise((r) => setTimeout(r, delay));
    run.child.kill('SIGTERM');
    const ended = await run.ended;
    expect(ended.code === 143 || ended.signal === 'SIGTERM').toBe(true);
    expect(readdirSync(out)).toEqual([]);
  });

  test('--out-dir on worker threads: SIGINT stops every worker; finished outputs stay, none in progress is left', async () => {
    const { dir, script } = workspace(5, 1);
    const inputs = join(dir, 'caps');
    mkdirSync(inputs);
    for (let i = 0; i < 6; i++) writeFileSync(join(inputs, `c${i}.flows`), Buffer.concat(Array.from({ length: i === 0 ? 1 : 40 }, () => readFileSync(SAMPLE))));
    const out = join(dir, 'out');
    const run = start(['-s', script, inputs, '--out-dir', out, '--jobs', '2', '--json-summary']);
    await until(() => existsSync(join(out, 'c0.flows')) && temporaries(out).length > 0, 'a finished output and one in progress');
    run.child.kill('SIGINT');
    const ended = await run.ended;
    expect(ended.code).toBe(130);
    expect(temporaries(out)).toEqual([]);
    expect(readdirSync(out)).toContain('c0.flows');
  });

  // A hook that never returns, on one thread: the first Ctrl-C interrupts the awaited hook (engine/guard.ts),
  // so the run ends at once, as cancelled, whatever the script-error policy.
  test('a SIGINT while a hook is stuck awaiting ends the run: exit 130, no temporary file', async () => {
    const { dir, script, input } = workspace(null, 1);
    const out = join(dir, 'out');
    mkdirSync(out);
    const run = start(['-s', script, input, join(out, 'o.flows'), '--on-script-error', 'skip']);
    await until(() => run.stderr().includes('stuck'), 'the thread in the hook');
    expect(temporaries(out)).toHaveLength(1);
    run.child.kill('SIGINT');
    const ended = await run.ended;
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain(`flowtx: error: interrupted: hook "request" of ${script} on flow #0 of ${input}`);
    expect(readdirSync(out, { recursive: true })).toEqual([]);
  });

  // Hooks that never return on worker threads (signals reach the main thread only): the first Ctrl-C cannot
  // stop them; the second exits at once and still removes the temporary files, the workers' too.
  test('a second SIGINT exits at once (worker threads), leaving no temporary file', async () => {
    const { dir, script, input } = workspace(null, 1);
    const second = join(dir, 'in2.flows');
    writeFileSync(second, readFileSync(input));
    const out = join(dir, 'out');
    mkdirSync(out);
    const run = start(['-s', script, input, second, '--out-dir', out, '--jobs', '2']);
    await until(() => run.stderr().split('stuck').length - 1 === 2, 'every thread in the hook');
    expect(temporaries(out)).toHaveLength(2);
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    expect(temporaries(out)).toHaveLength(2); // still stuck in the hook
    run.child.kill('SIGINT');
    const ended = await run.ended;
    expect(ended.code).toBe(130);
    expect(ended.stderr.endsWith('flowtx: error: interrupted by SIGINT again: stopped at once\n')).toBe(true);
    expect(readdirSync(out, { recursive: true })).toEqual([]);
  });
});

describe('a script that ends the process', () => {
  // [what the hook does, the exit code]: the 'exit' sweep removes the temporary file either way. On the main
  // thread process.exit() in a hook is a script error (exit 1: it must not pass for success).
  test.each([
    ['process.exit(3)', 'process.exit(3);', 1],
    ['an uncaught exception', "setTimeout(() => { throw new Error('boom'); }); await new Promise(() => setInterval(() => {}, 1000));", 1],
    ['process.exit(4) on a worker thread', 'process.exit(4);', 'worker'],
  ] as const)('%s', async (_what, body, code) => {
    const dir = tmp();
    const script = join(dir, 'end.mjs');
    // By flow index, not a module-level count: a worker thread that survives its first input (process.exit()
    // in a hook is a script error there too) must fail its next one as well.
    writeFileSync(script, `export async function request(ctx) { if (ctx.index === 20) { ${body} } }\n`);
    const input = join(dir, 'in.flows');
    writeFileSync(input, Buffer.concat(Array.from({ length: 200 }, () => readFileSync(SAMPLE))));
    const out = join(dir, 'out');
    mkdirSync(out);
    if (code === 'worker') {
      linkSync(input, join(dir, 'in2.flows'));
      const r = flowtx(['-s', script, input, join(dir, 'in2.flows'), '--out-dir', out, '--jobs', '2']);
      expect(r.code).not.toBe(0);
    } else {
      expect(flowtx(['-s', script, input, join(out, 'o.flows')]).code).toBe(code);
    }
    expect(readdirSync(out)).toEqual([]);
  });
});

test('kill -9 leaves a temporary file; the next run into the folder removes it', async () => {
  const { dir, script, input } = workspace(null, 1);
  const out = join(dir, 'out');
  mkdirSync(out);
  const run = start(['-s', script, input, join(out, 'a.flows')]);
  await until(() => temporaries(out).length === 1, 'the temporary file');
  run.child.kill('SIGKILL');
  expect((await run.ended).signal).toBe('SIGKILL');
  expect(temporaries(out)).toHaveLength(1);
  expect(flowtx([SAMPLE, join(out, 'b.flows')]).code).toBe(0);
  expect(readdirSync(out)).toEqual(['b.flows']);
});

describe('the bin', () => {
  // The kernel runs the interpreter its first line names, with that line's argument: done here by BusyBox,
  // whose env has no -S (Alpine's), and whose sh is Alpine's /bin/sh.
  test('starts under BusyBox, with its V8 flags', (ctx) => {
    ctx.skip(spawnSync('busybox', ['true']).status !== 0, 'BusyBox is not installed here');
    const [interpreter, ...words] = readFileSync(BIN, 'utf8').split('\n')[0]!.slice(2).trim().split(/\s+/);
    const applet = interpreter!.split('/').at(-1)!;
    const dir = tmp();
    const script = join(dir, 'argv.mjs');
    writeFileSync(script, 'export function start(ctx) { ctx.log.info(process.execArgv.join(" ")); }\n');
    const r = spawnSync('busybox', [applet, ...words, BIN, '-s', script, SAMPLE, join(dir, 'o.flows')], { encoding: 'utf8', timeout: LIMIT });
    expect(r.stderr).toBe(`[${script}] --max-semi-space-size=8\n`);
    expect(r.status).toBe(0);
  });

  test('run as an executable (the kernel reads its first line), through a link as npm installs it', () => {
    const dir = tmp();
    const script = join(dir, 'argv.mjs');
    writeFileSync(script, 'export function start(ctx) { ctx.log.info(process.execArgv.join(" ")); }\n');
    const r = spawnSync(BIN, ['-s', script, SAMPLE, join(dir, 'o.flows')], { encoding: 'utf8', timeout: LIMIT });
    expect([r.status, r.stderr]).toEqual([0, `[${script}] --max-semi-space-size=8\n`]);
  });

  // yargs reads the package.json above its own node_modules: the project that installed flowtx.
  test('--version prints flowtx\'s own version inside a project that installed it', () => {
    const project = tmp();
    writeFileSync(join(project, 'package.json'), '{"name":"host","version":"9.9.9"}\n');
    // Copies keep the installed layout (a symbolic link would resolve back into this checkout): yargs and
    // what it needs, hoisted as npm installs them.
    const copied = new Set<string>();
    const copy = (from: string, name: string): void => {
      // Where Node finds `name` for a module in `from`: the nearest node_modules up the tree.
      let dir = from;
      while (!existsSync(join(dir, 'node_modules', name))) dir = dirname(dir);
      const found = join(dir, 'node_modules', name);
      if (copied.has(found)) return;
      copied.add(found);
      cpSync(found, join(project, relative(ROOT, found)), { recursive: true });
      const { dependencies = {} } = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dependency of Object.keys(dependencies)) copy(found, dependency);
    };
    copy(ROOT, 'yargs');
    const installed = join(project, 'node_modules', 'flowtx');
    for (const part of ['package.json', 'bin', 'dist']) cpSync(join(ROOT, part), join(installed, part), { recursive: true });
    const own = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const r = spawnSync(process.execPath, [join(installed, 'bin/flowtx.js'), '--version'], { cwd: project, encoding: 'utf8', timeout: LIMIT });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `${own}\n`, '']);
  });
});
