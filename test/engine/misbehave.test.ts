// Hooks that misbehave end as script errors naming script, hook and flow: process.exit(), a hook that never
// settles, one that runs past --hook-timeout (async, or a synchronous loop), Ctrl-C while a hook is awaited.
// What only a process shows (a real unhandled rejection, a throw in a timer, Node's exit 13, a signal) is in
// test/cli/misbehave.test.ts.

import { describe, expect, test } from 'vitest';
import { Dispatcher, type DispatcherOptions } from '../../src/engine/dispatch.js';
import type { LoadedScript, Script } from '../../src/engine/hooks.js';
import { replay } from '../../src/engine/replay.js';
import { Interrupted, ScriptError } from '../../src/errors.js';
import { FlowRecord } from '../../src/model/record.js';
import { collectRecords, tstate } from '../helpers/tflow.js';

function script(hooks: Script): LoadedScript {
  return { name: 'bad.ts', file: '/scripts/bad.ts', argv: ['bad.ts'], hooks, target: undefined, retainsFlows: true };
}

/** Three flows in one batch, paths /0, /1, /2. */
async function* flows(): AsyncIterable<FlowRecord[]> {
  yield [0, 1, 2].map((index) => {
    const state = tstate();
    state.request.path = `/${index}`;
    return FlowRecord.read({ origin: 'in.test', index, offset: index * 100 }, new Uint8Array([index]), 'test/1', () => structuredClone(state));
  });
}

async function run(hooks: Script, options: DispatcherOptions = {}): Promise<{ out: string[]; error: unknown; engine: Dispatcher }> {
  const engine = new Dispatcher([script(hooks)], options);
  const out: string[] = [];
  try {
    for (const record of await collectRecords(replay(flows(), engine))) out.push(record.flow.request.path);
    return { out, error: undefined, engine };
  } catch (error) {
    return { out, error, engine };
  }
}

const subject = (index: number) => `on flow #${index} of in.test (GET http://example.com/${index})`;
const never = () => new Promise<void>(() => {});

describe('a hook that calls process.exit()', () => {
  test.each([0, 1, undefined])('process.exit(%s) fails the hook, naming it and the flow', async (code) => {
    const exit = process.exit;
    const { error } = await run({
      request: (_ctx, flow) => {
        if (flow.request.path === '/1') process.exit(code);
      },
    });
    expect(error).toBeInstanceOf(ScriptError);
    expect((error as Error).message).toBe(
      `bad.ts: hook "request" failed ${subject(1)}: ExitCalled: process.exit(${code ?? ''}) called; a script cannot end flowtx, throw an error instead`,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.exit).toBe(exit); // given back once the run is over
  });

  test('under --on-script-error skip the flow is dropped and the run goes on', async () => {
    const { error, out, engine } = await run({ request: (_ctx, flow) => void (flow.request.path === '/1' && process.exit(0)) }, { onScriptError: 'skip' });
    expect(error).toBeUndefined();
    expect(out).toEqual(['/0', '/2']);
    expect(engine.counts.scriptErrors).toBe(1);
  });
});

describe('--hook-timeout', () => {
  test.each([
    ['an async hook that stays pending', (p: string) => (p === '/1' ? new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref()) : undefined)],
    ['a synchronous loop', (p: string) => {
      if (p === '/1') for (;;);
    }],
  ])('%s fails when the time is up, naming the hook and the flow', async (_name, body) => {
    const started = performance.now();
    const { error } = await run({ request: (_ctx, flow) => body(flow.request.path) }, { hookTimeout: 100 });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ScriptError);
    expect((error as Error).message).toBe(`bad.ts: hook "request" failed ${subject(1)}: HookTimeout: did not settle within 0.1 s (--hook-timeout)`);
  });

  test('hooks that settle in time are untouched; a timed-out flow is skipped under skip', async () => {
    const { error, out } = await run(
      { response: async (_ctx, flow) => (flow.request.path === '/2' ? never() : undefined) },
      { hookTimeout: 100, onScriptError: 'skip' },
    );
    expect(error).toBeUndefined();
    expect(out).toEqual(['/0', '/1']);
  });
});

describe('a hook whose promise can never settle', () => {
  test('fails when the event loop empties (Node emits beforeExit), naming the hook and the flow', async () => {
    const engine = new Dispatcher([script({ request: never })]);
    const unwatch = engine.watch();
    try {
      const pending = collectRecords(replay(flows(), engine));
      await new Promise((resolve) => setTimeout(resolve, 20));
      process.emit('beforeExit', 0);
      await expect(pending).rejects.toThrow(
        `bad.ts: hook "request" failed ${subject(0)}: Error: the promise it returned never settled (nothing was left to run: no timer, no I/O)`,
      );
    } finally {
      unwatch();
    }
  });
});

describe('Ctrl-C while a hook is awaited', () => {
  test.each(['fail', 'skip', 'keep'] as const)('ends the run as Interrupted, naming the hook and flow, under %s', async (policy) => {
    const engine = new Dispatcher([script({ response: never })], { onScriptError: policy });
    const pending = collectRecords(replay(flows(), engine));
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.emit('SIGINT', 'SIGINT');
    const error = await pending.then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(Interrupted);
    expect((error as Interrupted).code).toBe('FLOWTX_INTERRUPTED');
    expect((error as Error).message).toBe(`interrupted: hook "response" of bad.ts ${subject(0)}`);
  });
});
