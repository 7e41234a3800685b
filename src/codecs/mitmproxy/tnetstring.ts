// tnetstring as mitmproxy writes it: `<length>:<payload><tag>`, tags
//   ,  bytes      ;  text (UTF-8)      #  integer      ^  float      !  boolean      ~  null
//   ]  list       }  dict (alternating key and value elements)
// e.g. {"version": 21, "type": "http"} is `29:4:type;4:http;7:version;2:21#}`.
// Values map to JS as: bytes → Uint8Array, text → string, integer → number (bigint beyond 2^53),
// float → number (or PyFloat where the int/float distinction must survive), list → array, dict → object.
// Pure functions over whole elements, with a Scanner per reader and a BackWriter per writer; records are
// framed in codec.ts.

import { setOwn } from '../../model/own.js';
import { strictUtf8 } from '../../model/utf8.js';
import { FormatError } from '../fault.js';
import { MAX_NESTING, NESTED_TOO_DEEPLY } from '../../model/nesting.js';

/** A float that must be written back as a float even when it is integral (Python's 946681203.0). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** An element already encoded (copied from the file it was read from): written as it is. */
export class RawElement {
  constructor(readonly bytes: Uint8Array) {}
}

/** A dict entry (key and value) already encoded: written as it is, in place of both. */
export class RawEntry {
  constructor(readonly bytes: Uint8Array) {}
}

/** A byte string held as latin1 text (one character per byte), written as bytes without a Buffer in between. */
export class Latin1Bytes {
  constructor(readonly text: string) {}
}

export type TValue = Uint8Array | string | number | bigint | boolean | null | PyFloat | RawElement | RawEntry | Latin1Bytes | TValue[] | { [key: string]: TValue };

const COLON = 0x3a;
const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

// Flow records are mostly short strings (keys, header fields, numbers). For those, a loop in JavaScript is
// several times faster than a call into the runtime (TextDecoder, Buffer#toString, Buffer#write).
const SHORT = 48;

/** Strings up to this length are read by a loop: longer ones would make a garbage string per character. */
const TINY = 8;

type Slicing = Uint8Array & { latin1Slice?: (from: number, to: number) => string };

/** data[from, to) as latin1 text. */
export function latin1At(data: Uint8Array, from: number, to: number): string {
  if (to - from <= TINY) {
    let s = '';
    for (let i = from; i < to; i++) s += String.fromCharCode(data[i]!);
    return s;
  }
  const slice = (data as Slicing).latin1Slice;
  return slice !== undefined ? slice.call(data, from, to) : latin1(data.subarray(from, to));
}

/** data[from, to) as text, which must be valid UTF-8. */
export function utf8At(data: Uint8Array, from: number, to: number): string {
  if (to - from <= SHORT) {
    let i = from;
    while (i < to && data[i]! < 0x80) i++;
    if (i === to) return latin1At(data, from, to); // ASCII
  }
  try {
    return strictUtf8.decode(data.subarray(from, to));
  } catch {
    throw new FormatError('not a tnetstring: text is not valid UTF-8');
  }
}

function isShortAscii(s: string): boolean {
  if (s.length > SHORT) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

export interface ParseOptions {
  /** Read floats as PyFloat so they keep their kind (used for flow state, where timestamps are floats). */
  floats?: 'number' | 'pyfloat';
}

/** Parses the element at `start`, which must end exactly at `end`. */
export function parse(data: Uint8Array, start = 0, end = data.byteLength, options: ParseOptions = {}): TValue {
  const parser = new Parser(data, options);
  const value = parser.element(start, end, 0);
  if (parser.next !== end) throw new FormatError(`not a tnetstring: ${end - parser.next} bytes left over after the element`);
  return value;
}

/**
 * Where an element lies, found without parsing it: scan() fills in its payload [from, to) and its tag (the
 * byte at `to`). One per reader of a record, read right after each scan: the next scan overwrites it
 * (fields, not a tuple per element, keep hot loops free of garbage).
 */
export class Scanner {
  from = 0;
  to = 0;
  tag = 0;

  /** Scans the element at `at`, which must end before `end`; returns where the next element starts. */
  scan(data: Uint8Array, at: number, end: number): number {
    let length = 0;
    let i = at;
    while (i < end && data[i]! >= 0x30 && data[i]! <= 0x39) {
      length = length * 10 + (data[i]! - 0x30);
      i++;
    }
    if (i === at || i >= end || data[i] !== COLON) throw new FormatError('not a tnetstring: missing or invalid length prefix');
    const from = i + 1;
    const to = from + length;
    if (to >= end) throw new FormatError('not a tnetstring: invalid length prefix');
    this.from = from;
    this.to = to;
    this.tag = data[to]!;
    return to + 1;
  }
}

const PLAIN_INTEGER = /^-?\d{1,15}$/;

function parseInteger(text: string): number | bigint {
  if (PLAIN_INTEGER.test(text)) return Number(text);
  // Python's int() also takes "+", surrounding blanks and "_" separators.
  const clean = text.trim().replace(/_/g, '');
  if (!/^[+-]?\d+$/.test(clean)) throw new FormatError(`not a tnetstring: invalid integer ${JSON.stringify(text)}`);
  const n = Number(clean);
  return Number.isSafeInteger(n) ? n : BigInt(clean);
}

const PLAIN_FLOAT = /^-?\d+\.\d+$/;

function parseFloat64(text: string): number {
  if (PLAIN_FLOAT.test(text)) return Number(text); // what Python writes for timestamps
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw new FormatError(`not a tnetstring: invalid float ${JSON.stringify(text)}`);
  return Number(t);
}

/** One parse: elements read from `data`, each leaving where it ended in `next`. */
class Parser {
  /** Where the element read last ended. */
  next = 0;
  readonly #scanner = new Scanner();

  constructor(
    readonly data: Uint8Array,
    readonly options: ParseOptions,
  ) {}

  element(at: number, end: number, depth: number): TValue {
    if (depth > MAX_NESTING) throw new FormatError(`not a tnetstring: ${NESTED_TOO_DEEPLY}`);
    const { data, options } = this;
    const scanner = this.#scanner;
    const next = scanner.scan(data, at, end);
    const { from, to } = scanner;
    const tag = data[to];
    let value: TValue;
    switch (tag) {
      case 0x2c: // ,
        value = data.subarray(from, to);
        break;
      case 0x3b: // ;
        value = utf8At(data, from, to);
        break;
      case 0x23: // #
        value = parseInteger(latin1At(data, from, to));
        break;
      case 0x5e: {
        // ^
        const n = parseFloat64(latin1At(data, from, to));
        value = options.floats === 'pyfloat' ? new PyFloat(n) : n;
        break;
      }
      case 0x21: {
        // !
        const word = latin1At(data, from, to);
        if (word !== 'true' && word !== 'false') throw new FormatError('not a tnetstring: invalid boolean');
        value = word === 'true';
        break;
      }
      case 0x7e: // ~
        if (to !== from) throw new FormatError('not a tnetstring: invalid null');
        value = null;
        break;
      case 0x5d: {
        // ]
        const list: TValue[] = [];
        for (this.next = from; this.next < to; ) list.push(this.element(this.next, to, depth + 1));
        value = list;
        break;
      }
      case 0x7d: {
        // }
        const dict: Record<string, TValue> = {};
        for (this.next = from; this.next < to; ) {
          const key = dictKey(this.element(this.next, to, depth + 1));
          if (this.next >= to) throw new FormatError('not a tnetstring: dict key without a value');
          const item = this.element(this.next, to, depth + 1);
          if (key === '__proto__') setOwn(dict, key, item);
          else dict[key] = item;
        }
        value = dict;
        break;
      }
      default:
        throw new FormatError(`not a tnetstring: invalid type tag ${tag === undefined ? 'at end' : JSON.stringify(String.fromCharCode(tag))}`);
    }
    this.next = next;
    return value;
  }
}

function dictKey(key: TValue): string {
  if (typeof key === 'string') return key;
  if (key instanceof Uint8Array) return latin1(key); // Python 2 era files have bytes keys
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  if (key === null) return 'None';
  throw new FormatError('not a tnetstring: a dict key must be a scalar');
}

const isPlainDict = (v: TValue | undefined): v is { [key: string]: TValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof PyFloat) && !(v instanceof RawElement) && !(v instanceof RawEntry) && !(v instanceof Latin1Bytes);

/**
 * True when writing `fresh` would give an element equal to `read`, a value parsed with PyFloats: then the
 * bytes `read` came from can be written in its place. Dict key order is not compared (it changes no value).
 */
export function sameValue(fresh: TValue | undefined, read: TValue | undefined): boolean {
  if (fresh instanceof Latin1Bytes) {
    if (!(read instanceof Uint8Array) || read.byteLength !== fresh.text.length) return false;
    for (let i = 0; i < read.byteLength; i++) if (read[i] !== fresh.text.charCodeAt(i)) return false;
    return true;
  }
  if (fresh instanceof Uint8Array) return read instanceof Uint8Array && Buffer.compare(fresh, read) === 0;
  if (fresh instanceof PyFloat) return read instanceof PyFloat && Object.is(fresh.value, read.value);
  if (typeof fresh === 'number') {
    // The writer's rule: safe integers as integers, every other number as a float.
    if (Number.isSafeInteger(fresh) && !Object.is(fresh, -0)) return read === fresh;
    return read instanceof PyFloat && Object.is(read.value, fresh);
  }
  if (fresh === read) return fresh !== undefined;
  if (Array.isArray(fresh)) {
    if (!Array.isArray(read) || read.length !== fresh.length) return false;
    for (let i = 0; i < fresh.length; i++) if (!sameValue(fresh[i], read[i])) return false;
    return true;
  }
  if (!isPlainDict(fresh) || !isPlainDict(read)) return false;
  const keys = Object.keys(fresh).filter((k) => fresh[k] !== undefined);
  if (keys.length !== Object.keys(read).length) return false;
  for (const key of keys) if (!Object.hasOwn(read, key) || !sameValue(fresh[key], read[key])) return false;
  return true;
}

/** Python's repr() of a float: shortest round-trip digits, ".0" on integral values, exponent outside [1e-4, 1e16). */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    return `${sign}${body}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/**
 * `value` as one buffer, written back to front as mitmproxy's writer does: a container's length is known
 * once its content is written, and dict entries land on disk in the reverse of their insertion order.
 * `writer` is the encoder's own, reused record after record (a fresh one by default, for one-off uses).
 */
export function encodeToBuffer(value: TValue, writer = new BackWriter()): Buffer {
  writer.reset();
  writer.value(value);
  return writer.result();
}

/**
 * `value` as a list of buffers that concatenate to encodeToBuffer(value), where byte strings and raw
 * elements of DETACH bytes or more are the caller's own buffers rather than copies: a flow written back with
 * one changed header costs its small fields, not its bodies.
 */
export function encodeToPieces(value: TValue, writer = new BackWriter()): Uint8Array[] {
  writer.reset(DETACH);
  writer.value(value);
  return writer.pieces();
}

const DETACH = 1024;

/** A tnetstring writer's scratch buffer: one per encoder, whose results are copied out of it. */
export class BackWriter {
  #buf = Buffer.allocUnsafe(256 * 1024);
  #pos = this.#buf.length;
  /** Byte strings at least this long are left out of the buffer and handed back as they are. */
  #detach = Infinity;
  /** Detached bytes, back to front, each with how many buffer bytes were written after it. */
  #detached: { after: number; bytes: Uint8Array }[] = [];
  #detachedBytes = 0;

  reset(detach = Infinity): void {
    this.#pos = this.#buf.length;
    this.#detach = detach;
    this.#detached.length = 0;
    this.#detachedBytes = 0;
  }

  /** A copy of what was written: the scratch buffer is reused for the next record. */
  result(): Buffer {
    return Buffer.from(this.#buf.subarray(this.#pos));
  }

  /** What was written, in order: slices of one copy of the buffer, with the detached bytes between them. */
  pieces(): Uint8Array[] {
    const written = this.result();
    const out: Uint8Array[] = [];
    let from = 0;
    for (let i = this.#detached.length - 1; i >= 0; i--) {
      const { after, bytes } = this.#detached[i]!;
      const to = written.length - after;
      if (to > from) out.push(written.subarray(from, to));
      out.push(bytes);
      from = to;
    }
    if (written.length > from) out.push(written.subarray(from));
    return out;
  }

  /** Bytes written so far, detached ones included. */
  get #size(): number {
    return this.#buf.length - this.#pos + this.#detachedBytes;
  }

  #room(n: number): void {
    if (this.#pos >= n) return;
    const used = this.#buf.length - this.#pos;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, used + n + 1024));
    this.#buf.copy(bigger, bigger.length - used, this.#pos);
    this.#pos = bigger.length - used;
    this.#buf = bigger;
  }

  #byte(b: number): void {
    this.#room(1);
    this.#buf[--this.#pos] = b;
  }

  #latin1(s: string): void {
    this.#room(s.length);
    this.#pos -= s.length;
    if (s.length > SHORT) this.#buf.write(s, this.#pos, s.length, 'latin1');
    else for (let i = 0; i < s.length; i++) this.#buf[this.#pos + i] = s.charCodeAt(i);
  }

  #bytes(bytes: Uint8Array): void {
    if (bytes.byteLength >= this.#detach) {
      this.#detached.push({ after: this.#buf.length - this.#pos, bytes });
      this.#detachedBytes += bytes.byteLength;
      return;
    }
    this.#room(bytes.byteLength);
    this.#pos -= bytes.byteLength;
    this.#buf.set(bytes, this.#pos);
  }

  /** Tag, then the payload written by `payload`, then `<length>:` in front of it. */
  #element(tag: number, payload: () => void): void {
    this.#byte(tag);
    const mark = this.#size; // counted from the end: growing the buffer moves the start
    payload();
    const length = this.#size - mark;
    this.#byte(COLON);
    this.#latin1(String(length));
  }

  value(value: TValue): void {
    if (value instanceof RawElement || value instanceof RawEntry) {
      this.#bytes(value.bytes);
    } else if (value instanceof Latin1Bytes) {
      this.#element(TAG.bytes, () => this.#latin1(value.text));
    } else if (value instanceof Uint8Array) {
      this.#element(TAG.bytes, () => this.#bytes(value));
    } else if (typeof value === 'string') {
      this.#element(TAG.text, () => {
        if (isShortAscii(value)) return this.#latin1(value);
        const size = Buffer.byteLength(value, 'utf8');
        this.#room(size);
        this.#pos -= size;
        this.#buf.write(value, this.#pos, size, 'utf8');
      });
    } else if (typeof value === 'boolean') {
      this.#element(TAG.bool, () => this.#latin1(value ? 'true' : 'false'));
    } else if (value === null) {
      this.#element(TAG.null, () => {});
    } else if (typeof value === 'bigint') {
      this.#element(TAG.int, () => this.#latin1(value.toString()));
    } else if (typeof value === 'number') {
      // Integers beyond 2^53 are bigints; a number that large is a double, so it stays a float.
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) this.#element(TAG.int, () => this.#latin1(String(value)));
      else this.#element(TAG.float, () => this.#latin1(pyFloatRepr(value)));
    } else if (value instanceof PyFloat) {
      this.#element(TAG.float, () => this.#latin1(pyFloatRepr(value.value)));
    } else if (Array.isArray(value)) {
      this.#element(TAG.list, () => {
        for (let i = value.length - 1; i >= 0; i--) this.value(value[i]!);
      });
    } else {
      this.#element(TAG.dict, () => {
        for (const key in value) {
          const v = value[key];
          if (v === undefined) continue;
          if (v instanceof RawEntry) {
            this.#bytes(v.bytes);
            continue;
          }
          this.value(v);
          this.value(key);
        }
      });
    }
  }
}

const TAG = { bytes: 0x2c, text: 0x3b, int: 0x23, float: 0x5e, bool: 0x21, null: 0x7e, list: 0x5d, dict: 0x7d } as const;

/** Whether `bytes` are exactly data[from, to). */
export function sameBytes(bytes: Uint8Array, data: Uint8Array, from: number, to: number): boolean {
  if (bytes.byteLength !== to - from) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).compare(data, from, to) === 0;
}

/**
 * A dict for the writer, built in insertion (state) order from fresh values and from entries copied from
 * `raw`. Copied entries that lie next to each other in `raw`, in the order they will be written, become one
 * RawEntry: a flow with one changed header is then a handful of pieces, not one per field.
 */
export class DictBuilder {
  readonly #dict: { [key: string]: TValue } = {};
  readonly #raw: Uint8Array;
  #runKey: string | null = null;
  #runFrom = 0;
  #runTo = 0;

  constructor(raw: Uint8Array) {
    this.#raw = raw;
  }

  /** The entry `key` as it is in raw[from, to). */
  copy(key: string, from: number, to: number): void {
    // The writer puts later entries first: this one joins the run if it ends where the run starts.
    if (this.#runKey !== null && to === this.#runFrom) {
      this.#runFrom = from;
      return;
    }
    this.#flush();
    this.#runKey = key;
    this.#runFrom = from;
    this.#runTo = to;
  }

  set(key: string, value: TValue): void {
    this.#flush();
    this.#dict[key] = value;
  }

  done(): { [key: string]: TValue } {
    this.#flush();
    return this.#dict;
  }

  #flush(): void {
    if (this.#runKey === null) return;
    this.#dict[this.#runKey] = new RawEntry(this.#raw.subarray(this.#runFrom, this.#runTo));
    this.#runKey = null;
  }
}

/**
 * Known dict keys, matched against a key's bytes without making a string: a flow record has a dozen keys at
 * each level, and the same ones in every record.
 */
export class KeyTable {
  readonly keys: readonly string[];
  readonly #bytes: Uint8Array[];
  /** Indices into `keys` by byte length: a record's keys are told apart by their length, mostly. */
  readonly #byLength: number[][] = [];

  constructor(keys: readonly string[]) {
    this.keys = keys;
    this.#bytes = keys.map((key) => Buffer.from(key, 'utf8'));
    this.#bytes.forEach((bytes, i) => (this.#byLength[bytes.length] ??= []).push(i));
  }

  /** The index in `keys` of the key whose bytes are data[from, to), or -1 when it is none of them. */
  indexOf(data: Uint8Array, from: number, to: number): number {
    const candidates = this.#byLength[to - from];
    if (candidates === undefined) return -1;
    next: for (const i of candidates) {
      const bytes = this.#bytes[i]!;
      for (let j = 0; j < bytes.length; j++) if (data[from + j] !== bytes[j]) continue next;
      return i;
    }
    return -1;
  }
}
