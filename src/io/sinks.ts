// Where bytes go: a file written to a temporary name beside the target and renamed only when complete (an
// existing file is never half-overwritten), or stdout. Small pieces are gathered into large writes.
// Moves bytes only; never sees a flow.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished as streamFinished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { IoError } from '../errors.js';

const BATCH = 1024 * 1024;
const IOV_MAX = 1024;

export interface Sink {
  readonly name: string;
  write(pieces: readonly Uint8Array[]): Promise<void>;
  /** Flushes and makes the output visible (renames the temporary file into place). */
  commit(): Promise<void>;
  /** Discards the output; an existing file at the target stays as it was. */
  abort(): Promise<void>;
}

/** Gathers pieces and hands them on in batches of about 1 MiB. */
class Batcher {
  #pending: Uint8Array[] = [];
  #size = 0;
  readonly #flush: (pieces: Uint8Array[]) => Promise<void>;

  constructor(flush: (pieces: Uint8Array[]) => Promise<void>) {
    this.#flush = flush;
  }

  async add(pieces: readonly Uint8Array[]): Promise<void> {
    for (const piece of pieces) {
      this.#pending.push(piece);
      this.#size += piece.byteLength;
    }
    if (this.#size >= BATCH) await this.drain();
  }

  async drain(): Promise<void> {
    if (this.#pending.length === 0) return;
    const pieces = this.#pending;
    this.#pending = [];
    this.#size = 0;
    await this.#flush(pieces);
  }
}

/**
 * Writes batches at explicit positions on the thread pool without waiting for each, up to IN_FLIGHT bytes,
 * so the kernel's copy into the page cache overlaps with reading and encoding on the main thread (the
 * machine has two cores; awaiting every write leaves one idle).
 */
class OverlappedWriter {
  static readonly IN_FLIGHT = 2 * BATCH;
  readonly #handle: FileHandle;
  #position = 0;
  #pending: Promise<void>[] = [];
  #sizes: number[] = [];
  #inFlight = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(pieces: Uint8Array[]): Promise<void> {
    const size = pieces.reduce((n, p) => n + p.byteLength, 0);
    const written = this.#writeAll(pieces, this.#position);
    written.catch(() => {}); // rejections are seen when awaited in write() or flush()
    this.#pending.push(written);
    this.#sizes.push(size);
    this.#position += size;
    this.#inFlight += size;
    while (this.#inFlight > OverlappedWriter.IN_FLIGHT) {
      await this.#pending.shift();
      this.#inFlight -= this.#sizes.shift()!;
    }
  }

  async flush(): Promise<void> {
    const pending = this.#pending.splice(0);
    this.#sizes.length = 0;
    this.#inFlight = 0;
    await Promise.all(pending);
  }

  /**
   * writev takes at most IOV_MAX (1024 on Linux) buffers and may write less than asked: write in groups and
   * continue from where each call stopped.
   */
  async #writeAll(pieces: Uint8Array[], position: number): Promise<void> {
    let at = position;
    let i = 0;
    let head: Uint8Array | undefined; // the rest of a piece a short write cut
    while (i < pieces.length || head !== undefined) {
      const group: Uint8Array[] = head === undefined ? [] : [head];
      while (group.length < IOV_MAX && i < pieces.length) group.push(pieces[i++]!);
      head = undefined;
      let { bytesWritten } = await this.#handle.writev(group, at);
      at += bytesWritten;
      for (let g = 0; g < group.length; g++) {
        const piece = group[g]!;
        if (bytesWritten >= piece.byteLength) {
          bytesWritten -= piece.byteLength;
          continue;
        }
        head = piece.subarray(bytesWritten);
        i -= group.length - g - 1; // the pieces after it go again
        break;
      }
    }
  }
}

function writeTo(stream: Writable, pieces: Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    stream.once('error', onError);
    const ok = stream.write(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
    const done = (): void => {
      stream.off('error', onError);
      resolve();
    };
    if (ok) done();
    else stream.once('drain', done);
  });
}

export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

async function isSpecialFile(path: string): Promise<boolean> {
  try {
    return !(await stat(path)).isFile();
  } catch {
    return false; // does not exist yet
  }
}

/**
 * Writes `target` atomically: a temporary file beside it, renamed into place on commit. A target that is a
 * device or a pipe (/dev/null, a FIFO) is written directly: renaming over it would replace it.
 * `.gz` targets are gzip-compressed.
 */
export async function fileSink(target: string): Promise<Sink> {
  const direct = await isSpecialFile(target);
  const path = direct ? target : temporaryPathFor(target);
  const fail = (cause: unknown): IoError => new IoError('write', target, (cause as Error).message, { cause });
  let handle: FileHandle;
  try {
    handle = await open(path, direct ? 'w' : 'wx');
  } catch (cause) {
    throw fail(cause);
  }
  // Regular files take positioned, overlapped writes; pipes, devices and gzip output take a stream
  // (which owns the handle from then on and closes it when the pipeline ends).
  let writer: OverlappedWriter | null = null;
  let stream: Writable | null = null;
  let finished: Promise<void> = Promise.resolve();
  if (!direct && !target.toLowerCase().endsWith('.gz')) {
    writer = new OverlappedWriter(handle);
  } else {
    const file = createWriteStream(path, { fd: handle });
    if (target.toLowerCase().endsWith('.gz')) {
      const gzip = createGzip();
      stream = gzip;
      finished = pipeline(gzip, file);
    } else {
      stream = file;
      finished = streamFinished(file);
    }
    finished.catch(() => {}); // observed in close()
  }
  const batcher = new Batcher(async (pieces) => {
    if (writer !== null) await writer.write(pieces);
    else await writeTo(stream!, pieces);
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (writer !== null) {
      try {
        await writer.flush();
      } finally {
        await handle.close();
      }
    } else {
      stream!.end();
      await finished;
    }
  };
  return {
    name: target,
    async write(pieces) {
      try {
        await batcher.add(pieces);
      } catch (cause) {
        throw fail(cause);
      }
    },
    async commit() {
      try {
        await batcher.drain();
        await close();
        if (!direct) await rename(path, target);
      } catch (cause) {
        if (!direct) await unlink(path).catch(() => {});
        throw fail(cause);
      }
    },
    async abort() {
      stream?.destroy();
      await close().catch(() => {});
      if (!direct) await unlink(path).catch(() => {});
    },
  };
}

export function stdoutSink(): Sink {
  const batcher = new Batcher((pieces) => writeTo(process.stdout, pieces));
  return {
    name: '-',
    write: (pieces) => batcher.add(pieces),
    commit: () => batcher.drain(),
    abort: () => batcher.drain(),
  };
}
