// Where bytes go: a file written to a temporary name beside the target, synced, and renamed only when
// complete (an existing file is never half-overwritten, nor left empty by a power loss), or stdout. Small
// pieces are copied together into large writes. Moves bytes only; never sees a flow.

import { createWriteStream, type Stats } from 'node:fs';
import { chmod, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished as streamFinished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { IoError } from '../errors.js';
import { CHUNK } from './chunks.js';
import { plainReason } from './errno.js';
import { sweepStale, temporaryPathFor, track, untrack } from './temporaries.js';

const BATCH = 1024 * 1024;
const IOV_MAX = 1024;

export interface Sink {
  readonly name: string;
  /** Holds no slice of a read chunk once it returns (chunks.ts): pieces up to `copyUpTo` bytes are copied. */
  write(pieces: readonly Uint8Array[]): Promise<void>;
  /** Flushes and makes the output visible (renames the temporary file into place). */
  commit(): Promise<void>;
  /** Discards the output; an existing file at the target stays as it was. */
  abort(): Promise<void>;
}

export interface SinkOptions {
  /**
   * Pieces this long or shorter are copied into the sink's own buffers; longer ones are handed on as they
   * are. At least the sources' read size (the default, chunks.ts's CHUNK), so that no slice of a read chunk
   * is held once write() returns and the source may read into the chunk again.
   */
  copyUpTo?: number;
}

/** Hands a batch on; `written` is to be called once the batch's bytes are written (its buffers are reused). */
type Flush = (pieces: Uint8Array[], written: () => void) => Promise<void>;

/**
 * Gathers pieces into batches of about 1 MiB, copying short ones into buffers of its own. A piece is often a
 * slice of a chunk read from the input (a record passed through): held in a batch and in flight, it kept
 * the whole chunk alive long enough to be promoted past the young generation, so chunks piled up until a
 * full collection. Copied, they go at once; the buffers come back for the next batches once written.
 */
class Batcher {
  #pending: Uint8Array[] = [];
  #size = 0;
  /** The buffer short pieces are copied into, how much of it is used, and where its unflushed part starts. */
  #buffer: Buffer | null = null;
  #used = 0;
  #start = 0;
  /** This batch's buffers, and the buffers free for reuse. */
  #taken: Buffer[] = [];
  readonly #free: Buffer[] = [];
  readonly #flush: Flush;
  readonly #copyUpTo: number;

  constructor(flush: Flush, copyUpTo = CHUNK) {
    this.#flush = flush;
    this.#copyUpTo = copyUpTo;
  }

  async add(pieces: readonly Uint8Array[]): Promise<void> {
    for (const piece of pieces) {
      const length = piece.byteLength;
      this.#size += length;
      if (length > this.#copyUpTo) {
        this.#close();
        this.#pending.push(piece);
        continue;
      }
      if (this.#buffer === null || this.#used + length > BATCH) this.#take();
      this.#buffer!.set(piece, this.#used);
      this.#used += length;
    }
    if (this.#size >= BATCH) await this.drain();
  }

  async drain(): Promise<void> {
    this.#close();
    if (this.#pending.length === 0) return;
    const pieces = this.#pending;
    const taken = this.#taken;
    this.#pending = [];
    this.#taken = [];
    this.#buffer = null;
    this.#size = 0;
    await this.#flush(pieces, () => this.#free.push(...taken));
  }

  /** Ends the current run of copied pieces: it goes into the batch as one piece. */
  #close(): void {
    if (this.#buffer !== null && this.#used > this.#start) this.#pending.push(this.#buffer.subarray(this.#start, this.#used));
    this.#start = this.#used;
  }

  #take(): void {
    this.#close();
    this.#buffer = this.#free.pop() ?? Buffer.allocUnsafeSlow(BATCH);
    this.#taken.push(this.#buffer);
    this.#used = 0;
    this.#start = 0;
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

  /** Starts writing `pieces` after what was written before; `done` is called once they are written. */
  async write(pieces: Uint8Array[], done: () => void): Promise<void> {
    const size = pieces.reduce((n, p) => n + p.byteLength, 0);
    const written = this.#writeAll(pieces, this.#position);
    written.then(done, () => {}); // rejections are seen when awaited here or in flush()
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

/** Writes `pieces` to `stream`, resolving when it takes more; `written` is called once they are written. */
function writeTo(stream: Writable, pieces: Uint8Array[], written: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    stream.once('error', onError);
    const ok = stream.write(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), (err) => {
      if (!err) written();
    });
    const done = (): void => {
      stream.off('error', onError);
      resolve();
    };
    if (ok) done();
    else stream.once('drain', done);
  });
}

/** The target as it is now: its mode is kept, and a device or pipe is written directly; undefined if absent. */
async function existing(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined; // does not exist yet
  }
}

/** Why an output could not be written, naming the target (never the temporary file). */
function writeError(target: string, cause: unknown): IoError {
  // The temporary file is created, so a missing file can only be a missing folder.
  const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : plainReason(cause);
  return new IoError('write', target, reason, { cause });
}

/**
 * Makes a rename durable: the folder's entry is on disk once this returns. A file system that cannot sync
 * a folder (EINVAL, ENOTSUP) has nothing more to offer.
 */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}

/**
 * Writes `target` atomically and durably: a temporary file beside it (mode 0600: captures hold secrets; an
 * existing target's mode is kept, never widened), synced to disk, renamed into place on commit, and the
 * folder synced, so that a power loss leaves the old file or the new one, never an empty one. A target
 * that is a device or a pipe (/dev/null, a FIFO) is written directly: renaming over it would replace it.
 * `.gz` targets are gzip-compressed.
 */
export async function fileSink(target: string, options: SinkOptions = {}): Promise<Sink> {
  const before = await existing(target);
  const direct = before !== undefined && !before.isFile();
  const path = direct ? target : temporaryPathFor(target);
  const fail = (cause: unknown): IoError => writeError(target, cause);
  let handle: FileHandle;
  try {
    if (!direct) {
      sweepStale(dirname(target));
      track(path);
    }
    handle = await open(path, direct ? 'w' : 'wx', 0o600);
  } catch (cause) {
    if (!direct) await removeTemporary(path);
    throw fail(cause);
  }
  // Regular files take positioned, overlapped writes; pipes, devices and gzip output take a stream
  // (which owns the handle from then on, syncs it unless direct, and closes it when the pipeline ends).
  let writer: OverlappedWriter | null = null;
  let stream: Writable | null = null;
  let finished: Promise<void> = Promise.resolve();
  if (!direct && !target.toLowerCase().endsWith('.gz')) {
    writer = new OverlappedWriter(handle);
  } else {
    const file = createWriteStream(path, { fd: handle, flush: !direct });
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
  const batcher = new Batcher(async (pieces, written) => {
    if (writer !== null) await writer.write(pieces, written);
    else await writeTo(stream!, pieces, written);
  }, options.copyUpTo);
  let closed = false;
  const close = async (sync: boolean): Promise<void> => {
    if (closed) return;
    closed = true;
    if (writer !== null) {
      try {
        await writer.flush();
        if (sync) await handle.datasync();
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
        await close(true);
        if (!direct) {
          // Only now, so that the temporary file is 0600 while it fills; chmod is not subject to the umask,
          // so the new file has exactly the old one's permissions.
          if (before !== undefined) await chmod(path, before.mode & 0o777);
          await rename(path, target);
          untrack(path);
          await syncFolder(dirname(target));
        }
      } catch (cause) {
        if (!direct) await removeTemporary(path);
        throw fail(cause);
      }
    },
    async abort() {
      stream?.destroy();
      await close(false).catch(() => {});
      if (!direct) await removeTemporary(path);
    },
  };
}

async function removeTemporary(path: string): Promise<void> {
  await unlink(path).catch(() => {});
  untrack(path);
}

/** A stream that cannot be rolled back (stdout, a pipe, a socket): written as flows come; commit and abort flush. */
export function streamSink(name: string, stream: Writable, options: SinkOptions = {}): Sink {
  const batcher = new Batcher((pieces, written) => writeTo(stream, pieces, written), options.copyUpTo);
  return {
    name,
    write: (pieces) => batcher.add(pieces),
    commit: () => batcher.drain(),
    abort: () => batcher.drain(),
  };
}
