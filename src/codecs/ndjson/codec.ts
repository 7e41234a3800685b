// NDJSON: one flow per line, a JSON object whose first key is "flowtx" (the format version) followed by the
// flow's state; bytes are tagged text or base64 (tagged-json.ts). Made for jq and grep. Specified in
// docs/formats.md.

import { constants } from 'node:buffer';
import { CodecError, type InputPosition } from '../../errors.js';
import { Flow } from '../../model/flow.js';
import { FlowRecord } from '../../model/record.js';
import { checkNesting } from '../../model/nesting.js';
import { plainView } from '../../model/plain.js';
import type { FlowState } from '../../model/state.js';
import { lenientUtf8, strictUtf8 } from '../../model/utf8.js';
import { validateFlowState } from '../../model/validate.js';
import type { Codec, Encoder, Release } from '../codec.js';
import { atRecord } from '../fault.js';
import { framedDecode } from '../framing.js';
import { isJsonSpace } from '../json-space.js';
import { linePieces } from './line.js';
import { fromJson } from './tagged-json.js';

export const VERSION = 1;
const FORMAT = `ndjson/${VERSION}`;
const NEWLINE = 0x0a;

function load(line: Uint8Array, position: InputPosition): FlowState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(line));
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
  return atRecord(position, () => {
    checkNesting(state, 'record');
    return validateFlowState(fromJson(state));
  });
}

const isBlank = (line: Uint8Array): boolean => line.every(isJsonSpace);

function checkLine(line: Uint8Array, position: InputPosition): void {
  if (line[line.findIndex((b) => !isJsonSpace(b))] !== 0x7b /* { */) {
    throw new CodecError(position, 'line does not start with "{"; not a flowtx NDJSON record');
  }
}

/**
 * A line is read as one string, which no runtime makes longer than MAX_STRING_LENGTH characters; no UTF-8
 * decoder makes more characters than bytes, so a line of at most that many bytes always fits. A longer one
 * fails as soon as that many bytes are buffered, not after the rest of the file was read to find its end.
 * (A line of more bytes but fewer characters, multi-byte text, is refused too: telling would take reading it.)
 */
export const MAX_LINE_BYTES = constants.MAX_STRING_LENGTH;

function tooLong(position: InputPosition, bytes: string, maxLine: number): CodecError {
  return new CodecError(position, `record of ${bytes} bytes is longer than the longest string this runtime makes (${maxLine} characters)`);
}

/** NDJSON's decode; `maxLine` is lowered by tests. */
export function decodeLines(chunks: AsyncIterable<Uint8Array>, origin: string, release?: Release, maxLine = MAX_LINE_BYTES): AsyncIterable<FlowRecord[]> {
  let scanned = 0; // bytes of the current line already searched for "\n"
  return framedDecode(chunks, release, {
    next(reader, index) {
      const end = reader.indexOfBuffered(NEWLINE, scanned);
      if (end < 0) {
        scanned = reader.buffered;
        if (scanned > maxLine) throw tooLong({ origin, index, offset: reader.offset }, `more than ${maxLine}`, maxLine);
        return undefined;
      }
      if (end > maxLine) throw tooLong({ origin, index, offset: reader.offset }, String(end), maxLine);
      scanned = 0;
      const position: InputPosition = { origin, index, offset: reader.offset };
      const raw = reader.take(end + 1);
      if (isBlank(raw)) return null;
      const line = raw.subarray(0, end);
      checkLine(line, position);
      return FlowRecord.read(position, raw, FORMAT, () => load(line, position));
    },
    end(reader, index) {
      // The last line has no "\n": it is complete only if it parses, else the input was cut off.
      const position: InputPosition = { origin, index, offset: reader.offset };
      const line = reader.take(reader.buffered);
      if (isBlank(line)) return undefined;
      checkLine(line, position);
      try {
        JSON.parse(lenientUtf8.decode(line));
      } catch {
        throw new CodecError(position, `truncated record: last line (${line.byteLength} bytes) ends mid-JSON`);
      }
      return FlowRecord.read(position, line, FORMAT, () => load(line, position));
    },
  });
}

function encoder(): Encoder {
  return {
    begin: () => [],
    encode(record) {
      if (record.pristine && record.format === FORMAT && record.raw![record.raw!.byteLength - 1] === NEWLINE) {
        return [record.raw!];
      }
      return linePieces({ flowtx: VERSION, ...plainView(Flow.state(record.flow)) });
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
  decode: (chunks, origin, release) => decodeLines(chunks, origin, release),
  encoder,
};
