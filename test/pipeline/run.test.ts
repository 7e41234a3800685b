// The run's semantics in-process, through memory ports: which flows are written, which inputs fail, what a
// failure leaves behind, what is counted. The command's process-only behaviour is in test/cli/.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { LoadedScript, Script } from '../../src/engine/hooks.js';
import { Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import { nullSink } from '../../src/pipeline/outputs.js';
import { runStream, type StreamJob, type StreamSettings } from '../../src/pipeline/run.js';
import { loadBuiltin } from '../../src/scripts/builtins.js';
import { MemoryIo, MemoryReporter, streamSettings } from '../helpers/memory-io.js';
import { tstate } from '../helpers/tflow.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));
const SAMPLES = { 'a.flows': fixture('sample.flows'), 'a.ftx': fixture('sample.ftx'), 'a.ndjson': fixture('sample.ndjson'), 'a.har': fixture('sample.har') };
/** Flows in each sample; the HAR one holds the HTTP flows that have a request and a response or error. */
const FLOWS = { 'a.flows': 10, 'a.ftx': 10, 'a.ndjson': 10, 'a.har': 6 } as const;
const FLOWS_IN_SAMPLE = 10;

const settings = streamSettings;

function script(name: string, hooks: Script): LoadedScript {
  return { name, file: `/scripts/${name}`, argv: [name], hooks, target: undefined, retainsFlows: true };
}

async function run(
  inputs: Record<string, Uint8Array>,
  job: Partial<StreamJob> & { inputs: string[] },
  options: { settings?: Partial<StreamSettings>; scripts?: LoadedScript[]; chunk?: number; cancelled?: () => boolean } = {},
) {
  const io = new MemoryIo(inputs, options.chunk);
  const reporter = new MemoryReporter();
  const result = await runStream({ output: 'out', format: undefined, ...job }, settings(options.settings), options.scripts ?? [], io, reporter, options.cancelled);
  return { io, reporter, result };
}

describe('pass-through', () => {
  test.each(Object.keys(SAMPLES))('%s to its own format is byte for byte the input, at any chunk size', async (name) => {
    for (const chunk of [1, 7, 4096, 1 << 20]) {
      if (chunk === 1 && name === 'a.har') continue; // the HAR splitter at size 1 is covered by the codec tests; here it is slow
      const { io, result } = await run(SAMPLES, { inputs: [name] }, { chunk });
      const input = SAMPLES[name as keyof typeof SAMPLES];
      // HAR out is written compact: the same document, not the same bytes.
      if (name === 'a.har') expect(JSON.parse(io.text('out'))).toEqual(JSON.parse(input.toString()));
      else expect(io.outputs.get('out')).toEqual(input);
      const flows = FLOWS[name as keyof typeof FLOWS];
      expect(result.counts).toMatchObject({ read: flows, written: flows });
      expect(result.output).toEqual({ path: 'out', format: result.inputs[0]!.format });
    }
  });

  test('several inputs concatenate in order into the first one\'s format; --to-like format wins', async () => {
    const { io, result } = await run(SAMPLES, { inputs: ['a.ftx', 'a.flows'], format: 'ndjson' });
    const lines = io.text('out').trim().split('\n');
    expect(lines).toHaveLength(2 * FLOWS_IN_SAMPLE);
    expect(result.inputs.map((i) => [i.path, i.format, i.flows, i.status])).toEqual([
      ['a.ftx', 'msgpack', FLOWS_IN_SAMPLE, 'ok'],
      ['a.flows', 'mitmproxy', FLOWS_IN_SAMPLE, 'ok'],
    ]);
  });

  test('a HAR written by flowtx names it, at its version, as the creator', async () => {
    const { io } = await run(SAMPLES, { inputs: ['a.flows'], format: 'har' });
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(JSON.parse(io.text('out')).log.creator).toEqual({ name: 'flowtx', version, comment: '' });
  });

  test('the listing: one line per flow on stdout, or a JSON object per flow', async () => {
    const lines = await run(SAMPLES, { inputs: ['a.flows'], output: null });
    expect(lines.io.text('-').trim().split('\n')).toHaveLength(FLOWS_IN_SAMPLE);
    const json = await run(SAMPLES, { inputs: ['a.flows'], output: null }, { settings: { listing: 'json' } });
    const objects = json.io.text('-').trim().split('\n').map((l) => JSON.parse(l) as { input: string; index: number });
    expect(objects.map((o) => [o.input, o.index])).toEqual([...Array(FLOWS_IN_SAMPLE).keys()].map((i) => ['a.flows', i]));
    expect(json.result.output).toBeNull();
  });
});

describe('faults in inputs', () => {
  const truncated = SAMPLES['a.ftx'].subarray(0, SAMPLES['a.ftx'].byteLength - 10);

  test('a truncated input: every complete flow before the fault is written, the input fails, the next is read', async () => {
    const { io, result, reporter } = await run({ ...SAMPLES, 'cut.ftx': truncated }, { inputs: ['cut.ftx', 'a.ftx'] });
    expect(result.inputs.map((i) => [i.status, i.flows])).toEqual([['failed', FLOWS_IN_SAMPLE - 1], ['ok', FLOWS_IN_SAMPLE]]);
    expect(result.inputs[0]!.error).toMatch(/^cut\.ftx: flow #9 at byte \d+: /);
    expect(reporter.errors).toEqual([result.inputs[0]!.error]);
    expect(result.counts.written).toBe(2 * FLOWS_IN_SAMPLE - 1);
    expect(io.outputs.has('out')).toBe(true);
    expect(result.failure).toBeNull();
  });

  test('--fail-fast: the stream stops at the fault; the complete flows are still written, later inputs skipped', async () => {
    const { io, result } = await run({ ...SAMPLES, 'cut.ftx': truncated }, { inputs: ['cut.ftx', 'a.ftx'] }, { settings: { failFast: true } });
    expect(result.inputs.map((i) => i.status)).toEqual(['failed', 'skipped']);
    expect(result.counts.written).toBe(FLOWS_IN_SAMPLE - 1);
    expect(io.outputs.has('out')).toBe(true);
  });

  test.each([
    ['missing', undefined, 'cannot read missing: no such file'],
    ['garbage', Buffer.from('hello, world, this is not a capture'), 'garbage: flow #0 at byte 0: unrecognised format (starts with "hello, world, th"); known formats: mitmproxy, msgpack, ndjson, har'],
  ])('an input that cannot be read (%s) fails, named; the others are read', async (name, bytes, message) => {
    const { result } = await run({ ...SAMPLES, ...(bytes ? { [name]: bytes } : {}) }, { inputs: [name, 'a.flows'] });
    expect(result.inputs.map((i) => [i.path, i.status, i.error])).toEqual([[name, 'failed', message], ['a.flows', 'ok', null]]);
    expect(result.output).toEqual({ path: 'out', format: 'mitmproxy' });
  });

  test('no input can be read: no output is made', async () => {
    const { io, result } = await run({}, { inputs: ['missing'] });
    expect(io.outputs.size).toBe(0);
    expect(result.output).toBeNull();
    expect(result.inputs[0]!.status).toBe('failed');
  });
});

describe('failures that end the stream', () => {
  test('a script error (fail): no output, an existing one stays; the failure is reported once', async () => {
    const bad = script('bad.ts', { response: () => { throw new Error('boom'); } });
    const { io, result, reporter } = await run(SAMPLES, { inputs: ['a.flows'] }, { scripts: [bad] });
    expect(io.outputs.has('out')).toBe(false);
    expect(io.aborted).toEqual(['out']);
    expect(String(result.failure)).toMatch(/bad\.ts: hook "response" failed on flow #0 of a\.flows \(GET .*\): Error: boom/);
    expect(reporter.errors).toHaveLength(1);
    expect(result.inputs[0]!.status).toBe('ok'); // the input was fine; the stream failed
  });

  test('cancelled: no output and nothing reported (the stream that failed did that)', async () => {
    const { io, result, reporter } = await run(SAMPLES, { inputs: ['a.flows', 'a.ftx'] }, { cancelled: () => true });
    expect(io.outputs.size).toBe(0);
    expect((result.failure as Error).name).toBe('Cancelled');
    expect(reporter.errors).toEqual([]);
  });

  test('an output that cannot be created is the stream\'s failure', async () => {
    const { result } = await run(SAMPLES, { inputs: ['a.flows'], output: '/unwritable/out' });
    expect(String(result.failure)).toBe('IoError: cannot write /unwritable/out: permission denied');
  });
});

describe('scripts, filters and counts', () => {
  const marker = script('mark.ts', { request: (_ctx, flow) => void flow.request.headers.set('x-seen', '1') });

  test.each([
    ['skip', FLOWS_IN_SAMPLE - 1, 1],
    ['keep', FLOWS_IN_SAMPLE, 0],
  ] as const)('--on-script-error %s: written %d, dropped %d', async (policy, written, dropped) => {
    let calls = 0;
    const second = script('second.ts', { request: () => { if (calls++ === 1) throw new Error('once'); } });
    const { result, reporter } = await run(SAMPLES, { inputs: ['a.ftx'], format: 'ndjson' }, { scripts: [marker, second], settings: { onScriptError: policy } });
    expect(result.counts).toMatchObject({ read: FLOWS_IN_SAMPLE, written, dropped, scriptErrors: 1 });
    expect(result.failure).toBeNull();
    expect(reporter.lines.filter((l) => l.startsWith('warn flowtx: second.ts: hook "request" failed on flow #1 of a.ftx'))).toHaveLength(1);
  });

  test('keep writes the failing flow as read, without what an earlier script did to it', async () => {
    let calls = 0;
    const second = script('second.ts', { request: () => { if (calls++ === 0) throw new Error('once'); } });
    const { io } = await run(SAMPLES, { inputs: ['a.ftx'], format: 'ndjson' }, { scripts: [marker, second], settings: { onScriptError: 'keep' } });
    const seen = io.text('out').trim().split('\n').map((l) => l.includes('x-seen'));
    expect(seen).toEqual([false, ...Array(FLOWS_IN_SAMPLE - 2).fill(true), false]); // the last flow is TCP: no hooks
  });

  test('--filter leaves flows out before any script; --select only keeps scripts off the others', async () => {
    const filtered = await run(SAMPLES, { inputs: ['a.flows'] }, { scripts: [marker], settings: { filter: '~m POST' } });
    expect(filtered.result.counts).toMatchObject({ read: 10, filtered: 8, written: 2 });
    const selected = await run(SAMPLES, { inputs: ['a.flows'], format: 'ndjson' }, { scripts: [marker], settings: { select: '~m POST' } });
    expect(selected.result.counts).toMatchObject({ read: 10, filtered: 0, written: 10 });
    expect(selected.io.text('out').trim().split('\n').filter((l) => l.includes('x-seen'))).toHaveLength(2);
  });

  test('read chunks are handed back only when no script may keep a flow', async () => {
    const plain = await run(SAMPLES, { inputs: ['a.flows'] });
    const builtin = await run(SAMPLES, { inputs: ['a.flows'] }, { scripts: [loadBuiltin('builtin:decode', ['builtin:decode'])] });
    const user = await run(SAMPLES, { inputs: ['a.flows'] }, { scripts: [marker] });
    expect([plain.io.released > 0, builtin.io.released > 0, user.io.released]).toEqual([true, true, 0]);
  });

  test('bytes and flows are counted as they are read', async () => {
    const { reporter, result } = await run(SAMPLES, { inputs: ['a.flows', 'a.har'] });
    expect(reporter.bytes).toBe(SAMPLES['a.flows'].byteLength + SAMPLES['a.har'].byteLength);
    expect(reporter.flows).toBe(FLOWS['a.flows'] + FLOWS['a.har']);
    expect(result.inputs.map((i) => i.bytes)).toEqual([SAMPLES['a.flows'].byteLength, SAMPLES['a.har'].byteLength]);
  });
});

describe('flow sinks', () => {
  test('the null sink counts what it is given and keeps none of it', async () => {
    const sink = nullSink();
    await sink.write([FlowRecord.of(new Flow(tstate())), FlowRecord.of(new Flow(tstate()))]);
    await sink.write([]);
    await sink.close();
    expect([sink.written, sink.lost]).toEqual([2, {}]);
  });
});
