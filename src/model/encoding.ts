// Content-encoding (gzip, deflate, br, zstd) and charset handling for message bodies. Pure functions.
// zstd is decoded with fzstd; Node 20's zlib has no zstd, so a zstd body cannot be re-encoded (see encode()).

import { constants } from 'node:buffer';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { BodyError, BodyLimitError, formatBytes } from '../errors.js';
import { maxBodySize } from './body-limit.js';
import { strictUtf8 } from './utf8.js';

const IDENTITY = new Set(['', 'identity', 'none']);

/** The codings listed in a Content-Encoding value, in the order they were applied. */
export function parseCodings(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => !IDENTITY.has(c));
}

/** zlib's "output would exceed maxOutputLength": it stops inflating there, so a bomb never fills memory. */
const tooLarge = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';

const overLimit = (coding: string, limit: number): BodyLimitError =>
  new BodyLimitError(limit, `decodes to more than ${formatBytes(limit)} (${coding}; the limit is --max-body-size)`);

/** RFC 9659: HTTP's zstd content-coding uses windows of at most 8 MiB; larger ones are allowed up to the limit. */
const ZSTD_HTTP_WINDOW = 8 * 1024 * 1024;

/**
 * The buffer fzstd allocates for a zstd frame before it decodes a byte (RFC 8878 3.1.1.1): the window, or
 * for a single-segment frame its declared content size. 0 when `data` is no frame header (fzstd says why).
 */
function zstdWindow(data: Uint8Array): number {
  if (data.byteLength < 6 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f || data[3] !== 0xfd) return 0;
  const descriptor = data[4]!;
  if ((descriptor & 0x20) === 0) {
    const base = 2 ** (10 + (data[5]! >> 3));
    return base + (base / 8) * (data[5]! & 7);
  }
  const sizeField = 5 + [0, 1, 2, 4][descriptor & 3]!; // after the dictionary id
  const sizeBytes = [1, 2, 4, 8][descriptor >> 6]!;
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + (data[sizeField + i] ?? 0);
  return sizeBytes === 2 ? size + 256 : size;
}

/**
 * zstd through fzstd's stream decoder, which hands the output over block by block: counted there, the
 * output stops at `limit`. What fzstd allocates up front (zstdWindow; it allows 2 GiB) is checked first, for
 * the first frame: more than the limit (or than HTTP's 8 MiB window, when the limit is smaller) is refused.
 */
function zstdDecompress(data: Uint8Array, limit: number): Uint8Array {
  const window = zstdWindow(data);
  if (window > Math.max(limit, ZSTD_HTTP_WINDOW)) {
    throw new BodyLimitError(limit, `asks zstd for a ${formatBytes(window)} window, more than ${formatBytes(limit)} (the limit is --max-body-size)`);
  }
  const { Decompress } = createRequire(import.meta.url)('fzstd') as typeof import('fzstd');
  const blocks: Uint8Array[] = [];
  let size = 0;
  new Decompress((block) => {
    size += block.byteLength;
    if (size > limit) throw overLimit('zstd', limit);
    blocks.push(block); // a block is a new array of fzstd's, never reused
  }).push(data, true);
  return Buffer.concat(blocks, size);
}

function decodeOne(coding: string, data: Uint8Array, limit: number): Uint8Array {
  const bounded = { maxOutputLength: limit };
  try {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(data, bounded);
      case 'deflate':
        // Servers send both zlib-wrapped and raw deflate under this name; try the standard one first.
        try {
          return zlib.inflateSync(data, bounded);
        } catch (err) {
          if (tooLarge(err)) throw err;
          return zlib.inflateRawSync(data, bounded);
        }
      case 'br':
        return zlib.brotliDecompressSync(data, bounded);
      case 'zstd':
        return zstdDecompress(data, limit);
      default:
        throw new BodyError(`unsupported content-encoding "${coding}"`);
    }
  } catch (err) {
    if (tooLarge(err)) throw overLimit(coding, limit);
    throw err;
  }
}

function encodeOne(coding: string, data: Uint8Array): Uint8Array {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gzipSync(data);
    case 'deflate':
      return zlib.deflateSync(data);
    case 'br':
      return zlib.brotliCompressSync(data);
    default:
      throw new BodyError(`cannot encode content-encoding "${coding}"`);
  }
}

export function canEncode(codings: readonly string[]): boolean {
  return codings.every((c) => c === 'gzip' || c === 'x-gzip' || c === 'deflate' || c === 'br');
}

/**
 * Undoes the codings (last applied is undone first). Each step stops at `limit` bytes of output
 * (BodyLimitError), inside the decoder: a small body that inflates to gigabytes never does.
 */
export function decodeContent(data: Uint8Array, codings: readonly string[], limit: number = maxBodySize()): Uint8Array {
  let out = data;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]!;
    try {
      out = decodeOne(coding, out, limit);
    } catch (cause) {
      if (cause instanceof BodyError) throw cause;
      throw new BodyError(`body is not valid ${coding} data: ${(cause as Error).message}`, { cause });
    }
  }
  return out;
}

export function encodeContent(data: Uint8Array, codings: readonly string[]): Uint8Array {
  let out = data;
  for (const coding of codings) out = encodeOne(coding, out);
  return out;
}

/** The charset parameter of a Content-Type value, lower-cased, or undefined. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}

const LATIN1 = new Set(['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'l1', 'us-ascii', 'ascii']);

/** Whether a charset label names Latin-1 (or ASCII, its subset): one byte per character, nothing lost. */
export const isLatin1Charset = (charset: string): boolean => LATIN1.has(charset);

/** Whether `data` is valid UTF-8 (used to pick text or base64 when serialising bytes). */
export function isUtf8(data: Uint8Array): boolean {
  try {
    strictUtf8.decode(data);
    return true;
  } catch {
    return false;
  }
}

// Node 20's TextDecoder decodes windows-1252 as ISO-8859-1; these are the code points cp1252 puts at 0x80-0x9f
// (0 = undefined in cp1252, kept as the C1 control, as Python's "surrogateescape"-free decoders would fail there).
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];
const CP1252 = new Set(['windows-1252', 'cp1252', 'x-cp1252']);

function decodeCp1252(data: Uint8Array): string {
  let out = '';
  for (const byte of data) {
    const mapped = byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80]! : 0;
    out += String.fromCharCode(mapped === 0 ? byte : mapped);
  }
  return out;
}

/**
 * Bytes → text with the declared charset. Without one, UTF-8 when the bytes are valid UTF-8, else latin1
 * (every byte maps to one character, so nothing is lost). A body too long for a string is a BodyError:
 * past V8's limit, Node's decoders fail with misleading messages ("not valid for encoding") or give "".
 */
export function decodeText(data: Uint8Array, charset: string | undefined): string {
  const fits = data.byteLength <= constants.MAX_STRING_LENGTH; // no decoder makes more characters than bytes
  try {
    const text = decodeCharset(data, charset);
    if (text !== '' || fits) return text;
  } catch (err) {
    if (fits) throw err;
  }
  throw new BodyError(
    `body of ${formatBytes(data.byteLength)} is too long for a JavaScript string (${constants.MAX_STRING_LENGTH} characters at most); read it as bytes (content, decodedContent)`,
  );
}

function decodeCharset(data: Uint8Array, charset: string | undefined): string {
  if (charset !== undefined && CP1252.has(charset)) return decodeCp1252(data);
  if (charset !== undefined && !LATIN1.has(charset)) {
    let label = charset;
    try {
      new TextDecoder(label);
    } catch {
      label = 'utf-8'; // an unknown charset label: UTF-8 is the best guess
    }
    return new TextDecoder(label).decode(data);
  }
  if (charset !== undefined) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  try {
    return strictUtf8.decode(data);
  } catch {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  }
}

/**
 * Text → bytes. Only UTF-8 and latin1 can be encoded by the platform; for any other declared charset the
 * result is UTF-8 and `charset` in the result says so, so the caller can fix Content-Type.
 */
export function encodeText(text: string, charset: string | undefined): { bytes: Uint8Array; charset: string | undefined } {
  if (charset !== undefined && LATIN1.has(charset) && /^[\x00-\xff]*$/.test(text)) {
    return { bytes: Buffer.from(text, 'latin1'), charset };
  }
  const bytes = Buffer.from(text, 'utf8');
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return { bytes, charset };
  return { bytes, charset: 'utf-8' };
}
