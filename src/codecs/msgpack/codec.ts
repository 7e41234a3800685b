// flowtx's own binary format: a 9-byte header (8 magic bytes, 1 version byte), then records, each a 4-byte
// big-endian length and that many bytes of one MessagePack map (a FlowState). Length framing lets the reader
// detect truncation and pass records through without decoding them. Specified in docs/formats.md.

import { createRequire } from 'node:module';
import type { Packr } from 'msgpackr';
import { CodecError, SchemaError, type InputPosition } from '../../errors.js';
import { Flow } from '../../model/flow.js';
import { FlowRecord } from '../../model/record.js';
import { setOwn } from '../../model/own.js';
import type { FlowState, StateValue } from '../../model/state.js';
import { SchemaReason, validateFlowState } from '../../model/validate.js';
import { ByteReader } from '../byte-reader.js';
import type { Codec, Encoder } from '../codec.js';

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
function msgpack(): Packr {
  if (packr === undefined) {
    const { Packr } = createRequire(import.meta.url)('msgpackr') as typeof import('msgpackr');
    packr = new Packr({ useRecords: false, mapsAsObjects: true, useBigIntExtension: true, int64AsType: 'auto' as 'bigint' });
  }
  return packr;
}

/**
 * msgpackr renames a "__proto__" key to "__proto_" when it decodes (a guard against prototype pollution).
 * Free-form data may hold such a key, so keys made of "__proto" and two or more "_" get one more "_" in the
 * file: "__proto__" never reaches msgpackr and every key comes back as it was.
 */
const PROTO_LIKE = /^__proto__+$/;

function mapKeys(value: StateValue, rename: (key: string) => string): StateValue {
  if (Array.isArray(value)) return value.map((v) => mapKeys(v, rename));
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, StateValue> = {};
  for (const [key, v] of Object.entries(value)) setOwn(out, rename(key), mapKeys(v, rename));
  return out;
}

const escape = (key: string): string => (PROTO_LIKE.test(key) ? `${key}_` : key);
const unescape = (key: string): string => (PROTO_LIKE.test(key) ? key.slice(0, -1) : key);

/** The state with the keys of its free-form parts (metadata, backup, extra, DNS messages) renamed. */
function withFreeFormKeys(state: FlowState, rename: (key: string) => string): FlowState {
  const parts = (o: object, keys: string[]): Record<string, unknown> =>
    Object.fromEntries(keys.filter((k) => k in o && (o as Record<string, unknown>)[k] != null).map((k) => [k, mapKeys((o as Record<string, StateValue>)[k]!, rename)]));
  const nested = (o: unknown): unknown => (o !== null && typeof o === 'object' && 'extra' in o ? { ...o, ...parts(o, ['extra']) } : o);
  const out: FlowState = { ...state, ...parts(state, ['metadata', 'backup', 'extra']) };
  out.clientConn = nested(state.clientConn) as FlowState['clientConn'];
  out.serverConn = nested(state.serverConn) as FlowState['serverConn'];
  if (state.type === 'dns') Object.assign(out, parts(state, ['request', 'response']));
  else {
    if (state.request !== undefined) out.request = nested(state.request) as FlowState['request'];
    if (state.response != null) out.response = nested(state.response) as FlowState['response'];
    if (state.websocket != null) out.websocket = nested(state.websocket) as FlowState['websocket'];
  }
  return out;
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

function load(payload: Uint8Array, position: InputPosition): FlowState {
  let value: unknown;
  try {
    value = msgpack().unpack(payload);
  } catch (cause) {
    throw new CodecError(position, `record is not valid MessagePack: ${(cause as Error).message}`, { cause });
  }
  try {
    return withFreeFormKeys(validateFlowState(value), unescape);
  } catch (cause) {
    if (cause instanceof SchemaReason) throw new SchemaError(position, cause.message, { cause });
    throw cause;
  }
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

async function* decode(chunks: AsyncIterable<Uint8Array>, origin: string): AsyncIterable<FlowRecord[]> {
  const reader = new ByteReader(chunks);
  let index = 0;
  let expectHeader = true;
  for (;;) {
    const batch: FlowRecord[] = [];
    let position: InputPosition;
    let atHeader: boolean;
    // Take every record that is complete in the buffered bytes.
    for (;;) {
      position = { origin, index, offset: reader.offset };
      // A header starts the input and may recur where files were concatenated (lengths never start with 0x89).
      atHeader = expectHeader || reader.peekByte(0) === MAGIC[0];
      if (atHeader) {
        if (reader.buffered < HEADER.byteLength) break;
        readHeader(reader, position);
        expectHeader = false;
        continue;
      }
      if (reader.buffered < 4) break;
      const length = recordLength(reader, position);
      if (reader.buffered < 4 + length) break;
      const raw = reader.take(4 + length);
      const payload = raw.subarray(4);
      const at = position;
      batch.push(FlowRecord.read(at, raw, FORMAT, () => load(payload, at)));
      index++;
    }
    if (batch.length > 0) yield batch;
    if (!(await reader.fill(reader.buffered + 1))) {
      if (reader.buffered === 0) return;
      throw truncation(reader, position, atHeader);
    }
  }
}

function encoder(): Encoder {
  return {
    begin: () => [HEADER],
    encode(record) {
      if (record.pristine && record.format === FORMAT) return [record.raw!];
      const payload = msgpack().pack(withFreeFormKeys(Flow.state(record.flow), escape));
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, payload.byteLength);
      return [prefix, payload];
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
