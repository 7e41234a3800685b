// The dispatcher on its own, as a live proxy drives it: one event on one flow, many flows in flight, flows
// without raw bytes, connection events.

import { describe, expect, test } from 'vitest';
import { Dispatcher } from '../../src/engine/dispatch.js';
import type { LoadedScript, Script } from '../../src/engine/hooks.js';
import { Flow } from '../../src/model/flow.js';
import type { Origin } from '../../src/model/origin.js';
import { FlowRecord } from '../../src/model/record.js';
import { tstate } from '../helpers/tflow.js';

function script(name: string, hooks: Script, retainsFlows = true): LoadedScript {
  return { name, file: `/scripts/${name}`, argv: [name], hooks, target: undefined, retainsFlows };
}

function live(seq: number, path = `/flow${seq}`): FlowRecord {
  const state = tstate({ id: `00000000-0000-4000-8000-00000000000${seq}` });
  state.request.path = path;
  const record = FlowRecord.of(new Flow(state), { kind: 'live', client: '127.0.0.1:50000', seq });
  record.checkpoint();
  return record;
}

/** A promise and its resolver: lets a test hold a hook half-way. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('flows in flight at once', () => {
  test('each call keeps its own flow, origin and drop() while another flow runs between its awaits', async () => {
    const held = gate();
    const seen: string[] = [];
    const s = script('s', {
      request: async (ctx, flow) => {
        if (flow.request.path === '/flow1') await held.wait; // flow 1's hook is still running when flow 2 arrives
        seen.push(`${ctx.event} ${flow.request.path} ${(ctx.origin as Extract<Origin, { kind: 'live' }>).seq}`);
        if (flow.request.path === '/flow2') ctx.drop();
      },
    });
    const d = new Dispatcher([s]);
    const [a, b] = [live(1), live(2)];
    const first = d.dispatch('request', a);
    const second = await d.dispatch('request', b);
    held.open();
    expect([await first, second]).toEqual(['go', 'dropped']);
    expect(seen).toEqual(['request /flow2 2', 'request /flow1 1']);
    expect([d.isDropped(a), d.isDropped(b)]).toEqual([false, true]);
  });

  test('a flow interleaves its events with another flow: request of one, response of the other', async () => {
    const log: string[] = [];
    const s = script('s', {
      request: (ctx, flow) => void log.push(`request ${flow.request.path} ${ctx.event}`),
      response: (ctx, flow) => void log.push(`response ${flow.request.path} ${ctx.event}`),
    });
    const d = new Dispatcher([s]);
    const [a, b] = [live(1), live(2)];
    await d.dispatch('request', a);
    await d.dispatch('request', b);
    await d.dispatch('response', b);
    await d.dispatch('response', a);
    expect(log).toEqual(['request /flow1 request', 'request /flow2 request', 'response /flow2 response', 'response /flow1 response']);
  });

  test('each event passes every script in order before the next', async () => {
    const log: string[] = [];
    const mk = (name: string): LoadedScript =>
      script(name, { request: () => void log.push(`${name}:request`), response: () => void log.push(`${name}:response`) });
    const d = new Dispatcher([mk('a'), mk('b')]);
    const record = live(1);
    await d.dispatch('request', record);
    await d.dispatch('response', record);
    expect(log).toEqual(['a:request', 'b:request', 'a:response', 'b:response']);
  });
});

describe('records without raw bytes', () => {
  // The message shows the flow as it stood when the hook failed.
  test('keep restores the checkpoint, undoing what earlier scripts did to the flow', async () => {
    const changes = script('changes', { request: (_ctx, flow) => void (flow.request.method = 'PUT') });
    const fails = script('fails', { request: () => { throw new Error('boom'); } });
    const warnings: string[] = [];
    const d = new Dispatcher([changes, fails], { onScriptError: 'keep', log: (_l, _s, m) => warnings.push(m) });
    const record = live(3);
    expect(await d.dispatch('request', record)).toBe('restored');
    expect(record.flow.request.method).toBe('GET');
    expect(d.counts.scriptErrors).toBe(1);
    expect(warnings).toEqual([
      'fails: hook "request" failed on live flow #3 from 127.0.0.1:50000 (PUT http://example.com/flow3): Error: boom (flow kept unchanged: --on-script-error keep)',
    ]);
  });

  test('a later checkpoint is what restore() goes back to', () => {
    const record = live(1);
    record.flow.request.method = 'POST';
    record.checkpoint();
    record.flow.request.path = '/changed';
    record.restore();
    expect([record.flow.request.method, record.flow.request.path]).toEqual(['POST', '/flow1']);
  });

  test('restore() without a checkpoint is a bug in the driver, said at once', () => {
    const record = FlowRecord.of(new Flow(tstate()), { kind: 'live', client: '127.0.0.1:1', seq: 0 });
    expect(() => record.restore()).toThrow('FlowRecord.restore() without a checkpoint');
  });

  test('a record with raw bytes restores to what was read, checkpoint or not', () => {
    const record = FlowRecord.read({ origin: 'in.test', index: 0, offset: 0 }, new Uint8Array(1), 'test/1', () => tstate());
    record.flow.request.method = 'PUT';
    record.restore();
    expect(record.flow.request.method).toBe('GET');
    expect(record.pristine).toBe(true);
  });
});

describe('origins', () => {
  test.each<[Origin, string | undefined, number | undefined]>([
    [{ kind: 'file', path: 'in.flows', index: 4, offset: 99 }, 'in.flows', 4],
    [{ kind: 'live', client: '[::1]:5000', seq: 7 }, undefined, undefined],
    [{ kind: 'created' }, undefined, undefined],
  ])('%j: ctx.origin is the record\'s; ctx.input %s, ctx.index %s', async (origin, input, index) => {
    const seen: unknown[] = [];
    const d = new Dispatcher([script('s', { request: (ctx) => void seen.push(ctx.origin, ctx.input, ctx.index) })]);
    await d.dispatch('request', FlowRecord.of(new Flow(tstate()), origin));
    expect(seen).toEqual([origin, input, index]);
  });

  test('an emitted flow is said to come from the script that emitted it', async () => {
    const d = new Dispatcher([script('maker.ts', { request: (ctx, flow) => ctx.emit(flow.copy()) })]);
    await d.dispatch('request', live(1));
    const [emitted] = d.takeEmitted();
    expect(emitted!.origin).toEqual({ kind: 'emitted', by: 'maker.ts' });
    expect(d.counts.emitted).toBe(1);
  });

  test('outside flow events ctx has no origin and drop() needs a flow', async () => {
    const seen: unknown[] = [];
    const s = script('s', {
      start: (ctx) => {
        seen.push(ctx.event, ctx.origin, ctx.input, ctx.index);
        ctx.drop();
      },
    });
    await expect(new Dispatcher([s]).lifecycle('start')).rejects.toThrow('s: hook "start" failed: TypeError: ctx.drop() needs a flow in "start"');
    expect(seen).toEqual(['start', undefined, undefined, undefined]);
  });
});

describe('connection events', () => {
  const client = tstate().clientConn;

  test('every script hears of the client, in order', async () => {
    const log: string[] = [];
    const mk = (name: string): LoadedScript =>
      script(name, {
        clientconnect: (ctx, c) => void log.push(`${name}:${ctx.event} ${c.peername!.join(':')}`),
        clientdisconnect: (ctx, c) => void log.push(`${name}:${ctx.event} ${c.id}`),
      });
    const d = new Dispatcher([mk('a'), mk('b')]);
    await d.connection('clientconnect', client);
    await d.connection('clientdisconnect', client);
    expect(log).toEqual(['a:clientconnect 127.0.0.1:50000', 'b:clientconnect 127.0.0.1:50000', 'a:clientdisconnect c1', 'b:clientdisconnect c1']);
  });

  test.each([
    ['fail', true, 0],
    ['skip', false, 1],
    ['keep', false, 1],
  ] as const)('a failing hook under %s: thrown %s, counted %d', async (policy, thrown, counted) => {
    const d = new Dispatcher([script('s', { clientconnect: () => { throw new Error('no'); } })], { onScriptError: policy });
    const outcome = await d.connection('clientconnect', client).then(() => false, () => true);
    expect(outcome).toBe(thrown);
    expect(d.counts.scriptErrors).toBe(counted);
  });
});

describe('what the dispatcher tells its drivers', () => {
  test.each([
    [[script('user', {})], true],
    [[script('builtin:x', {}, false)], false],
    [[script('builtin:x', {}, false), script('user', {})], true],
    [[], false],
  ])('retainsFlows for %#', (scripts, retains) => {
    expect(new Dispatcher(scripts).retainsFlows).toBe(retains);
  });

  test.each([
    [{ start: () => {} }, false],
    [{ clientconnect: () => {} }, false],
    [{ error: () => {} }, true],
  ] as [Script, boolean][])('needsFlows for %#', (hooks, needs) => {
    expect(new Dispatcher([script('s', hooks)]).needsFlows).toBe(needs);
  });
});

describe('synchronous until a hook returns a promise', () => {
  const sync = (log: string[], name: string): LoadedScript => script(name, { request: () => void log.push(name) });
  const later = (log: string[], name: string): LoadedScript =>
    script(name, { request: async () => void (await Promise.resolve(), log.push(name)) });
  const rejects = (name: string): LoadedScript => script(name, { request: () => Promise.reject(new Error('later')) });

  test('hooks that return nothing: the verdict comes back at once, not as a promise', () => {
    const log: string[] = [];
    const verdict = new Dispatcher([sync(log, 'a'), sync(log, 'b')]).dispatch('request', live(1));
    expect([verdict, log]).toEqual(['go', ['a', 'b']]);
  });

  test('a promise half-way: the later scripts run after it settles, in order', async () => {
    const log: string[] = [];
    const verdict = new Dispatcher([sync(log, 'a'), later(log, 'b'), sync(log, 'c'), later(log, 'd')]).dispatch('request', live(1));
    expect(verdict).toBeInstanceOf(Promise);
    expect(log).toEqual(['a']);
    expect(await verdict).toBe('go');
    expect(log).toEqual(['a', 'b', 'c', 'd']);
  });

  test.each([
    ['skip', 'dropped'],
    ['keep', 'restored'],
  ] as const)('a rejected promise under %s: %s, and the later scripts do not run', async (policy, expected) => {
    const log: string[] = [];
    const d = new Dispatcher([later(log, 'a'), rejects('bad'), sync(log, 'c')], { onScriptError: policy });
    expect(await d.dispatch('request', live(1))).toBe(expected);
    expect(log).toEqual(['a']);
    expect(d.counts.scriptErrors).toBe(1);
  });

  test('a rejected promise under fail rejects with the script error', async () => {
    const d = new Dispatcher([rejects('bad.ts')]);
    await expect(d.dispatch('request', live(1))).rejects.toThrow('bad.ts: hook "request" failed on live flow #1 from 127.0.0.1:50000');
  });
});
