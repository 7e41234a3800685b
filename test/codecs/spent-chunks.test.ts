// Decoders hand read chunks back (Codec.decode's `spent`) so a source can read into them again. A chunk
// handed back must hold no byte of a record not yet consumed: the test overwrites every spent chunk at
// once, as a source reusing it would, and the records must still be exactly the input's.

import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Codec } from '../../src/codecs/codec.js';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { msgpackCodec } from '../../src/codecs/msgpack/codec.js';
import { ndjsonCodec } from '../../src/codecs/ndjson/codec.js';
import type { FlowRecord } from '../../src/model/record.js';
import { flowState } from '../helpers/arbitrary.js';
import { encodeAll } from '../helpers/tflow.js';

/** `bytes` in chunks of `size`, each a buffer of its own (as a file source reads them). */
async function* chunks(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield Uint8Array.prototype.slice.call(bytes, i, i + size);
}

describe.each<[string, Codec]>([
  ['mitmproxy', mitmproxyCodec],
  ['msgpack', msgpackCodec],
  ['ndjson', ndjsonCodec],
])('%s: spent chunks', (_name, codec) => {
  prop.prop([fc.array(flowState, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 4096 })], { numRuns: 60 })(
    'hold nothing of a record not yet consumed',
    async (states, size) => {
      const file = encodeAll(codec, states);
      const spent = new Set<Uint8Array>();
      const consumed: Buffer[] = [];
      const batches = codec.decode(chunks(file, size), 'in.test', (chunk) => {
        expect(spent.has(chunk)).toBe(false); // handed back once
        spent.add(chunk);
        chunk.fill(0xee); // what reading into it again would do
      });
      for await (const batch of batches as AsyncIterable<FlowRecord[]>) {
        // Consumed as the pipeline does: copied out before the next batch is asked for.
        for (const record of batch) consumed.push(Buffer.from(record.raw!));
      }
      const all = Buffer.concat(consumed);
      expect(all.toString("hex")).toBe(file.subarray(file.byteLength - all.byteLength).toString("hex"));
      expect(spent.size).toBeGreaterThan(0);
    },
  );
});
