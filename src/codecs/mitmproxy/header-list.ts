// A message's headers as mitmproxy stores them: a tnetstring list of [name, value] byte string pairs. The
// bulk of what scripts and filters look at in a flow, so they are read, looked up, compared and written
// straight from and to bytes, without the general parser's and encoder's values in between.

import type { HeaderField } from '../../model/headers.js';
import { latin1At, type Scanner } from './tnetstring.js';

const LIST_TAG = 0x5d;
const BYTES_TAG = 0x2c;
const COLON = 0x3a;

/** The tag of the element `s` scanned last (a call, so that each read is fresh to the type checker too). */
const tagOf = (s: Scanner): number => s.tag;

/** Where a header field lies in the list: its name at [nameFrom, nameTo), its value at [valueFrom, valueTo). */
type Visit = (nameFrom: number, nameTo: number, valueFrom: number, valueTo: number) => void;

/**
 * Calls `visit` for each [name, value] pair of byte strings of the list at raw[from, to); false, and visits
 * stop, at anything else.
 */
function eachPair(s: Scanner, raw: Uint8Array, from: number, to: number, visit: Visit): boolean {
  s.scan(raw, from, to);
  if (tagOf(s) !== LIST_TAG) return false;
  const end = s.to;
  for (let at = s.from; at < end; ) {
    const next = s.scan(raw, at, end);
    if (tagOf(s) !== LIST_TAG) return false;
    const pairEnd = s.to;
    const valueAt = s.scan(raw, s.from, pairEnd);
    if (tagOf(s) !== BYTES_TAG) return false;
    const nameFrom = s.from;
    const nameTo = s.to;
    if (s.scan(raw, valueAt, pairEnd) !== pairEnd || tagOf(s) !== BYTES_TAG) return false;
    visit(nameFrom, nameTo, s.from, s.to);
    at = next;
  }
  return true;
}

/** A list of [name, value] byte string pairs as header fields; undefined for anything else. */
export function headersAt(s: Scanner, raw: Uint8Array, from: number, to: number): HeaderField[] | undefined {
  const fields: HeaderField[] = [];
  const ok = eachPair(s, raw, from, to, (nameFrom, nameTo, valueFrom, valueTo) => fields.push([latin1At(raw, nameFrom, nameTo), latin1At(raw, valueFrom, valueTo)]));
  return ok ? fields : undefined;
}

/**
 * The values of the fields named `name` (lower-case ASCII) in the header list at raw[from, to): what
 * headersAt() would give, filtered by `n.toLowerCase() === name`, without making the other fields' strings.
 * Comparing bytes ASCII-case-insensitively is exact: no latin1 letter outside ASCII lower-cases into ASCII.
 */
export function headerValuesAt(s: Scanner, raw: Uint8Array, from: number, to: number, name: string): string[] | undefined {
  const values: string[] = [];
  const ok = eachPair(s, raw, from, to, (nameFrom, nameTo, valueFrom, valueTo) => {
    if (nameTo - nameFrom === name.length && isNamed(raw, nameFrom, name)) values.push(latin1At(raw, valueFrom, valueTo));
  });
  return ok ? values : undefined;
}

/** Whether the bytes at `from` are `name` (lower-case ASCII, as long as they are) in any ASCII case. */
function isNamed(raw: Uint8Array, from: number, name: string): boolean {
  for (let j = 0; j < name.length; j++) {
    const b = raw[from + j]!;
    if ((b >= 0x41 && b <= 0x5a ? b + 0x20 : b) !== name.charCodeAt(j)) return false;
  }
  return true;
}

/** Whether `text`'s characters are the bytes raw[from, to). */
function sameText(text: string, raw: Uint8Array, from: number, to: number): boolean {
  if (text.length !== to - from) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== raw[from + i]) return false;
  return true;
}

/**
 * Whether `fields` are exactly the header list at raw[from, to); undefined when that is not a list of byte
 * string pairs (headersAt() does not read it either).
 */
export function sameHeaders(s: Scanner, fields: readonly HeaderField[], raw: Uint8Array, from: number, to: number): boolean | undefined {
  let i = 0;
  let differs = false;
  const read = eachPair(s, raw, from, to, (nameFrom, nameTo, valueFrom, valueTo) => {
    const field = differs ? undefined : fields[i++];
    differs ||= field === undefined || !sameText(field[0], raw, nameFrom, nameTo) || !sameText(field[1], raw, valueFrom, valueTo);
  });
  if (differs) return false;
  return read ? i === fields.length : undefined;
}

function digits(n: number): number {
  let count = 1;
  for (; n >= 10; n = Math.floor(n / 10)) count++;
  return count;
}

/** The size of a byte string element of `length` bytes. */
const elementSize = (length: number): number => digits(length) + length + 2;

/**
 * Header fields as the tnetstring list the encoder writes for them (each character one byte, its low eight
 * bits, as the model's latin1 byte strings are), written front to back into one buffer.
 */
export function encodeHeaders(fields: readonly HeaderField[]): Buffer {
  let payload = 0;
  for (const [name, value] of fields) payload += elementSize(elementSize(name.length) + elementSize(value.length));
  const out = Buffer.allocUnsafe(elementSize(payload));
  let at = 0;
  const prefix = (length: number): void => {
    at += digits(length);
    for (let n = length, i = at - 1; ; n = Math.floor(n / 10), i--) {
      out[i] = 0x30 + (n % 10);
      if (n < 10) break;
    }
    out[at++] = COLON;
  };
  const text = (s: string): void => {
    prefix(s.length);
    for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
    out[at++] = BYTES_TAG;
  };
  prefix(payload);
  for (const [name, value] of fields) {
    prefix(elementSize(name.length) + elementSize(value.length));
    text(name);
    text(value);
    out[at++] = LIST_TAG;
  }
  out[at++] = LIST_TAG;
  return out;
}
