// The decoded-body limit (--max-body-size) in the decoders themselves: each content-coding stops at the
// limit, one byte over fails with BodyLimitError, and scripts' reads name the body. The limit is a per-thread
// setting, so every test here puts the default back.

import { fc, test as prop } from '@fast-check/vitest';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { BodyError, BodyLimitError } from '../../src/errors.js';
import { DEFAULT_MAX_BODY_SIZE, maxBodySize, setMaxBodySize } from '../../src/model/body-limit.js';
import { decodeContent } from '../../src/model/encoding.js';
import { Flow } from '../../src/model/flow.js';
import { decodedBody } from '../../src/model/http.js';
import { tflow, tstate } from '../helpers/tflow.js';

afterEach(() => setMaxBodySize(DEFAULT_MAX_BODY_SIZE));

const A4K = Buffer.alloc(4096, 'a');
// `zstd -19` of A4K: a single-segment frame (its declared size is 4096), and the same read from a pipe (no
// declared size, an 8 MiB window). Node 20's zlib has no zstd encoder.
const ZSTD_SIZED = Buffer.from('28b52ffd64000f45000008610100fcf7811003162c89', 'hex');
const ZSTD_STREAMED = Buffer.from('28b52ffd046845000008610100fcf7811003162c89', 'hex');

const ENCODED: [coding: string, body: Uint8Array][] = [
  ['gzip', gzipSync(A4K)],
  ['x-gzip', gzipSync(A4K)],
  ['deflate', deflateSync(A4K)],
  ['deflate', deflateRawSync(A4K)],
  ['br', brotliCompressSync(A4K)],
  ['zstd', ZSTD_SIZED],
  ['zstd', ZSTD_STREAMED],
];

describe('decodeContent stops at the limit', () => {
  test.each(ENCODED)('%s: 4096 bytes decode under a limit of 4096', (coding, body) => {
    expect(Buffer.from(decodeContent(body, [coding], 4096))).toEqual(A4K);
  });

  test.each(ENCODED)('%s: a limit of 4095 is a BodyLimitError naming the coding and the limit', (coding, body) => {
    expect(() => decodeContent(body, [coding], 4095)).toThrow(BodyLimitError);
    expect(() => decodeContent(body, [coding], 4095)).toThrow(`body decodes to more than 4095 bytes (${coding}; the limit is --max-body-size)`);
  });

  test('each coding of a chain is bounded: gzip inside br', () => {
    const chained = brotliCompressSync(gzipSync(A4K));
    expect(Buffer.from(decodeContent(chained, ['gzip', 'br'], 4096))).toEqual(A4K);
    expect(() => decodeContent(chained, ['gzip', 'br'], 4095)).toThrow('(gzip; the limit is --max-body-size)');
  });

  test('a zstd frame that asks for a window past the limit is refused before anything is allocated', () => {
    const huge = Buffer.from(ZSTD_STREAMED);
    huge[5] = 0xa8; // window descriptor: 2^(10+21) = 2 GiB
    expect(() => decodeContent(huge, ['zstd'], 1 << 20)).toThrow('body asks zstd for a 2 GiB window, more than 1 MiB (the limit is --max-body-size)');
    // HTTP's 8 MiB window is always allowed, even under a smaller limit: the output count bounds the body.
    expect(Buffer.from(decodeContent(ZSTD_STREAMED, ['zstd'], 4096))).toEqual(A4K);
  });

  test('a zstd frame that declares more than the limit is refused', () => {
    expect(() => decodeContent(ZSTD_SIZED, ['zstd'], 4000)).toThrow(BodyLimitError);
  });

  test('a corrupt body is still a plain BodyError, not a limit', () => {
    const err = (() => {
      try {
        decodeContent(Buffer.from('not gzip'), ['gzip'], 10);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BodyError);
    expect(err).not.toBeInstanceOf(BodyLimitError);
  });

  prop.prop([fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 3000 }), fc.constantFrom('gzip', 'deflate', 'br')])(
    'any body decodes whole when it fits the limit, and fails with BodyLimitError when it does not',
    (body, limit, coding) => {
      const encoded = coding === 'gzip' ? gzipSync(body) : coding === 'deflate' ? deflateSync(body) : brotliCompressSync(body);
      if (body.byteLength <= limit) expect(Buffer.from(decodeContent(encoded, [coding], limit))).toEqual(Buffer.from(body));
      else expect(() => decodeContent(encoded, [coding], limit)).toThrow(BodyLimitError);
    },
  );
});

describe('the thread setting', () => {
  test('256 MiB by default; 0 means none (the largest buffer the platform makes)', () => {
    expect(maxBodySize()).toBe(256 * 1024 * 1024);
    setMaxBodySize(0);
    expect(maxBodySize()).toBeGreaterThanOrEqual(2 ** 31);
  });

  test.each([-1, 1.5, Number.NaN])('refuses %s', (bytes) => {
    expect(() => setMaxBodySize(bytes)).toThrow(RangeError);
  });

  test('reaches a script\'s reads, which name the body', () => {
    const flow = tflow();
    Flow.state(flow).response!.content = gzipSync(A4K);
    setMaxBodySize(4096);
    expect(flow.response!.text).toBe(A4K.toString());
    setMaxBodySize(1024);
    expect(() => flow.response!.text).toThrow('response body decodes to more than 1 KiB (gzip; the limit is --max-body-size)');
    expect(() => flow.response!.decodedContent).toThrow(BodyLimitError);
    flow.request.headers.set('content-encoding', 'br');
    flow.request.content = brotliCompressSync(A4K);
    expect(() => flow.request.json()).toThrow('request body decodes to more than 1 KiB (br; ');
    expect(flow.response!.content).toEqual(gzipSync(A4K)); // the stored bytes stay readable
  });

  test('filters search a body over the limit as stored; the HAR rule keeps it as stored and says why', () => {
    const stored = gzipSync(A4K);
    const state = tstate().response!;
    state.content = stored;
    setMaxBodySize(1024);
    expect(decodedBody(state, 'lenient')).toBe(stored);
    const kept: unknown[] = [];
    expect(decodedBody(state, 'fallback', (why) => kept.push(why))).toBe(stored);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toBeInstanceOf(BodyLimitError);
  });
});
