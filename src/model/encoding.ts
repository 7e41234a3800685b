// Content-encoding (gzip, deflate, br, zstd) and charset handling for message bodies. Pure functions.
// zstd is decoded with fzstd; Node 20's zlib has no zstd, so a zstd body cannot be re-encoded (see encode()).

import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { BodyError } from '../errors.js';
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

function decodeOne(coding: string, data: Uint8Array): Uint8Array {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(data);
    case 'deflate':
      // Servers send both zlib-wrapped and raw deflate under this name; try the standard one first.
      try {
        return zlib.inflateSync(data);
      } catch {
        return zlib.inflateRawSync(data);
      }
    case 'br':
      return zlib.brotliDecompressSync(data);
    case 'zstd':
      return (createRequire(import.meta.url)('fzstd') as typeof import('fzstd')).decompress(data);
    default:
      throw new BodyError(`unsupported content-encoding "${coding}"`);
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

/** Undoes the codings (last applied is undone first). */
export function decodeContent(data: Uint8Array, codings: readonly string[]): Uint8Array {
  let out = data;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i]!;
    try {
      out = decodeOne(coding, out);
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
 * (every byte maps to one character, so nothing is lost).
 */
export function decodeText(data: Uint8Array, charset: string | undefined): string {
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
