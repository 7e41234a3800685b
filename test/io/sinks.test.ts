import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { CHUNK } from '../../src/io/chunks.js';
import { fileSink } from '../../src/io/sinks.js';
import { fileSource } from '../../src/io/sources.js';
import { collect } from '../helpers/tflow.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'flowtx-sink-'));

describe('fileSink', () => {
  test('nothing appears at the target before commit; the temporary file is beside it', async () => {
    const d = dir();
    const target = join(d, 'out.ftx');
    const sink = await fileSink(target);
    await sink.write([Buffer.from('abc')]);
    expect(readdirSync(d)).toEqual([expect.stringMatching(new RegExp(`^\\.out\\.ftx\\.${process.pid}-[0-9a-f]{8}-[0-9a-f]{8}\\.tmp$`))]);
    await sink.commit();
    expect(readdirSync(d)).toEqual(['out.ftx']);
    expect(readFileSync(target, 'utf8')).toBe('abc');
  });

  test('holds no piece up to copyUpTo bytes once write() returns (a read chunk may be read into again)', async () => {
    for (const copyUpTo of [undefined, 16]) {
      const d = dir();
      const target = join(d, 'out.ftx');
      const sink = await fileSink(target, copyUpTo === undefined ? {} : { copyUpTo });
      const piece = Buffer.alloc(copyUpTo ?? CHUNK, 0x61);
      await sink.write([piece]);
      piece.fill(0x7a); // what reading into the chunk again would do
      await sink.commit();
      expect(readFileSync(target)).toEqual(Buffer.alloc(piece.byteLength, 0x61));
    }
  });

  test('hands a piece longer than copyUpTo on as it is, uncopied', async () => {
    const target = join(dir(), 'out.ftx');
    const sink = await fileSink(target, { copyUpTo: 16 });
    const piece = Buffer.alloc(17, 0x61);
    await sink.write([piece]);
    piece.fill(0x7a); // not written yet (less than a batch): the sink holds the caller's buffer
    await sink.commit();
    expect(readFileSync(target)).toEqual(Buffer.alloc(17, 0x7a));
  });

  test('abort leaves an existing file untouched and removes the temporary file', async () => {
    const d = dir();
    const target = join(d, 'out.ftx');
    writeFileSync(target, 'original');
    const sink = await fileSink(target);
    await sink.write([Buffer.alloc(3 * 1024 * 1024, 1)]); // more than one batch: bytes really hit the disk
    await sink.abort();
    expect(readdirSync(d)).toEqual(['out.ftx']);
    expect(readFileSync(target, 'utf8')).toBe('original');
  });

  test('a .gz target is gzip-compressed, and a gzip source is read transparently', async () => {
    const d = dir();
    const target = join(d, 'out.ndjson.gz');
    const sink = await fileSink(target);
    const payload = Buffer.from('{"flowtx":1}\n'.repeat(100_000));
    await sink.write([payload.subarray(0, 1000), payload.subarray(1000)]);
    await sink.commit();
    expect(gunzipSync(readFileSync(target)).equals(payload)).toBe(true);
    const source = await fileSource(target);
    expect(source.gzipped).toBe(true);
    expect(Buffer.from(source.head).toString()).toBe(payload.subarray(0, 64).toString());
    expect(Buffer.concat(await collect(source.chunks)).equals(payload)).toBe(true);
  });

  // Short pieces are copied into reused buffers, long ones written as they are: whatever the mix, and
  // however many batches (so buffers come back from the pool), the file holds the pieces in order.
  prop.prop(
    [
      fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 60_000, max: 70_000 }), fc.integer({ min: 200_000, max: 1_100_000 })), { maxLength: 12 }), { minLength: 1, maxLength: 12 }),
      fc.constantFrom('out.ftx', 'out.ftx.gz'),
    ],
    { numRuns: 12 },
  )('writes every piece in order, through pooled buffers, to plain and gzip targets', async (writes, name) => {
    const target = join(dir(), name);
    const sink = await fileSink(target);
    let n = 0;
    const expected: Buffer[] = [];
    for (const sizes of writes) {
      const pieces = sizes.map((size) => Buffer.alloc(size, n++ % 251));
      expected.push(...pieces);
      await sink.write(pieces);
    }
    await sink.commit();
    const written = readFileSync(target);
    expect((name.endsWith('.gz') ? gunzipSync(written) : written).equals(Buffer.concat(expected))).toBe(true);
  });

  test('a missing source is named', async () => {
    await expect(fileSource(join(dir(), 'nope.ftx'))).rejects.toThrow(/^cannot read .*nope\.ftx: no such file$/);
  });
});

describe('special targets', () => {
  test('a FIFO is written directly, never replaced by a renamed file', async (ctx) => {
    const { spawn, spawnSync } = await import('node:child_process');
    const { lstatSync } = await import('node:fs');
    const fifo = join(dir(), 'pipe');
    ctx.skip(spawnSync('mkfifo', [fifo]).status !== 0, 'mkfifo failed here: no FIFO to write to');
    const reader = spawn('cat', [fifo]);
    const received: Buffer[] = [];
    reader.stdout.on('data', (b: Buffer) => received.push(b));
    const closed = new Promise((r) => reader.on('close', r));
    const sink = await fileSink(fifo);
    await sink.write([Buffer.from('through the pipe')]);
    await sink.commit();
    await closed;
    expect(Buffer.concat(received).toString()).toBe('through the pipe');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});
