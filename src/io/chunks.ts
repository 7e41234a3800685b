// The read-chunk lifetime contract, the one place it is written down: a record's bytes are valid until the
// consumer asks for the next batch, unless it copies them. Sources read into pooled chunks, decoders slice
// records out of them without copying, and whatever keeps a byte longer copies it first.

/**
 * The size of a read from a file. Sinks copy every piece this long or shorter into buffers of their own,
 * so no slice of a read chunk is held once `write()` returns.
 */
export const CHUNK = 256 * 1024;

/**
 * Takes back a chunk nothing refers to any more, so the source reads into it again. A decoder calls it (as
 * Codec.decode's `release`) for each chunk whose records were all consumed: their batch handed on and the
 * next one asked for; a decoder that must keep part of a chunk longer (the HAR splitter's held entry)
 * copies that part out first. A caller passes it only when nothing keeps a record past its batch (no
 * script holds flows); chunks it was not handed out are ignored.
 */
export type Release = (chunk: Uint8Array) => void;

/** Released chunks kept for reuse, at most: more than a decoder holds at once. */
const KEPT = 16;

/**
 * Read buffers, reused once released. Reading into memory already in use costs a tenth of reading into
 * fresh memory, whose pages the kernel maps one by one as they are written (most of a pass-through's time),
 * and released chunks no longer wait for the garbage collector to be freed.
 */
export class ChunkPool {
  readonly #free: Buffer[] = [];

  take(): Buffer {
    const chunk = (this.#free.pop() ?? Buffer.allocUnsafeSlow(CHUNK)) as Pooled;
    chunk[POOLED] = 'out';
    return chunk;
  }

  /** A chunk not handed out and still out (a short last read, one given back already, a foreign buffer) is ignored. */
  give(chunk: Uint8Array): void {
    const pooled = chunk as Pooled;
    if (pooled[POOLED] !== 'out') return;
    pooled[POOLED] = 'free';
    if (this.#free.length < KEPT) this.#free.push(pooled);
  }
}

/**
 * Marks a pool's chunk as handed out or given back. A mark on the object, not a table of chunks: a run
 * that never releases chunks (one with scripts) leaves them to the collector like any buffer.
 */
const POOLED = Symbol('pooled read chunk');
type Pooled = Buffer & { [POOLED]?: 'out' | 'free' };
