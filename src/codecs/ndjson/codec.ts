// NDJSON: one flow per line, a JSON object whose first key is "flowtx" (the format version) followed by the
// flow's state; bytes are tagged text or base64 (tagged-json.ts). Made for jq and grep. Specified in
// docs/formats.md.

import { CodecError, SchemaError, type InputPosition } from '../../errors.js';
import { Flow } from '../../model/flow.js';
import { FlowRecord } from '../../model/record.js';
import { plainView } from '../../model/plain.js';
import type { FlowState } from '../../model/state.js';
import { SchemaReason, validateFlowState } from '../../model/validate.js';
import { ByteReader } from '../byte-reader.js';
import type { Codec, Encoder } from '../codec.js';
import { fromJson, TagError, toJson } from './tagged-json.js';

export const VERSION = 1;
const FORMAT = `ndjson/${VERSION}`;
const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function load(line: Uint8Array, position: InputPosition): FlowState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(line));
  } catch (cause) {
    throw new CodecError(position, `line is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CodecError(position, 'line is not a JSON object');
  }
  const { flowtx: version, ...state } = parsed as Record<string, unknown>;
  if (version !== VERSION) {
    throw new CodecError(
      position,
      version === undefined
        ? 'line has no "flowtx" version field; not a flowtx NDJSON record'
        : `unsupported flowtx NDJSON version ${JSON.stringify(version)} (this flowtx reads version ${VERSION})`,
    );
  }
  try {
    return validateFlowState(fromJson(state));
  } catch (cause) {
    if (cause instanceof SchemaReason || cause instanceof TagError) {
      throw new SchemaError(position, cause.message, { cause });
    }
    throw cause;
  }
}

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0d || b === NEWLINE;
const isBlank = (line: Uint8Array): boolean => line.every(isSpace);

function checkLine(line: Uint8Array, position: InputPosition): void {
  if (line[line.findIndex((b) => !isSpace(b))] !== 0x7b /* { */) {
    throw new CodecError(position, 'line does not start with "{"; not a flowtx NDJSON record');
  }
}

async function* decode(chunks: AsyncIterable<Uint8Array>, origin: string, spent?: (chunk: Uint8Array) => void): AsyncIterable<FlowRecord[]> {
  const reader = new ByteReader(chunks, spent);
  let index = 0;
  let scanned = 0; // bytes of the current line already searched for "\n"
  for (;;) {
    const batch: FlowRecord[] = [];
    for (;;) {
      const end = reader.indexOfBuffered(NEWLINE, scanned);
      if (end < 0) {
        scanned = reader.buffered;
        break;
      }
      scanned = 0;
      const position: InputPosition = { origin, index, offset: reader.offset };
      const raw = reader.take(end + 1);
      if (isBlank(raw)) continue;
      const line = raw.subarray(0, end);
      checkLine(line, position);
      batch.push(FlowRecord.read(position, raw, FORMAT, () => load(line, position)));
      index++;
    }
    if (batch.length > 0) yield batch;
    if (await reader.fill(reader.buffered + 1)) continue;
    if (reader.buffered === 0) return;
    // The last line has no "\n": it is complete only if it parses, else the input was cut off.
    const position: InputPosition = { origin, index, offset: reader.offset };
    const line = reader.take(reader.buffered);
    if (isBlank(line)) return;
    checkLine(line, position);
    try {
      JSON.parse(new TextDecoder().decode(line));
    } catch {
      throw new CodecError(position, `truncated record: last line (${line.byteLength} bytes) ends mid-JSON`);
    }
    yield [FlowRecord.read(position, line, FORMAT, () => load(line, position))];
    return;
  }
}

function encoder(): Encoder {
  return {
    begin: () => [],
    encode(record) {
      if (record.pristine && record.format === FORMAT && record.raw![record.raw!.byteLength - 1] === NEWLINE) {
        return [record.raw!];
      }
      const json = toJson(plainView(Flow.state(record.flow))) as Record<string, unknown>;
      return [Buffer.from(`${JSON.stringify({ flowtx: VERSION, ...json })}\n`, 'utf8')];
    },
    end: () => [],
  };
}

const SIGNATURE = /^\s*\{\s*"flowtx"\s*:/;

export const ndjsonCodec: Codec = {
  name: 'ndjson',
  description: 'one flow per line as JSON; bodies as UTF-8 text or base64 (for jq and grep)',
  extensions: ['ndjson', 'jsonl'],
  sniff: (head) => SIGNATURE.test(Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1')),
  decode,
  encoder,
};
