// Built-in scripts: named by string, loaded like user scripts, never keeping flows.

import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { Dispatcher } from '../../src/engine/dispatch.js';
import { Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import { builtinSummaries } from '../../src/scripts/builtins.js';
import { loadScript } from '../../src/scripts/load.js';
import { tstate } from '../helpers/tflow.js';

const noWarnings = (m: string): never => {
  throw new Error(`unexpected warning: ${m}`);
};

describe('naming and loading', () => {
  test('every built-in loads by name, says it keeps no flows, and has a summary', async () => {
    expect(builtinSummaries().length).toBeGreaterThan(0);
    for (const [name, summary] of builtinSummaries()) {
      const script = await loadScript(name, noWarnings);
      expect(script).toMatchObject({ name, file: name, argv: [name], retainsFlows: false });
      expect(Object.keys(script.hooks).length).toBeGreaterThan(0);
      expect(summary.length).toBeGreaterThan(10);
    }
  });

  test.each([
    ['builtin:nope', 'unknown built-in script builtin:nope; built-ins: builtin:decode, builtin:scrub'],
    ['builtin:toString', 'unknown built-in script builtin:toString; built-ins: builtin:decode, builtin:scrub'],
    ['builtin:decode --fast', 'builtin:decode: takes no arguments, got --fast'],
    ['builtin:scrub --fast', 'builtin:scrub: unknown argument "--fast"; builtin:scrub takes --key KEY, --style hmac|fixed and --check'],
    ['builtin:scrub --style loud', 'builtin:scrub: --style expects hmac or fixed'],
    ['builtin:scrub --key', 'builtin:scrub: --key expects a key'],
  ])('%s is a script error: %s', async (spec, message) => {
    await expect(loadScript(spec, noWarnings)).rejects.toThrow(message);
  });

  test('a user script keeps flows as far as flowtx knows', async () => {
    const script = await loadScript('examples/add_header.ts', noWarnings);
    expect(script.retainsFlows).toBe(true);
  });
});

describe('builtin:decode', () => {
  async function decoded(state: ReturnType<typeof tstate>): Promise<{ flow: Flow; warnings: string[] }> {
    const warnings: string[] = [];
    const d = new Dispatcher([await loadScript('builtin:decode', noWarnings)], { log: (_l, _s, m) => warnings.push(m) });
    const record = FlowRecord.of(new Flow(state), { kind: 'file', path: 'in.flows', index: 3, offset: 0 });
    await d.dispatch('request', record);
    await d.dispatch('response', record);
    return { flow: record.flow, warnings };
  }

  test('undoes gzip on both sides, drops Content-Encoding, fixes Content-Length', async () => {
    const state = tstate();
    state.request.headers.push(['Content-Encoding', 'gzip'], ['Content-Length', '1']);
    state.request.content = gzipSync('a=1');
    const { flow, warnings } = await decoded(state);
    expect(warnings).toEqual([]);
    expect(Buffer.from(flow.request.content!).toString()).toBe('a=1');
    expect(flow.request.headers.get('content-encoding')).toBeUndefined();
    expect(flow.request.headers.get('content-length')).toBe('3');
    expect(Buffer.from(flow.response!.content!).toString()).toBe('hello');
    expect(flow.response!.headers.get('content-encoding')).toBeUndefined();
    expect(flow.response!.headers.get('content-length')).toBe('5');
  });

  test('a body that does not decode is left as it is, with a warning that shows no body', async () => {
    const state = tstate();
    state.response!.content = Buffer.from('not gzip at all');
    const { flow, warnings } = await decoded(state);
    expect(Buffer.from(flow.response!.content!).toString()).toBe('not gzip at all');
    expect(flow.response!.headers.get('content-encoding')).toBe('gzip');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^response body of flow #3 left encoded: /);
    expect(warnings[0]).not.toContain('not gzip at all');
  });

  test('a flow with nothing encoded is not changed', async () => {
    const state = tstate();
    state.response!.headers = [['Content-Type', 'text/plain']];
    state.response!.content = Buffer.from('plain');
    const { flow } = await decoded(state);
    expect(flow.changed).toBe(false);
  });
});
