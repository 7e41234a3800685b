// Scripts that misbehave, as a user meets them: the built command in a process of its own. Each ends with a
// message naming script, hook and flow, no output file and no temporary file; never a raw stack trace, a
// silent exit 0 or Node's exit 13.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BIN, flowtx, ROOT, tmp } from '../helpers/cli.js';

const FLOW_2 = 'on flow #2 of fixtures/sample.flows (GET http://shop.test/)';

/** A script file in a fresh directory, and where the run's output would go. */
function setup(code: string): { dir: string; script: string; out: string } {
  const dir = tmp('flowtx-misbehave-');
  const script = join(dir, 'bad.mjs');
  writeFileSync(script, code);
  return { dir, script, out: join(dir, 'out.flows') };
}

const third = (body: string) => `let n = 0;\nexport function request(ctx, flow) {\n  if (n++ === 2) { ${body} }\n}\n`;

describe.each([
  ['process.exit(0)', third('process.exit(0);'), `bad.mjs:3: hook "request" failed ${FLOW_2}: ExitCalled: process.exit(0) called; a script cannot end flowtx, throw an error instead`],
  ['an unawaited rejected promise', third("Promise.reject(new Error('late'));"), `bad.mjs:3: hook "request" failed ${FLOW_2}: Error: late (it escaped the hook: an unawaited promise or a timer)`],
  ['a throw in a timer', `let n = 0;\nexport async function request(ctx, flow) {\n  if (n++ === 2) setTimeout(() => { throw new Error('in timer'); }, 0);\n  await new Promise((r) => setTimeout(r, 20));\n}\n`, `bad.mjs:3: hook "request" failed ${FLOW_2}: Error: in timer`],
  ['a promise that never settles', `let n = 0;\nexport function request(ctx, flow) {\n  if (n++ === 2) return new Promise(() => {});\n}\n`, `bad.mjs: hook "request" failed ${FLOW_2}: Error: the promise it returned never settled (nothing was left to run: no timer, no I/O)`],
])('%s', (_name, code, message) => {
  test('is a script error naming script, hook and flow: exit 1, no output', () => {
    const { dir, script, out } = setup(code);
    const r = flowtx(['-s', script, 'fixtures/sample.flows', out]);
    expect(r.stderr).toBe(`flowtx: error: ${script.slice(0, -'bad.mjs'.length)}${message}\n`);
    expect(r.code).toBe(1);
    expect(readdirSync(dir)).toEqual(['bad.mjs']);
  });
});

test('a throw in a timer set by the module itself is named by its script and line', () => {
  // Late enough to fire while the flows are replayed (each request hook waits 20 ms).
  const { dir, script, out } = setup(`setTimeout(() => { throw new Error('stray'); }, 60);\nexport async function request() { await new Promise((r) => setTimeout(r, 20)); }\n`);
  const r = flowtx(['-s', script, 'fixtures/sample.flows', out]);
  expect(r.stderr).toBe(`flowtx: error: ${script}:1: code outside any hook failed: Error: stray\n`);
  expect(r.code).toBe(1);
  expect(readdirSync(dir)).toEqual(['bad.mjs']);
});

test('--hook-timeout ends a synchronous loop as a script error; skip goes on without the flow', () => {
  const { dir, script, out } = setup(third('for (;;);'));
  const failed = flowtx(['--hook-timeout', '0.2', '-s', script, 'fixtures/sample.flows', out]);
  expect(failed.stderr).toContain(`bad.mjs: hook "request" failed ${FLOW_2}: HookTimeout: did not settle within 0.2 s (--hook-timeout)`);
  expect(failed.code).toBe(1);
  expect(readdirSync(dir)).toEqual(['bad.mjs']);
  const skipped = flowtx(['--hook-timeout', '0.2', '--on-script-error', 'skip', '--allow-script-errors', '-s', script, 'fixtures/sample.flows', out]);
  expect(skipped.code).toBe(0);
  expect(existsSync(out)).toBe(true);
});

test.each([['0'], ['-1'], ['x']])('--hook-timeout %s is a usage error', (value) => {
  const r = flowtx(['--hook-timeout', value, 'fixtures/sample.flows']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--hook-timeout/);
});

/** Runs flowtx, sends SIGINT shortly after it printed `ready` on stderr (the script logs it), and waits for the end. */
function interrupt(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (sent || !stderr.includes('ready')) return;
      sent = true;
      // A moment later, as a person's Ctrl-C comes: the hook is then well inside its await or its loop.
      setTimeout(() => child.kill('SIGINT'), 300);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('Ctrl-C while a hook runs ends the run as interrupted: exit 130, no output, no temporary file, whatever the policy', () => {
  test.each([
    ['an awaited hook', 'await new Promise((r) => setTimeout(r, 600_000));', []],
    ['a synchronous loop (with --hook-timeout)', 'for (;;);', ['--hook-timeout', '600']],
  ])('%s', async (_name, body, extra) => {
    const { dir, script, out } = setup(`export async function request(ctx, flow) {\n  ctx.log.warn('ready');\n  ${body}\n}\n`);
    for (const policy of ['fail', 'skip']) {
      const r = await interrupt([...extra, '--on-script-error', policy, '-s', script, 'fixtures/sample.flows', out]);
      expect(r.stderr).toContain(`flowtx: error: interrupted: hook "request" of ${script} on flow #0 of fixtures/sample.flows (GET https://api.example.com/v1/users?page=1&api_key=sk_live_123)`);
      expect(r.code).toBe(130);
      expect(readdirSync(dir)).toEqual(['bad.mjs']);
    }
  });
});

