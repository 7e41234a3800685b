// Where bytes come from: files and stdin, gunzipped transparently when they start with gzip's magic. Moves
// bytes only; never sees a flow.

import { closeSync, createReadStream, openSync, readSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { IoError } from '../errors.js';
import { CHUNK, ChunkPool, type Release } from './chunks.js';
import { plainReason } from './errno.js';

const HEAD = 64;

export interface Source {
  /** The name used in messages: the path as given, or "-" for stdin. */
  readonly name: string;
  /** Size in bytes when known (files), for progress. */
  readonly size: number | undefined;
  /** The first bytes of the (decompressed) content, for format detection. */
  readonly head: Uint8Array;
  readonly gzipped: boolean;
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Takes back a chunk of `chunks` to read into again (the contract: chunks.ts). */
  readonly release: Release;
}

export type ByteCounter = (bytes: number) => void;

/** The error for an input that cannot be read, in plain words for the common causes. */
export function readError(name: string, cause: unknown): IoError {
  return new IoError('read', name, plainReason(cause), { cause });
}

async function* counted(stream: AsyncIterable<Uint8Array>, name: string, count: ByteCounter): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of stream) {
      count(chunk.byteLength);
      yield chunk;
    }
  } catch (cause) {
    throw readError(name, cause);
  }
}

async function* gunzip(chunks: AsyncIterable<Uint8Array>, name: string): AsyncIterable<Uint8Array> {
  const inflater = createGunzip({ chunkSize: CHUNK });
  let fed = 0;
  const feed = (async () => {
    try {
      for await (const chunk of chunks) {
        fed += chunk.byteLength;
        if (!inflater.write(chunk)) await new Promise((resolve) => inflater.once('drain', resolve));
      }
      inflater.end();
    } catch (err) {
      inflater.destroy(err as Error);
    }
  })();
  try {
    yield* inflater;
  } catch (cause) {
    if (cause instanceof IoError) throw cause;
    // zlib counts what it consumed only when a write completes: the fault lies in the write after that count.
    const consumed = inflater.bytesWritten;
    const at = consumed === fed ? `at compressed byte ${fed}` : `in compressed bytes ${consumed}-${fed}`;
    throw new IoError('read', name, `bad gzip data ${at}: ${(cause as Error).message}`, { cause });
  }
  await feed;
}

/** Splits the first `n` bytes off a chunk stream, returning them and a stream that still yields them. */
async function peek(chunks: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Uint8Array; chunks: AsyncIterable<Uint8Array> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    seen.push(next.value);
    length += next.value.byteLength;
  }
  const head = Buffer.concat(seen).subarray(0, n);
  async function* replay(): AsyncIterable<Uint8Array> {
    yield* seen;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, chunks: replay() };
}

async function open(name: string, raw: AsyncIterable<Uint8Array>, size: number | undefined, release: Release): Promise<Source> {
  const first = await peek(raw, HEAD);
  if (first.head[0] !== 0x1f || first.head[1] !== 0x8b) {
    return { name, size, head: first.head, gzipped: false, chunks: first.chunks, release };
  }
  // The inflater's output is its own, and it may still read the compressed chunks: none is reused.
  const inner = await peek(gunzip(first.chunks, name), HEAD);
  return { name, size, head: inner.head, gzipped: true, chunks: inner.chunks, release: () => {} };
}

/**
 * Reads a regular file with synchronous reads into 256 KiB buffers from `pool`. On page-cached data a
 * thread-pool round trip per chunk costs more than the copy itself. Records are sliced out of these
 * buffers without copying, so a buffer is read into again only once released.
 */
async function* readFile(path: string, pool: ChunkPool): AsyncIterable<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const chunk = pool.take();
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) return;
      yield n === CHUNK ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

export async function fileSource(path: string, count: ByteCounter = () => {}): Promise<Source> {
  let info: Stats;
  try {
    info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (cause) {
    throw readError(path, cause);
  }
  const size = info.size;
  const pool = new ChunkPool();
  const raw = info.isFile() ? readFile(path, pool) : createReadStream(path, { highWaterMark: CHUNK });
  return open(path, counted(raw, path, count), size, (chunk) => pool.give(chunk));
}

/** Any stream of bytes (stdin, a socket, memory) as a source named `name`; its chunks are never reused. */
export async function streamSource(name: string, stream: AsyncIterable<Uint8Array>, count: ByteCounter = () => {}, size?: number): Promise<Source> {
  return open(name, counted(stream, name, count), size, () => {});
}

