// Pulls exact byte counts out of a chunk stream, whatever the chunk sizes, keeping the absolute offset.
// Buffers only what the current record needs; a record inside one chunk is returned without copying, and
// valid until the next fill() (the read-chunk contract: Release in codec.ts).

import type { Release } from './codec.js';

export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #chunks: Uint8Array[] = [];
  /** Read position inside #chunks[0]. */
  #pos = 0;
  #buffered = 0;
  #ended = false;
  /** Absolute offset of the next unread byte. */
  offset = 0;
  /** Chunks read to their end, released when more bytes are asked for. */
  #done: Uint8Array[] = [];
  readonly #release: Release | undefined;

  constructor(chunks: AsyncIterable<Uint8Array>, release?: Release) {
    this.#source = chunks[Symbol.asyncIterator]();
    this.#release = release;
  }

  #drop(): void {
    const chunk = this.#chunks.shift()!;
    this.#pos = 0;
    if (this.#release !== undefined) this.#done.push(chunk);
  }

  get buffered(): number {
    return this.#buffered;
  }

  /** Buffers at least `n` unread bytes; false when the stream ends first. */
  async fill(n: number): Promise<boolean> {
    // The records taken before were consumed: the caller asks for more only once it handed them on.
    if (this.#done.length > 0) {
      for (const chunk of this.#done) this.#release!(chunk);
      this.#done = [];
    }
    while (this.#buffered < n) {
      if (this.#ended) return false;
      const next = await this.#source.next();
      if (next.done) {
        this.#ended = true;
        return false;
      }
      if (next.value.byteLength === 0) continue;
      this.#chunks.push(next.value);
      this.#buffered += next.value.byteLength;
    }
    return true;
  }

  /** The byte `i` positions ahead, or -1 when not buffered. */
  peekByte(i: number): number {
    let at = this.#pos + i;
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      if (at < chunk.byteLength) return chunk[at]!;
      at -= chunk.byteLength;
    }
    return -1;
  }

  /** Consumes `n` buffered bytes (the caller made sure they are buffered). */
  take(n: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    if (first !== undefined && first.byteLength - this.#pos >= n) {
      out = first.subarray(this.#pos, this.#pos + n);
      this.#pos += n;
      if (this.#pos === first.byteLength) this.#drop();
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.#chunks[0]!;
        const count = Math.min(n - filled, chunk.byteLength - this.#pos);
        out.set(chunk.subarray(this.#pos, this.#pos + count), filled);
        filled += count;
        this.#pos += count;
        if (this.#pos === chunk.byteLength) this.#drop();
      }
    }
    this.#buffered -= n;
    this.offset += n;
    return out;
  }

  /** Distance from the read position to the first `byte` at or after `from` among the buffered bytes; -1 if none. */
  indexOfBuffered(byte: number, from = 0): number {
    let base = 0; // position of this chunk's first unread byte, relative to the read position
    for (let c = 0; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      const start = c === 0 ? this.#pos : 0;
      const length = chunk.byteLength - start;
      if (from < base + length) {
        const at = chunk.indexOf(byte, start + Math.max(0, from - base));
        if (at >= 0) return base + at - start;
      }
      base += length;
    }
    return -1;
  }
}
