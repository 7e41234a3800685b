import { describe, expect, test } from 'vitest';
import { Dispatcher, type DispatcherOptions } from '../../src/engine/dispatch.js';
import type { LoadedScript, Script } from '../../src/engine/hooks.js';
import { replay, type Gates } from '../../src/engine/replay.js';
import { Flow, createFlow, makeResponse } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import { FilterSyntaxError, SchemaError } from '../../src/errors.js';
import { compileFilter } from '../../src/filter/compile.js';
import { collectRecords, tstate } from '../helpers/tflow.js';

function script(name: string, hooks: Script, target?: object): LoadedScript {
  return { name, file: `/scripts/${name}`, argv: [name, '--flag'], hooks, target, retainsFlows: true };
}

/** One batch per two records, as a codec would yield them. */
function records(...states: ReturnType<typeof tstate>[]): AsyncIterable<FlowRecord[]> {
  return (async function* () {
    const all = states.map((state, index) =>
      FlowRecord.read({ origin: 'in.test', index, offset: index * 100 }, new Uint8Array([index]), 'test/1', () => structuredClone(state)),
    );
    for (let i = 0; i < all.length; i += 2) yield all.slice(i, i + 2);
  })();
}

type RunOptions = DispatcherOptions & Gates & { scripts: readonly LoadedScript[] };

async function runAll(options: RunOptions, input = records(tstate())): Promise<{ out: FlowRecord[]; engine: Dispatcher }> {
  const engine = new Dispatcher(options.scripts, options);
  return { out: await collectRecords(replay(input, engine, options)), engine };
}

/** A script that records every event it sees as "name:event". */
function recorder(name: string, log: string[]): LoadedScript {
  return script(name, {
    start: (_ctx, argv) => void log.push(`${name}:start(${argv.join(' ')})`),
    request: () => void log.push(`${name}:request`),
    response: () => void log.push(`${name}:response`),
    error: () => void log.push(`${name}:error`),
    done: () => void log.push(`${name}:done`),
  });
}

describe('event order on saved flows', () => {
  test.each([
    [false, false, ['request']],
    [true, false, ['request', 'response']],
    [false, true, ['request', 'error']],
    [true, true, ['request', 'response', 'error']],
  ])('hasResponse=%s hasError=%s → %j', async (response, error, events) => {
    const log: string[] = [];
    await runAll({ scripts: [recorder('a', log)] }, records(tstate({ response, error })));
    expect(log).toEqual(['a:start(a --flag)', ...events.map((e) => `a:${e}`), 'a:done']);
  });

  test('chained scripts: each event passes through every script before the next event', async () => {
    const log: string[] = [];
    await runAll({ scripts: [recorder('a', log), recorder('b', log)] }, records(tstate({ error: true }), tstate({ response: false })));
    expect(log).toEqual([
      'a:start(a --flag)', 'b:start(b --flag)',
      'a:request', 'b:request', 'a:response', 'b:response', 'a:error', 'b:error',
      'a:request', 'b:request',
      'a:done', 'b:done',
    ]);
  });

  test('a request hook that sets a response makes response run', async () => {
    const log: string[] = [];
    const adds = script('adds', { request: (_ctx, flow) => void (flow.response = makeResponse({ statusCode: 418 })) });
    const { out } = await runAll({ scripts: [adds, recorder('b', log)] }, records(tstate({ response: false })));
    expect(log).toContain('b:response');
    expect(out[0]!.flow.response!.statusCode).toBe(418);
  });

  test('async hooks are awaited in order', async () => {
    const log: string[] = [];
    const slow = script('slow', {
      request: async () => {
        await new Promise((r) => setTimeout(r, 20));
        log.push('slow:request');
      },
    });
    await runAll({ scripts: [slow, recorder('b', log)] });
    expect(log.indexOf('slow:request')).toBeLessThan(log.indexOf('b:request'));
  });

  test('hooks of a default-exported object run with it as this', async () => {
    const target = { seen: 0, request(this: { seen: number }) { this.seen++; } };
    await runAll({ scripts: [script('obj', { request: target.request }, target)] }, records(tstate(), tstate()));
    expect(target.seen).toBe(2);
  });

  test('non-HTTP flows pass through untouched and get no events', async () => {
    const log: string[] = [];
    const tcp = { ...tstate(), type: 'tcp' as const, messages: [] };
    const { out } = await runAll({ scripts: [recorder('a', log)] }, records(tcp as never));
    expect(log).toEqual(['a:start(a --flag)', 'a:done']);
    expect(out[0]!.pristine).toBe(true);
  });
});

describe('output', () => {
  test('without flow hooks records are not even decoded', async () => {
    const { out } = await runAll({ scripts: [script('s', { start: () => {} })] }, records(tstate(), tstate()));
    expect(out.map((r) => r.decoded)).toEqual([false, false]);
  });

  test('hook mutations land in the output; untouched flows stay pristine', async () => {
    const s = script('s', { response: (_ctx, flow) => void (flow.request.path === '/changed' && flow.response!.headers.set('x-new', '1')) });
    const changed = tstate();
    changed.request.path = '/changed';
    const { out } = await runAll({ scripts: [s] }, records(changed, tstate()));
    expect(Flow.state(out[0]!.flow).response!.headers).toContainEqual(['x-new', '1']);
    expect(out.map((r) => r.pristine)).toEqual([false, true]);
  });

  test('drop leaves a flow out and stops its events; emit adds flows after the current one', async () => {
    const log: string[] = [];
    const first = script('first', {
      start: (ctx) => ctx.emit(createFlow({ request: { url: 'http://127.0.0.1/start' } })),
      request: (ctx, flow) => {
        if (flow.request.path === '/drop') ctx.drop();
        else ctx.emit(createFlow({ request: { url: `http://127.0.0.1/after${ctx.index}` } }));
      },
      done: (ctx) => ctx.emit(createFlow({ request: { url: 'http://127.0.0.1/done' } })),
    });
    const dropped = tstate();
    dropped.request.path = '/drop';
    const { out, engine } = await runAll({ scripts: [first, recorder('b', log)] }, records(tstate(), dropped, tstate()));
    expect(out.map((r) => r.flow.request.path)).toEqual(['/start', '/path?a=1&b=2', '/after0', '/path?a=1&b=2', '/after2', '/done']);
    expect(log.filter((l) => l === 'b:request')).toHaveLength(2);
    expect(engine.counts).toEqual({ read: 3, dropped: 1, emitted: 4, filtered: 0, scriptErrors: 0 });
  });

  test('context: options, per-script state, input and index', async () => {
    const seen: unknown[] = [];
    const s = script('s', {
      request: (ctx) => {
        ctx.state.n = ((ctx.state.n as number) ?? 0) + 1;
        seen.push([ctx.options.mode, ctx.state.n, ctx.input, ctx.index, ctx.event]);
      },
    });
    await runAll({ scripts: [s], options: { mode: 'strict' } }, records(tstate(), tstate()));
    expect(seen).toEqual([['strict', 1, 'in.test', 0, 'request'], ['strict', 2, 'in.test', 1, 'request']]);
  });

  test('ctx.log goes to the log sink with the script name', async () => {
    const lines: string[] = [];
    const s = script('s', { start: (ctx) => ctx.log.warn('careful %d', 3) });
    await runAll({ scripts: [s], log: (level, source, message) => lines.push(`${level} ${source} ${message}`) });
    expect(lines).toEqual(['warn s careful 3']);
  });
});

describe('filters', () => {
  const post = (): ReturnType<typeof tstate> => {
    const state = tstate();
    state.request.method = 'POST';
    state.request.path = '/login';
    return state;
  };

  test('--filter: only matching flows reach the scripts and the output; the others are counted', async () => {
    const log: string[] = [];
    const { out, engine } = await runAll(
      { scripts: [recorder('r', log)], filter: compileFilter('~m POST') },
      records(tstate(), post(), tstate(), post()),
    );
    expect(out.map((r) => r.flow.request.method)).toEqual(['POST', 'POST']);
    expect(log.filter((l) => l === 'r:request')).toHaveLength(2);
    expect(engine.counts).toMatchObject({ read: 4, filtered: 2, dropped: 0 });
    expect(out.every((r) => r.pristine)).toBe(true);
  });

  test('--select: scripts run on matching flows only; the others pass through unchanged', async () => {
    const s = script('s', { request: (_ctx, flow) => void flow.request.headers.set('x-seen', '1') });
    const { out, engine } = await runAll({ scripts: [s], select: compileFilter('~u /login') }, records(tstate(), post(), tstate()));
    expect(out.map((r) => r.pristine)).toEqual([true, false, true]);
    expect(out.map((r) => r.flow.request.headers.get('x-seen'))).toEqual([undefined, '1', undefined]);
    expect(engine.counts).toMatchObject({ read: 3, filtered: 0 });
  });

  test('ctx.filter() compiles a predicate a script can use; a bad expression fails the script with the caret', async () => {
    const seen: boolean[] = [];
    const s = script('s', {
      start: (ctx) => void (ctx.state.isPost = ctx.filter('~m POST & ~u login')),
      request: (ctx, flow) => void seen.push((ctx.state.isPost as (f: Flow) => boolean)(flow)),
    });
    await runAll({ scripts: [s] }, records(tstate(), post()));
    expect(seen).toEqual([false, true]);

    const bad = script('bad', { start: (ctx) => void ctx.filter('~m') });
    const error = await runAll({ scripts: [bad] }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/hook "start" failed: FilterSyntaxError: invalid filter expression at column 3: ~m needs a pattern/);
    expect((error as Error).cause).toBeInstanceOf(FilterSyntaxError);
  });
});

describe('script errors', () => {
  const thrower = (value: unknown): LoadedScript => script('bad.ts', { response: () => { throw value; } });

  test.each([
    [new TypeError('boom'), 'bad.ts: hook "response" failed on flow #0 of in.test (GET http://example.com/path?a=1&b=2): TypeError: boom'],
    ['boom', 'bad.ts: hook "response" failed on flow #0 of in.test (GET http://example.com/path?a=1&b=2): non-Error value thrown: "boom"'],
    [{ code: 7 }, 'bad.ts: hook "response" failed on flow #0 of in.test (GET http://example.com/path?a=1&b=2): non-Error value thrown: { code: 7 }'],
  ])('fail (default) stops the run: %s', async (value, message) => {
    await expect(runAll({ scripts: [thrower(value)] })).rejects.toThrow(message);
  });

  test('skip drops the failing flow and counts it', async () => {
    const warnings: string[] = [];
    const { out, engine } = await runAll(
      { scripts: [thrower(new Error('x'))], onScriptError: 'skip', log: (_l, _s, m) => warnings.push(m) },
      records(tstate(), tstate({ response: false })),
    );
    expect(out).toHaveLength(1);
    expect(engine.counts.scriptErrors).toBe(1);
    expect(warnings[0]).toMatch(/\(flow dropped: --on-script-error skip\)$/);
  });

  test('keep writes the failing flow unchanged, undoing earlier hooks', async () => {
    const changes = script('changes', { request: (_ctx, flow) => void (flow.request.method = 'PUT') });
    const { out } = await runAll({ scripts: [changes, thrower(new Error('x'))], onScriptError: 'keep' });
    expect(out[0]!.pristine).toBe(true);
    expect(out[0]!.flow.request.method).toBe('GET');
  });

  test('a failing start hook stops the run whatever the policy', async () => {
    const s = script('s.ts', { start: () => { throw new Error('no config'); } });
    await expect(runAll({ scripts: [s], onScriptError: 'keep' })).rejects.toThrow('s.ts: hook "start" failed: Error: no config');
  });
});

describe('faults', () => {
  test('a record that fails to decode mid-batch: the records before it are yielded, then the error', async () => {
    const engine = new Dispatcher([script('s', { request: () => {} })]);
    const good = FlowRecord.read({ origin: 'in.test', index: 0, offset: 0 }, new Uint8Array(1), 'test/1', () => tstate());
    const bad = FlowRecord.read({ origin: 'in.test', index: 1, offset: 1 }, new Uint8Array(1), 'test/1', () => {
      throw new SchemaError({ origin: 'in.test', index: 1, offset: 1 }, 'flow.id is missing, expected a string');
    });
    const seen: FlowRecord[] = [];
    const run = async (): Promise<void> => {
      for await (const batch of replay((async function* () { yield [good, bad]; })(), engine)) seen.push(...batch);
    };
    await expect(run()).rejects.toThrow('in.test: flow #1 at byte 1: flow.id is missing, expected a string');
    expect(seen).toEqual([good]);
  });

  test('an input fault met inside a hook ends the run whatever the policy', async () => {
    const position = { origin: 'in.test', index: 1, offset: 1 };
    const corrupt = FlowRecord.read(position, new Uint8Array(1), 'test/1', () =>
      Object.defineProperty(tstate(), 'clientConn', {
        get() {
          throw new SchemaError(position, 'client_conn.id is missing, expected text');
        },
      }),
    );
    const reads = script('reads', { request: (_ctx, flow) => void flow.clientConn });
    const good = FlowRecord.read({ origin: 'in.test', index: 0, offset: 0 }, new Uint8Array(1), 'test/1', () => tstate());
    const engine = new Dispatcher([reads], { onScriptError: 'skip' });
    const seen: FlowRecord[] = [];
    const run = async (): Promise<void> => {
      for await (const batch of replay((async function* () { yield [good, corrupt]; })(), engine)) seen.push(...batch);
    };
    await expect(run()).rejects.toThrow('in.test: flow #1 at byte 1: client_conn.id is missing, expected text');
    expect(seen).toEqual([good]);
    expect(engine.counts.scriptErrors).toBe(0);
  });
});
