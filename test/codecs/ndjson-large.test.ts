// NDJSON and values too large for one string: the writer puts large bodies out in pieces (byte-identical to
// the one-string line), the reader refuses a line longer than a string can be, where it starts and early.

import { describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { decodeLines, ndjsonCodec } from '../../src/codecs/ndjson/codec.js';
import { linePieces } from '../../src/codecs/ndjson/line.js';
import { CodecError } from '../../src/errors.js';
import { Flow } from '../../src/model/flow.js';
import type { HttpFlowState } from '../../src/model/state.js';
import { chunked, collectRecords, encodeAll, tstate } from '../helpers/tflow.js';

const whole = (state: unknown): Buffer => Buffer.concat(linePieces(state, Infinity));

function withBodies(request: Uint8Array, response: Uint8Array): HttpFlowState {
  const state = tstate();
  state.request.content = request;
  state.response!.content = response;
  return state;
}

const binary = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) % 256);
// Every kind of character JSON escapes or passes: quotes, backslashes, controls, 2-, 3- and 4-byte UTF-8.
const text = (n: number): Uint8Array => Buffer.from('a"\\\n\t\u0001é€😀 flowtx-piece:'.repeat(n));

describe('the writer in pieces', () => {
  test.each([
    ['binary, lengths around multiples of 3', binary(100), binary(101)],
    ['text that a slice cuts inside characters', text(7), text(1)],
    ['binary beside text', binary(50), text(5)],
    ['text with nothing to escape, and a little that needs it', Buffer.from('plain é€😀 '.repeat(30)), Buffer.from(`${'plain '.repeat(30)}"`)],
    ['bodies at the inline size are inline', binary(16), text(1)],
  ])('%s: the same bytes as the one-string line', (_name, request, response) => {
    const state = withBodies(request, response);
    for (const slice of [4, 5, 6, 7, 64]) {
      const pieces = linePieces(state, 16, slice);
      expect(Buffer.concat(pieces).equals(whole(state))).toBe(true);
    }
  });

  test('large bodies are many pieces, none of them large', () => {
    const pieces = linePieces(withBodies(binary(3000), text(100)), 16, 300);
    expect(pieces.length).toBeGreaterThan(20);
    expect(Math.max(...pieces.map((p) => p.byteLength))).toBeLessThanOrEqual(1200);
  });

  test('a mitmproxy flow with a body over the inline size converts to NDJSON and reads back', async () => {
    const body = binary(5 * 1024 * 1024 + 1);
    const flows = encodeAll(mitmproxyCodec, [withBodies(new Uint8Array(0), body)]);
    const [record] = await collectRecords(mitmproxyCodec.decode(chunked(flows, 256 * 1024), 'in.flows'));
    record!.flow.request.headers.set('x-changed', '1'); // so it is encoded from its flow, not copied
    const pieces = ndjsonCodec.encoder().encode(record!);
    expect(pieces.length).toBeGreaterThan(2);
    const line = Buffer.concat(pieces);
    expect(line.equals(whole({ flowtx: 1, ...Flow.state(record!.flow) }))).toBe(true);
    const [back] = await collectRecords(ndjsonCodec.decode(chunked(line, 256 * 1024), 'out.ndjson'));
    expect(Buffer.from(back!.flow.response!.content!).equals(body)).toBe(true);
  });
});

async function decodeError(chunks: AsyncIterable<Uint8Array>, maxLine: number): Promise<{ flows: number; error: unknown }> {
  let flows = 0;
  try {
    for await (const batch of decodeLines(chunks, 'in.ndjson', undefined, maxLine)) flows += batch.length;
  } catch (error) {
    return { flows, error };
  }
  return { flows, error: undefined };
}

describe('the reader and a line longer than a string', () => {
  const first = encodeAll(ndjsonCodec, [tstate()]);
  const maxLine = first.byteLength + 10; // the first line fits

  test('fails, located, once that many bytes are buffered: it reads no further', async () => {
    let pulled = 0;
    async function* endless(): AsyncIterable<Uint8Array> {
      yield first;
      yield Buffer.from('{"flowtx":1,"id":"');
      for (;;) {
        pulled++;
        yield Buffer.alloc(64, 'x');
      }
    }
    const { flows, error } = await decodeError(endless(), maxLine);
    expect(flows).toBe(1);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toBe(
      `in.ndjson: flow #1 at byte ${first.byteLength}: record of more than ${maxLine} bytes is longer than the longest string this runtime makes (${maxLine} characters)`,
    );
    expect(pulled).toBeLessThanOrEqual(Math.ceil(maxLine / 64) + 1);
  });

  test('a line whose end is in the chunk that crossed the limit has its length named', async () => {
    const long = Buffer.concat([first.subarray(0, first.byteLength - 1), Buffer.alloc(20, ' '), Buffer.from('\n')]);
    const { error } = await decodeError(chunked(Buffer.concat([first, long]), 1 << 20), maxLine);
    expect((error as Error).message).toBe(
      `in.ndjson: flow #1 at byte ${first.byteLength}: record of ${long.byteLength - 1} bytes is longer than the longest string this runtime makes (${maxLine} characters)`,
    );
  });

  test('a line of exactly the limit is read', async () => {
    const { flows, error } = await decodeError(chunked(Buffer.concat([first, first]), 7), first.byteLength - 1);
    expect(error).toBeUndefined();
    expect(flows).toBe(2);
  });
});
