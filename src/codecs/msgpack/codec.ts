// flowtx's own binary format: a 9-byte header (8 magic bytes, 1 version byte), then records, each a 4-byte
// big-endian length and that many bytes of one MessagePack map (a FlowState). Length framing lets the reader
// detect truncation and pass records through without decoding them. Specified in docs/formats.md.

import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { CodecError, type InputPosition } from '../../errors.js';
import { Flow } from '../../model/flow.js';
import { FlowRecord } from '../../model/record.js';
import { checkNesting, NESTED_TOO_DEEPLY } from '../../model/nesting.js';
import { setOwn } from '../../model/own.js';
import { plainView } from '../../model/plain.js';
import type { FlowState, StateValue } from '../../model/state.js';
import { validateFlowState } from '../../model/validate.js';
import type { ByteReader } from '../byte-reader.js';
import type { Codec, Encoder, Release } from '../codec.js';
import { atRecord } from '../fault.js';
import { framedDecode } from '../framing.js';

export const MAGIC = Uint8Array.from([0x89, 0x46, 0x54, 0x58, 0x0d, 0x0a, 0x1a, 0x0a]); // \x89 F T X \r \n \x1a \n
export const VERSION = 1;
const FORMAT = `msgpack/${VERSION}`;
const HEADER = Uint8Array.from([...MAGIC, VERSION]);
/** Records are below 2 GiB, so a length never starts with the magic's first byte (0x89): that lets a
 *  concatenation of files (`cat a.ftx b.ftx`) be read as one stream. */
const MAX_RECORD = 0x7fffffff;

// Plain MessagePack maps (no msgpackr records) so any MessagePack library can read the records.
// int64AsType 'auto' gives numbers where they are exact and bigint beyond 2^53 (missing from msgpackr's types);
// integers beyond 64 bits use msgpackr's bigint extension.
// Loaded on first use: pass-through never decodes a record, and start-up time is a target.
let packr: Packr | undefined;
/** pack()'s option that leaves 4 bytes before the payload: the record's length goes there, so a record is
 *  one buffer, with no allocation for its length. */
let lengthRoom = 0;
function msgpack(): Packr {
  if (packr === undefined) {
    const { Packr, RESERVE_START_SPACE } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    packr = new Packr({ useRecords: false, mapsAsObjects: true, useBigIntExtension: true, int64AsType: 'auto' as 'bigint' });
    lengthRoom = RESERVE_START_SPACE | 4;
  }
  return packr;
}

/**
 * msgpackr renames a "__proto__" key to "__proto_" when it decodes (a guard against prototype pollution).
 * Free-form data may hold such a key, so keys made of "__proto" and two or more "_" get one more "_" in the
 * file: "__proto__" never reaches msgpackr and every key comes back as it was.
 */
const PROTO_LIKE = /^__proto__+$/;

/**
 * `value` with its keys renamed, copied only where a key changes (copy on write): such keys are rare, and
 * copying every flow's free-form parts cost about a twentieth of encoding a HAR to msgpack.
 */
function mapKeys(value: StateValue, rename: (key: string) => string): StateValue {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    let out: StateValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = mapKeys(value[i]!, rename);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = value[key]!;
    const mapped = mapKeys(v, rename);
    if (mapped === v && rename(key) === key) continue;
    // Something under this object changes: copy it, keys and values from here on mapped.
    const out: Record<string, StateValue> = {};
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j]!;
      setOwn(out, rename(k), j < i ? value[k]! : j === i ? mapped : mapKeys(value[k]!, rename));
    }
    return out;
  }
  return value;
}

// startsWith first: a regular expression per key of every flow's free-form parts costs more than the copy saved.
const escape = (key: string): string => (key.startsWith('__proto__') && PROTO_LIKE.test(key) ? `${key}_` : key);
const unescape = (key: string): string => (key.startsWith('__proto__') && PROTO_LIKE.test(key) ? key.slice(0, -1) : key);

/**
 * The state with the keys of its free-form parts (metadata, backup, extra, DNS messages) renamed; the state
 * itself when no key changes, which is nearly always.
 */
function withFreeFormKeys(state: FlowState, rename: (key: string) => string): FlowState {
  /** The parts named `keys` of `o` that change, renamed; undefined when none does. */
  const parts = (o: object, keys: string[]): Record<string, unknown> | undefined => {
    let changed: Record<string, unknown> | undefined;
    for (const key of keys) {
      const v = (o as Record<string, StateValue | undefined>)[key];
      if (v == null) continue;
      const mapped = mapKeys(v, rename);
      if (mapped !== v) (changed ??= {})[key] = mapped;
    }
    return changed;
  };
  let out: FlowState | undefined;
  const top = parts(state, state.type === 'dns' ? ['metadata', 'backup', 'extra', 'request', 'response'] : ['metadata', 'backup', 'extra']);
  if (top !== undefined) out = { ...state, ...top } as FlowState;
  const nested = ['clientConn', 'serverConn', ...(state.type === 'dns' ? [] : ['request', 'response', 'websocket'])] as const;
  for (const name of nested) {
    const o = (state as unknown as Record<string, unknown>)[name];
    const changed = o !== null && typeof o === 'object' && 'extra' in o ? parts(o, ['extra']) : undefined;
    if (changed === undefined) continue;
    out ??= { ...state };
    (out as unknown as Record<string, unknown>)[name] = { ...(o as object), ...changed };
  }
  return out ?? state;
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

function load(payload: Uint8Array, position: InputPosition): FlowState {
  let value: unknown;
  try {
    value = msgpack().unpack(payload);
  } catch (cause) {
    // msgpackr reads nested values recursively: a record nested some thousand levels deep overflows it.
    const reason = cause instanceof RangeError && /call stack/.test(cause.message) ? `record is ${NESTED_TOO_DEEPLY}` : `record is not valid MessagePack: ${(cause as Error).message}`;
    throw new CodecError(position, reason, { cause });
  }
  return atRecord(position, () => {
    checkNesting(value, 'record');
    return withFreeFormKeys(validateFlowState(value), unescape);
  });
}

function readHeader(reader: ByteReader, position: InputPosition): void {
  const header = reader.take(HEADER.byteLength);
  if (!startsWithMagic(header)) throw new CodecError(position, 'not a flowtx msgpack stream (bad magic bytes)');
  if (header[8] !== VERSION) {
    throw new CodecError(position, `unsupported flowtx msgpack version ${header[8]} (this flowtx reads version ${VERSION})`);
  }
}

function recordLength(reader: ByteReader, position: InputPosition): number {
  const length =
    ((reader.peekByte(0) << 24) | (reader.peekByte(1) << 16) | (reader.peekByte(2) << 8) | reader.peekByte(3)) >>> 0;
  if (length > MAX_RECORD || length === 0) throw new CodecError(position, `invalid record length ${length}`);
  return length;
}

/** What the bytes left at the end of the input were in the middle of. */
function truncation(reader: ByteReader, position: InputPosition, atHeader: boolean): CodecError {
  if (atHeader) return new CodecError(position, `truncated header: ${reader.buffered} of ${HEADER.byteLength} bytes`);
  if (reader.buffered < 4) return new CodecError(position, `truncated record: ${reader.buffered} of 4 length bytes`);
  return new CodecError(position, `truncated record: ${reader.buffered - 4} of ${recordLength(reader, position)} bytes`);
}

function decode(chunks: AsyncIterable<Uint8Array>, origin: string, release?: Release): AsyncIterable<FlowRecord[]> {
  let expectHeader = true;
  // A header starts the input and may recur where files were concatenated (lengths never start with 0x89).
  const atHeader = (reader: ByteReader): boolean => expectHeader || reader.peekByte(0) === MAGIC[0];
  return framedDecode(chunks, release, {
    next(reader, index) {
      const position: InputPosition = { origin, index, offset: reader.offset };
      if (atHeader(reader)) {
        if (reader.buffered < HEADER.byteLength) return undefined;
        readHeader(reader, position);
        expectHeader = false;
        return null;
      }
      if (reader.buffered < 4) return undefined;
      const length = recordLength(reader, position);
      if (reader.buffered < 4 + length) return undefined;
      const raw = reader.take(4 + length);
      const payload = raw.subarray(4);
      return FlowRecord.read(position, raw, FORMAT, () => load(payload, position));
    },
    end(reader, index) {
      throw truncation(reader, { origin, index, offset: reader.offset }, atHeader(reader));
    },
  });
}

function encoder(): Encoder {
  return {
    begin: () => [HEADER],
    encode(record) {
      if (record.pristine && record.format === FORMAT) return [record.raw!];
      // msgpackr walks an object decoded on first use (a Proxy) several times slower than a plain one.
      const framed = msgpack().pack(withFreeFormKeys(plainView(Flow.state(record.flow)), escape), lengthRoom);
      framed.writeUInt32BE(framed.byteLength - 4, 0);
      return [framed];
    },
    end: () => [],
  };
}

export const msgpackCodec: Codec = {
  name: 'msgpack',
  description: "flowtx's binary format: length-framed MessagePack records (fastest)",
  extensions: ['ftx', 'msgpack'],
  sniff: (head) => startsWithMagic(head),
  decode,
  encoder,
};
