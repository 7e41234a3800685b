// Decoders hand read chunks back (Codec.decode's `release`) so a source can read into them again. A chunk
// handed back must hold no byte of a record not yet consumed: the test overwrites every released chunk at
// once, as a source reusing it would, and the records must still be exactly the input's.

import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Codec } from '../../src/codecs/codec.js';
import { harCodec } from '../../src/codecs/har/codec.js';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { msgpackCodec } from '../../src/codecs/msgpack/codec.js';
import { ndjsonCodec } from '../../src/codecs/ndjson/codec.js';
import type { FlowRecord } from '../../src/model/record.js';
import type { FlowState } from '../../src/model/state.js';
import { flowState, httpFlowState, statesInChunks } from '../helpers/arbitrary.js';
import { encodeAll } from '../helpers/tflow.js';

/** `bytes` in chunks of `size`, each a buffer of its own (as a file source reads them). */
async function* chunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield Uint8Array.prototype.slice.call(bytes, i, i + size);
}

/** How each codec's file is made from flow states: HAR also as browsers write it (pretty-printed). */
const files: [string, Codec, fc.Arbitrary<FlowState>, (states: FlowState[]) => Buffer][] = [
  ['mitmproxy', mitmproxyCodec, flowState, (states) => encodeAll(mitmproxyCodec, states)],
  ['msgpack', msgpackCodec, flowState, (states) => encodeAll(msgpackCodec, states)],
  ['ndjson', ndjsonCodec, flowState, (states) => encodeAll(ndjsonCodec, states)],
  ['har, one entry a line', harCodec, httpFlowState, (states) => encodeAll(harCodec, states)],
  ['har, pretty-printed', harCodec, httpFlowState, (states) => Buffer.from(JSON.stringify(JSON.parse(encodeAll(harCodec, states).toString()), null, 2))],
];

describe.each(files)('%s: spent chunks', (_name, codec, state, encode) => {
  prop.prop([statesInChunks(state)], { numRuns: 60 })(
    'hold nothing of a record not yet consumed',
    async ([states, size]) => {
      const file = encode(states);
      const spent = new Set<Uint8Array>();
      const consumed: { offset: number; raw: Buffer }[] = [];
      const batches = codec.decode(chunks(file, size), 'in.test', (chunk) => {
        expect(spent.has(chunk)).toBe(false); // handed back once
        spent.add(chunk);
        chunk.fill(0xee); // what reading into it again would do
      });
      for await (const batch of batches as AsyncIterable<FlowRecord[]>) {
        // Consumed as the pipeline does: copied out before the next batch is asked for.
        for (const record of batch) consumed.push({ offset: record.position!.offset, raw: Buffer.from(record.raw!) });
      }
      expect(consumed).toHaveLength(states.length);
      for (const { offset, raw } of consumed) expect(raw.toString('hex')).toBe(file.subarray(offset, offset + raw.byteLength).toString('hex'));
      expect(spent.size).toBeGreaterThan(0);
    },
  );
});
