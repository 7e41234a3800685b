// mitmproxy's flow files (.flows, .mitm, .flow, .dump): concatenated tnetstring dicts, one per flow, any
// format version mitmproxy reads (0.11 … 21). Records are split by their length prefix and passed through
// untouched when no script changed them; decoding runs the migration chain to version 21 and maps the state
// to the model. Writing produces version 17 … 21 (--flow-version). Specified in
// ../shared/docs/mitmproxy-format.md; user documentation in docs/formats.md.

import { CodecError, type InputPosition } from '../../errors.js';
import { Flow } from '../../model/flow.js';
import { FlowRecord } from '../../model/record.js';
import type { FlowState } from '../../model/state.js';
import type { ByteReader } from '../byte-reader.js';
import type { Codec, Encoder, EncoderOptions, Release } from '../codec.js';
import { atRecord } from '../fault.js';
import { framedDecode } from '../framing.js';
import { isDict, LATEST, Migration } from './migrate.js';
import { encodeLazy, lazyHttpFlow } from './lazy.js';
import { foreignExtras, fromMitmproxy, toMitmproxy } from './state.js';
import { BackWriter, encodeToPieces, parse, sameBytes, Scanner } from './tnetstring.js';
import { atVersion, Unwritable, WRITABLE_VERSIONS, type Changed, type WritableVersion } from './versions.js';

const COLON = 0x3a;
const DICT = 0x7d;
const MAX_DIGITS = 12;
const TAG_NAMES: Record<number, string> = { 0x2c: 'bytes', 0x3b: 'text', 0x23: 'an integer', 0x5e: 'a float', 0x21: 'a boolean', 0x7e: 'null', 0x5d: 'a list' };

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
/** HTTP flows of these versions are decoded part by part, on demand (lazy.ts). */
const LAZY_VERSIONS = new Set(['17', '18', '19', '20', '21']);

const VERSION_KEY = Buffer.from('version', 'latin1');

/** Where a record's payload starts: after its length prefix (a call into Buffer#indexOf costs more). */
function bodyStart(raw: Uint8Array): number {
  let at = 0;
  while (raw[at] !== COLON) at++;
  return at + 1;
}

/** The record's format version, read from its top-level dict without decoding anything else. */
function scanVersion(s: Scanner, raw: Uint8Array, from: number, to: number): string {
  for (let at = from; at < to; ) {
    const valueAt = s.scan(raw, at, to);
    const isVersion = sameBytes(VERSION_KEY, raw, s.from, s.to);
    const next = s.scan(raw, valueAt, to);
    if (isVersion) {
      const value = parse(raw, valueAt, next);
      return String(isDict(value) ? '?' : Array.isArray(value) ? value.slice(0, 2).join('.') : value);
    }
    at = next;
  }
  return '?';
}

/** The flow of the record `raw`, whose top-level dict's entries start at `bodyFrom`. */
function load(raw: Uint8Array, bodyFrom: number, position: InputPosition, migration: Migration, version: string): FlowState {
  if (LAZY_VERSIONS.has(version)) {
    const lazy = lazyHttpFlow(raw, bodyFrom, Number(version), position);
    if (lazy !== undefined) return lazy;
  }
  return atRecord(position, () => {
    const value = parse(raw, 0, raw.byteLength, { floats: 'pyfloat' });
    if (!isDict(value)) throw new CodecError(position, 'not a flow: the record is not a dict');
    return fromMitmproxy(migration.upgrade(value));
  });
}

/** The record starting at the read position: its total size, or undefined if more bytes are needed. */
function recordSize(reader: ByteReader, position: InputPosition): number | undefined {
  let digits = 0;
  let length = 0;
  for (;;) {
    const b = reader.peekByte(digits);
    if (b < 0) return undefined;
    if (!isDigit(b)) break;
    if (++digits > MAX_DIGITS) throw new CodecError(position, 'not a flow file: absurdly large length prefix (more than 12 digits)');
    length = length * 10 + (b - 0x30);
  }
  if (digits === 0 || reader.peekByte(digits) !== COLON) {
    const b = reader.peekByte(digits);
    throw new CodecError(position, `not a flow file: missing or invalid length prefix (byte 0x${b.toString(16).padStart(2, '0')})`);
  }
  return digits + 1 + length + 1;
}

function decode(chunks: AsyncIterable<Uint8Array>, origin: string, release?: Release): AsyncIterable<FlowRecord[]> {
  const migration = new Migration();
  const scanner = new Scanner();
  return framedDecode(chunks, release, {
    next(reader, index) {
      const position: InputPosition = { origin, index, offset: reader.offset };
      const size = recordSize(reader, position);
      if (size === undefined || reader.buffered < size) return undefined;
      const raw = reader.take(size);
      const tag = raw[size - 1]!;
      if (tag !== DICT) {
        throw new CodecError(position, TAG_NAMES[tag] ? `not a flow: the record is ${TAG_NAMES[tag]}, not a dict` : `not a flow file: invalid type tag 0x${tag.toString(16)}`);
      }
      const bodyFrom = bodyStart(raw);
      const version = atRecord(position, () => scanVersion(scanner, raw, bodyFrom, size - 1));
      const record = FlowRecord.read(position, raw, `mitmproxy/${version}`, () => load(raw, bodyFrom, position, migration, version));
      // Migrating versions before 12 needs every earlier record of the file (WebSocket merge, invented
      // connection ids), so those are decoded here, in order.
      if (!(Number(version) >= 12)) void record.flow;
      return record;
    },
    end(reader, index) {
      const position: InputPosition = { origin, index, offset: reader.offset };
      const size = recordSize(reader, position);
      const expected = size === undefined ? 'its length prefix is cut short' : `${reader.buffered} of ${size} bytes`;
      throw new CodecError(position, `truncated record: ${expected}`);
    },
  });
}

/** Writes `options.flowVersion`; by default the first input record's version when writable, else 21. */
function encoder(options: EncoderOptions = {}): Encoder {
  let version: WritableVersion | undefined =
    options.flowVersion === undefined ? undefined : (options.flowVersion as WritableVersion);
  let warnedExtras = false;
  const writer = new BackWriter();
  return {
    begin: () => [],
    encode(record) {
      if (version === undefined) {
        const read = Number(record.format?.startsWith('mitmproxy/') ? record.format.slice('mitmproxy/'.length) : NaN);
        version = (WRITABLE_VERSIONS as readonly number[]).includes(read) ? (read as WritableVersion) : LATEST;
      }
      if (record.pristine && record.format === `mitmproxy/${version}`) return [record.raw!];
      const state = Flow.state(record.flow);
      const foreign = foreignExtras(state);
      if (foreign.length > 0 && !warnedExtras) {
        warnedExtras = true;
        options.warn?.(`fields from other formats (${foreign.join(', ')}) have no place in mitmproxy flow files and are not written`);
      }
      try {
        // What the version had to change in this flow is counted, as what a format cannot carry is.
        const changed: Changed = new Set();
        const pieces = encodeLazy(state, version, writer, changed) ?? encodeToPieces(atVersion(toMitmproxy(state), version, true, changed), writer);
        for (const what of changed) options.lose?.(what);
        return pieces;
      } catch (cause) {
        if (!(cause instanceof Unwritable)) throw cause;
        const at = record.position;
        options.warn?.(`${at === null ? 'an emitted flow' : `${at.origin}: flow #${at.index}`}: ${cause.message}; left out`);
        return [];
      }
    },
    end: () => [],
  };
}

export const mitmproxyCodec: Codec = {
  name: 'mitmproxy',
  description: "mitmproxy's flow files, every format version mitmproxy reads; written at version 17 … 21",
  extensions: ['flows', 'mitm', 'flow', 'dump'],
  sniff: (head) => {
    let i = 0;
    while (i < head.length && i <= MAX_DIGITS && isDigit(head[i]!)) i++;
    return i > 0 && head[i] === COLON;
  },
  decode,
  encoder,
};
