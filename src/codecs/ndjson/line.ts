// One NDJSON record as byte pieces. JSON.stringify of a whole flow makes one string of the whole line, so
// a body whose text or base64 is longer than the longest string V8 makes (buffer.constants.MAX_STRING_LENGTH,
// about 512 MiB) could not be written at all, and every body was held three times (bytes, string, UTF-8
// copy). Bodies of more than `inline` bytes are therefore left out of the stringified flow, a marker in their
// place, and written as pieces made from slices of their bytes: the bytes out are exactly those
// JSON.stringify would have made, and no string is longer than a slice.

import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { strictUtf8 } from '../../model/utf8.js';
import { bytesToJson, toJson } from './tagged-json.js';

/** Bodies larger than this are written in pieces (any size is exact; this one keeps pieces few and small). */
export const INLINE_BYTES = 4 * 1024 * 1024;
/** Bytes per piece: a multiple of 3, so each slice's base64 has no padding and the pieces concatenate. */
const SLICE_BYTES = 3 * 1024 * 1024;

/**
 * The line of `value` (a flow's plain state, tags not yet applied): `JSON.stringify` of it and "\n", in
 * pieces. `inline` and `slice` (at least 4: a character's bytes) are lowered by tests to exercise the pieces
 * without large bodies.
 */
export function linePieces(value: unknown, inline = INLINE_BYTES, slice = SLICE_BYTES): Uint8Array[] {
  // A marker no data can hold: a string is only taken for a marker if it names this call's random nonce.
  const prefix = `flowtx-piece:${randomUUID()}:`;
  const large: { bytes: Uint8Array; text: boolean }[] = [];
  const json = JSON.stringify(
    toJson(value, (bytes) => {
      if (bytes.byteLength <= inline) return bytesToJson(bytes);
      const text = isUtf8(bytes);
      large.push({ bytes, text });
      const marker = `${prefix}${large.length - 1}`;
      return text ? { $text: marker } : { $base64: marker };
    }),
  );
  if (large.length === 0) return [Buffer.from(`${json}\n`, 'utf8')];
  const pieces: Uint8Array[] = [];
  let from = 0;
  large.forEach(({ bytes, text }, i) => {
    const marker = `"${prefix}${i}"`;
    const at = json.indexOf(marker, from);
    pieces.push(Buffer.from(json.slice(from, at), 'utf8'), QUOTE);
    if (text) textPieces(bytes, slice, pieces);
    else base64Pieces(bytes, slice - (slice % 3), pieces);
    pieces.push(QUOTE);
    from = at + marker.length;
  });
  pieces.push(Buffer.from(`${json.slice(from)}\n`, 'utf8'));
  return pieces;
}

const QUOTE = Buffer.from('"');

function base64Pieces(bytes: Uint8Array, slice: number, out: Uint8Array[]): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < buffer.byteLength; at += slice) {
    out.push(Buffer.from(buffer.subarray(at, at + slice).toString('base64'), 'latin1'));
  }
}

/**
 * Valid UTF-8 in slices cut before a character's first byte, each escaped as JSON.stringify escapes it. A
 * slice with nothing to escape is its own JSON text: it is handed on as a view of the body, not copied
 * (the body outlives the pieces: the sink writes them before it lets go of the flow).
 */
function textPieces(bytes: Uint8Array, slice: number, out: Uint8Array[]): void {
  for (let at = 0; at < bytes.byteLength; ) {
    let end = Math.min(at + slice, bytes.byteLength);
    while (end < bytes.byteLength && (bytes[end]! & 0xc0) === 0x80) end--; // a continuation byte
    const piece = bytes.subarray(at, end);
    out.push(needsEscape(piece) ? Buffer.from(JSON.stringify(strictUtf8.decode(piece)).slice(1, -1), 'utf8') : piece);
    at = end;
  }
}

/** Whether JSON.stringify escapes any of these characters: '"', '\\' and controls (valid UTF-8 has no lone surrogate). */
function needsEscape(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x20 || b === 0x22 || b === 0x5c) return true;
  return false;
}
