// One conformance suite for every codec of flowtx's own formats: property round trips, chunk boundaries,
// pass-through byte identity, truncation and garbage with exact messages.

import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import type { Codec } from '../../src/codecs/codec.js';
import { msgpackCodec } from '../../src/codecs/msgpack/codec.js';
import { ndjsonCodec } from '../../src/codecs/ndjson/codec.js';
import { codecByExtension, sniffCodec } from '../../src/codecs/registry.js';
import { CodecError, SchemaError } from '../../src/errors.js';
import { Flow } from '../../src/model/flow.js';
import type { FlowState } from '../../src/model/state.js';
import { CHUNK_SIZES, flowState } from '../helpers/arbitrary.js';
import { chunked, collectRecords, decodeUntilError, encodeAll, tstate } from '../helpers/tflow.js';

/** Buffers and Uint8Arrays compare equal by content. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

async function decodeStates(codec: Codec, bytes: Uint8Array, chunk: number): Promise<FlowState[]> {
  const records = await collectRecords(codec.decode(chunked(bytes, chunk), 'in.test'));
  return records.map((r) => Flow.state(r.flow));
}

describe.each([
  ['msgpack', msgpackCodec],
  ['ndjson', ndjsonCodec],
])('%s codec', (_name, codec) => {
  prop.prop([fc.array(flowState, { maxLength: 4 })], { numRuns: 150 })('round-trips every field of the model', async (states) => {
    const bytes = encodeAll(codec, states);
    expect(normalise(await decodeStates(codec, bytes, 4096))).toEqual(normalise(states));
  });

  test.each(CHUNK_SIZES)('decodes the same at chunk size %d', async (size) => {
    const states = [tstate(), tstate({ response: false, error: true }), tstate()];
    const bytes = encodeAll(codec, states);
    expect(normalise(await decodeStates(codec, bytes, size))).toEqual(normalise(states));
  });

  test('records are found at their byte offsets and passed through byte-identically', async () => {
    const bytes = encodeAll(codec, [tstate(), tstate({ error: true })]);
    const records = await collectRecords(codec.decode(chunked(bytes, 5), 'in.test'));
    const encoder = codec.encoder();
    const again = Buffer.concat([...encoder.begin(), ...records.flatMap((r) => encoder.encode(r)), ...encoder.end()]);
    expect(again.equals(bytes)).toBe(true);
    expect(records.map((r) => r.position)).toEqual([
      { origin: 'in.test', index: 0, offset: records[0]!.position!.offset },
      { origin: 'in.test', index: 1, offset: records[0]!.position!.offset + records[0]!.raw!.byteLength },
    ]);
    expect(records.every((r) => !r.decoded)).toBe(true);
  });

  test('a changed flow is re-encoded, an unchanged decoded one is not', async () => {
    const bytes = encodeAll(codec, [tstate(), tstate()]);
    const [a, b] = await collectRecords(codec.decode(chunked(bytes, 4096), 'in.test'));
    a!.flow.request.headers.set('x-changed', '1');
    void b!.flow.request.url;
    const encoder = codec.encoder();
    expect(encoder.encode(b!)).toEqual([b!.raw]);
    const decoded = await decodeStates(codec, Buffer.concat([...encoder.begin(), ...encoder.encode(a!)]), 4096);
    expect(decoded[0]!.request!.headers).toContainEqual(['x-changed', '1']);
  });

  test('an empty input has no flows', async () => {
    expect(await decodeStates(codec, new Uint8Array(0), 1)).toEqual([]);
  });

  test('is detected by content and by extension', () => {
    const bytes = encodeAll(codec, [tstate()]);
    expect(sniffCodec(bytes.subarray(0, 64))).toBe(codec);
    expect(codecByExtension(`x.${codec.extensions[0]}.gz`)).toBe(codec);
  });

  test.each([2, 5, 20])('truncation %d bytes before the end keeps the complete flows and names the cut one', async (cut) => {
    const whole = encodeAll(codec, [tstate(), tstate(), tstate()]);
    const { records, error } = await decodeUntilError(codec, whole.subarray(0, whole.byteLength - cut));
    expect(records).toHaveLength(2);
    expect(error).toBeInstanceOf(CodecError);
    const position = (error as CodecError).position;
    expect(position.index).toBe(2);
    expect(position.offset).toBe(records[1]!.position!.offset + records[1]!.raw!.byteLength);
    expect((error as Error).message).toMatch(new RegExp(`^in\\.test: flow #2 at byte ${position.offset}: truncated record`));
  });

  prop.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 300 })('arbitrary bytes decode or raise a typed error', async (garbage) => {
    const { error } = await decodeUntilError(codec, garbage, 7);
    if (error !== undefined) expect(error instanceof CodecError || error instanceof SchemaError).toBe(true);
  });

  prop.prop([fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 255 })], { numRuns: 300 })(
    'a mutated valid stream decodes or raises a typed error',
    async (at, byte) => {
      const bytes = Buffer.from(encodeAll(codec, [tstate(), tstate({ error: true })]));
      bytes[at % bytes.byteLength] = byte;
      const { error } = await decodeUntilError(codec, bytes, 3);
      if (error !== undefined) expect(error instanceof CodecError || error instanceof SchemaError).toBe(true);
    },
  );
});

describe('exact messages', () => {
  test.each<[string, Codec, Uint8Array | string, string]>([
    ['msgpack bad magic', msgpackCodec, 'hello world, not flows', 'in.test: flow #0 at byte 0: not a flowtx msgpack stream (bad magic bytes)'],
    ['msgpack short header', msgpackCodec, Uint8Array.from([0x89, 0x46]), 'in.test: flow #0 at byte 0: truncated header: 2 of 9 bytes'],
    ['msgpack future version', msgpackCodec, Uint8Array.from([0x89, 0x46, 0x54, 0x58, 0x0d, 0x0a, 0x1a, 0x0a, 9]), 'in.test: flow #0 at byte 0: unsupported flowtx msgpack version 9 (this flowtx reads version 1)'],
    ['msgpack zero length', msgpackCodec, Uint8Array.from([0x89, 0x46, 0x54, 0x58, 0x0d, 0x0a, 0x1a, 0x0a, 1, 0, 0, 0, 0]), 'in.test: flow #0 at byte 9: invalid record length 0'],
    ['msgpack payload not a map', msgpackCodec, Uint8Array.from([0x89, 0x46, 0x54, 0x58, 0x0d, 0x0a, 0x1a, 0x0a, 1, 0, 0, 0, 1, 0x2a]), 'in.test: flow #0 at byte 9: flow is 42, expected an object'],
    ['ndjson not JSON', ndjsonCodec, '{"flowtx":1,\n', 'in.test: flow #0 at byte 0: line is not valid JSON: '],
    ['ndjson garbage line', ndjsonCodec, 'garbage\n', 'in.test: flow #0 at byte 0: line does not start with "{"; not a flowtx NDJSON record'],
    ['ndjson no version', ndjsonCodec, '{"id":"x"}\n', 'in.test: flow #0 at byte 0: line has no "flowtx" version field; not a flowtx NDJSON record'],
    ['ndjson future version', ndjsonCodec, '{"flowtx":2}\n', 'in.test: flow #0 at byte 0: unsupported flowtx NDJSON version 2 (this flowtx reads version 1)'],
    ['ndjson missing field', ndjsonCodec, '{"flowtx":1,"id":"x","type":"http"}\n', 'in.test: flow #0 at byte 0: flow.error is missing, expected an object'],
    ['ndjson bad tag', ndjsonCodec, '{"flowtx":1,"id":{"$bigint":"1.5"}}\n', 'in.test: flow #0 at byte 0: "$bigint" value "1.5" is not an integer'],
  ])('%s', async (_name, codec, input, message) => {
    const bytes = typeof input === 'string' ? Buffer.from(input) : input;
    const { error } = await decodeUntilError(codec, bytes);
    expect((error as Error).message.startsWith(message)).toBe(true);
  });

  test('a wrong field names its path', async () => {
    const state = tstate() as unknown as { request: { port: unknown } };
    state.request.port = 'eighty';
    const bytes = encodeAll(msgpackCodec, [state as unknown as FlowState]);
    const { error } = await decodeUntilError(msgpackCodec, bytes);
    expect((error as Error).message).toBe('in.test: flow #0 at byte 9: flow.request.port is "eighty", expected a number');
  });

  test('msgpack files concatenate', async () => {
    const one = encodeAll(msgpackCodec, [tstate()]);
    const states = await decodeStates(msgpackCodec, Buffer.concat([one, one]), 3);
    expect(states).toHaveLength(2);
  });
});

test('an NDJSON file without a final newline is complete', async () => {
  const bytes = encodeAll(ndjsonCodec, [tstate(), tstate()]);
  expect(await decodeStates(ndjsonCodec, bytes.subarray(0, bytes.byteLength - 1), 4096)).toHaveLength(2);
});

test.each([
  ['msgpack', msgpackCodec],
  ['ndjson', ndjsonCodec],
])('%s keeps keys that look like __proto__ (a fast-check counterexample)', async (_name, codec) => {
  const state = tstate() as FlowState;
  state.metadata = JSON.parse('{"__proto__": {"__proto__": 1}, "__proto_": 2, "__proto___": [3], "$x": null}');
  const [back] = await decodeStates(codec, encodeAll(codec, [state]), 4096);
  expect(Object.entries(back!.metadata)).toEqual(Object.entries(state.metadata));
  expect(Object.getPrototypeOf(back!.metadata)).toBe(Object.prototype);
  expect(Object.keys(back!.metadata.__proto__ as object)).toEqual(['__proto__']);
});

test('msgpack renames such keys wherever they sit in a free-form part, leaving the flow as it was', async () => {
  const state = tstate() as FlowState & { request: { extra?: unknown } };
  const metadata = '{"a": 1, "list": [{"b": 2}, {"c": {"__proto__": 3}}], "d": {"e": 4}}';
  const extra = '{"har": {"x": [1, {"__proto__": {"__proto___": 5}}]}}';
  state.metadata = JSON.parse(metadata);
  state.request.extra = JSON.parse(extra);
  const [back] = await decodeStates(msgpackCodec, encodeAll(msgpackCodec, [state]), 4096);
  expect(JSON.stringify(back!.metadata)).toBe(JSON.stringify(JSON.parse(metadata)));
  expect(JSON.stringify((back as typeof state).request.extra)).toBe(JSON.stringify(JSON.parse(extra)));
  expect(JSON.stringify(state.metadata)).toBe(JSON.stringify(JSON.parse(metadata)));
  expect(JSON.stringify(state.request.extra)).toBe(JSON.stringify(JSON.parse(extra)));
});
