// flowtx's own binary format: a 9-byte header (8 magic bytes, 1 version byte), then records, each a 4-byte
// big-endian length and that many bytes of one MessagePack map (a FlowState). Length framing lets the reader
// detect truncation and pass records through without decoding them. Specified in docs/formats.md.

import { Packr } from 'msgpackr';
import { CodecError, SchemaError, type InputPosition } from '../../errors.js';
import { Flow } from '../../model/flow.js';
import { FlowRecord } from '../../model/record.js';
import type { FlowState } from '../../model/state.js';
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
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  useBigIntExtension: true,
  int64AsType: 'auto' as 'bigint',
});

function startsWithMagic(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

function load(payload: Uint8Array, position: InputPosition): FlowState {
  let value: unknown;
  try {
    value = packr.unpack(payload);
  } catch (cause) {
    throw new CodecError(position, `record is not valid MessagePack: ${(cause as Error).message}`, { cause });
  }
  try {
    return validateFlowState(value);
  } catch (cause) {
    if (cause instanceof SchemaReason) throw new SchemaError(position, cause.message, { cause });
    throw cause;
  }
}

async function readHeader(reader: ByteReader, origin: string, index: number): Promise<void> {
  const at = { origin, index, offset: reader.offset };
  if (!(await reader.fill(HEADER.byteLength))) {
    throw new CodecError(at, `truncated header: ${reader.buffered} of ${HEADER.byteLength} bytes`);
  }
  const header = reader.take(HEADER.byteLength);
  if (!startsWithMagic(header)) throw new CodecError(at, 'not a flowtx msgpack stream (bad magic bytes)');
  if (header[8] !== VERSION) {
    throw new CodecError(at, `unsupported flowtx msgpack version ${header[8]} (this flowtx reads version ${VERSION})`);
  }
}

async function* decode(chunks: AsyncIterable<Uint8Array>, origin: string): AsyncIterable<FlowRecord> {
  const reader = new ByteReader(chunks);
  let index = 0;
  if (await reader.atEnd()) return;
  await readHeader(reader, origin, index);
  for (;;) {
    if (await reader.atEnd()) return;
    if (reader.peekByte(0) === MAGIC[0]) {
      await readHeader(reader, origin, index);
      continue;
    }
    const position: InputPosition = { origin, index, offset: reader.offset };
    if (!(await reader.fill(4))) {
      throw new CodecError(position, `truncated record: ${reader.buffered} of 4 length bytes`);
    }
    const length =
      ((reader.peekByte(0) << 24) | (reader.peekByte(1) << 16) | (reader.peekByte(2) << 8) | reader.peekByte(3)) >>> 0;
    if (length > MAX_RECORD || length === 0) {
      throw new CodecError(position, `invalid record length ${length}`);
    }
    if (!(await reader.fill(4 + length))) {
      throw new CodecError(position, `truncated record: ${reader.buffered - 4} of ${length} bytes`);
    }
    const raw = reader.take(4 + length);
    const payload = raw.subarray(4);
    yield FlowRecord.read(position, raw, FORMAT, () => load(payload, position));
    index++;
  }
}

function encoder(): Encoder {
  return {
    begin: () => [HEADER],
    encode(record) {
      if (record.pristine && record.format === FORMAT) return [record.raw!];
      const payload = packr.pack(Flow.state(record.flow));
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
