// The decode loop of every format whose records are framed in the byte stream (a length prefix, a newline):
// take every record the bytes read so far complete, hand them on as one batch, read more, and at the end
// of the input say what the bytes left over were cut from. The formats only say where a record ends.

import type { FlowRecord } from '../model/record.js';
import { ByteReader } from './byte-reader.js';
import type { Release } from './codec.js';

/** One format's framing, made per input: it may keep what it learnt of the input so far. */
export interface Framing {
  /**
   * Takes the next record when the buffered bytes hold all of it, `index` being its place in the input:
   * the record; null when the bytes taken make no record (a header, a blank line); undefined when more
   * bytes are needed. Throws CodecError for bytes that cannot start a record.
   */
  next(reader: ByteReader, index: number): FlowRecord | null | undefined;
  /**
   * The input ended with bytes left that next() did not take: the record they make when they are one
   * (a last line without its newline), undefined when they make none worth a fault; else throws the
   * CodecError saying what was cut short.
   */
  end(reader: ByteReader, index: number): FlowRecord | undefined;
}

/** The records of `chunks` in batches, as Codec.decode yields them. */
export async function* framedDecode(chunks: AsyncIterable<Uint8Array>, release: Release | undefined, framing: Framing): AsyncIterable<FlowRecord[]> {
  const reader = new ByteReader(chunks, release);
  let index = 0;
  for (;;) {
    const batch: FlowRecord[] = [];
    for (let record = framing.next(reader, index); record !== undefined; record = framing.next(reader, index)) {
      if (record === null) continue;
      batch.push(record);
      index++;
    }
    if (batch.length > 0) yield batch;
    if (await reader.fill(reader.buffered + 1)) continue;
    if (reader.buffered === 0) return;
    const last = framing.end(reader, index);
    if (last !== undefined) yield [last];
    return;
  }
}
