// Splits a HAR document into its entries as bytes arrive, whatever the key order of `log`. stream-json
// parses the envelope (everything but the entries) and says where `log.entries` opens; inside that array
// each entry's end is guessed from the layout and confirmed by JSON.parse, or else found by a byte scanner
// that only tracks strings and nesting, and JSON.parse reads the entry (stream-json's token stream is about
// 40 MiB/s; this path is several times faster). Holds one entry and the envelope, never the whole file,
// and no byte of a chunk once `push` returns but in the entries it handed out (so the chunk can be read
// into again once they are consumed). Pure: bytes in, entries out.

import { constants, isUtf8 } from 'node:buffer';
import { Assembler } from 'stream-json/core/assembler.js';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import { CodecError, type InputPosition } from '../../errors.js';
import { streamingUtf8 } from '../../model/utf8.js';
import { isJsonSpace as isSpace } from '../json-space.js';
import { isObject, type Json, type JsonObject } from './json-patch.js';
import type { EntryContext } from './entry-to-flow.js';

export interface SplitEntry {
  position: InputPosition;
  /** The entry's bytes, from "{" to "}". */
  raw: Uint8Array;
  value: Json;
  /** Envelope parts this entry's flow carries; complete when the entry is handed out. */
  context: EntryContext;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** What a byte outside strings does inside an entry: nothing (0), opens a string, opens or closes a nesting. */
const [STRING, OPEN, CLOSE] = [1, 2, 3];
const KIND = new Uint8Array(256);
KIND[QUOTE] = STRING;
KIND[0x7b] = KIND[0x5b] = OPEN;
KIND[0x7d] = KIND[0x5d] = CLOSE;
/** Bytes of a string scanned one by one before looking for its end with indexOf. */
const SHORT_STRING = 24;

type Mode = 'envelope' | 'entries' | 'entry' | 'after';

export class HarSplitter {
  readonly #origin: string;
  #mode: Mode = 'envelope';
  /** Absolute offset of the first byte of the next chunk. */
  #offset = 0;
  #index = 0;
  // String state, carried across chunks.
  #inString = false;
  #escaped = false;
  // The envelope, as stream-json sees it.
  readonly #parser = jsonParser({ packValues: true, streamValues: false });
  readonly #asm = new Assembler();
  readonly #text = streamingUtf8();
  /** Envelope bytes of earlier chunks not yet fed (a piece is fed when a structural character ends it). */
  #pending: Uint8Array[] = [];
  // The entries array and the entry being read.
  #afterEntry = false;
  #afterComma = false;
  #depth = 0;
  #entryStart = 0;
  #entryParts: Uint8Array[] = [];
  /** Whether entries' ends are guessed from the layout (#guessed) before the scanner runs. */
  #guessing = true;
  /** The log fields seen before the first entry, and the pages by id, for the flows' contexts. */
  #head: JsonObject | undefined;
  /** The top-level members other than `log` seen before the first entry (`_comment`, …). */
  #root: JsonObject = {};
  #pages = new Map<string, JsonObject>();
  /** The last entry read, held until the next one (or the end) shows whether log fields follow it. */
  #held: SplitEntry | undefined;
  /** Whether #held's bytes are still a view of the chunk being pushed. */
  #heldInChunk = false;

  /** The longest entry read, in bytes: no UTF-8 decoder makes more characters than bytes. Lowered by tests. */
  readonly #maxEntry: number;

  constructor(origin: string, maxEntry = constants.MAX_STRING_LENGTH) {
    this.#origin = origin;
    this.#maxEntry = maxEntry;
  }

  #fault(reason: string, offset: number): CodecError {
    return new CodecError({ origin: this.#origin, index: this.#index, offset }, reason);
  }

  /**
   * The entries completed by `chunk`; the last one is held back until the next entry or the end. After a
   * fault (then in `fault`) the held entry is handed out too: every complete entry before a fault counts.
   */
  push(chunk: Uint8Array): SplitEntry[] {
    const out: SplitEntry[] = [];
    if (this.fault !== undefined) return out;
    try {
      this.#scan(chunk, out);
    } catch (cause) {
      if (!(cause instanceof CodecError)) throw cause;
      this.fault = cause;
      this.#release(out);
    }
    return out;
  }

  /** The first fault in the input, once met. */
  fault: CodecError | undefined = undefined;

  #release(out: SplitEntry[]): void {
    if (this.#held !== undefined) out.push(this.#held);
    this.#held = undefined;
  }

  #scan(chunk: Uint8Array, out: SplitEntry[]): void {
    // A UTF-8 byte-order mark needs nothing here: it is envelope text, and TextDecoder drops it.
    let i = 0;
    let segment = 0; // start of the envelope bytes not yet fed to stream-json
    const end = chunk.byteLength;
    while (i < end) {
      if (this.#mode === 'entry') {
        i = this.#scanEntry(chunk, i, out);
        segment = i;
        continue;
      }
      const b = chunk[i]!;
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (b === BACKSLASH) this.#escaped = true;
        else if (b === QUOTE) this.#inString = false;
        i++;
        continue;
      }
      if (this.#mode === 'entries') {
        i = this.#betweenEntries(chunk, i, b);
        segment = i;
        continue;
      }
      if (this.#mode === 'after') {
        if (!isSpace(b)) throw this.#fault('unexpected data after the HAR document', this.#offset + i);
        i++;
        continue;
      }
      i++;
      if (b === QUOTE) this.#inString = true;
      else if (b === 0x7b || b === 0x5b || b === 0x7d || b === 0x5d || b === 0x2c || b === 0x3a) {
        this.#feed(chunk.subarray(segment, i), this.#offset + i - 1);
        segment = i;
      }
    }
    // What outlives this chunk is copied out of it: a piece of envelope or entry, and the held entry.
    if (this.#mode === 'envelope' && segment < end) this.#pending.push(copy(chunk, segment, end));
    if (this.#mode === 'entry' && this.#entryStart < this.#offset + end) {
      // An entry is parsed from one string: one longer than a string can be fails here, where it starts,
      // not once the whole of it was read and held.
      const read = this.#offset + end - this.#entryStart;
      if (read > this.#maxEntry) {
        throw this.#fault(`entry of more than ${this.#maxEntry} bytes is longer than the longest string this runtime makes (${this.#maxEntry} characters)`, this.#entryStart);
      }
      this.#entryParts.push(copy(chunk, Math.max(0, this.#entryStart - this.#offset), end));
    }
    if (this.#heldInChunk) {
      const held = this.#held!;
      held.raw = copy(held.raw, 0, held.raw.byteLength);
      this.#heldInChunk = false;
    }
    this.#offset += end;
  }

  /** The held entry, once the input has ended, with the log fields that came after the entries. */
  end(): SplitEntry[] {
    const out: SplitEntry[] = [];
    if (this.fault !== undefined || this.#offset === 0) return out;
    if (this.#mode !== 'after') {
      this.fault =
        this.#mode === 'entry'
          ? this.#fault(`truncated HAR: the input ends inside entry #${this.#index}`, this.#entryStart)
          : this.#fault('truncated HAR: the input ends before the document is complete', this.#offset);
      this.#release(out);
      return out;
    }
    const held = this.#held;
    if (held === undefined) return out;
    this.#held = undefined;
    const { log, root } = this.envelope()!;
    const late = without(log, this.#head ?? {});
    const lateRoot = without(root ?? {}, this.#root);
    if (Object.keys(late).length > 0) held.context.log = { ...held.context.log, ...late };
    if (Object.keys(lateRoot).length > 0) held.context.root = { ...held.context.root, ...lateRoot };
    return [held];
  }

  /**
   * The document but its entries, once the input ended whole (else undefined): what an output of the same
   * format writes when no flow brings it (a HAR with no entries, or none that passed a filter).
   */
  envelope(): Required<Pick<EntryContext, 'log'>> & Pick<EntryContext, 'root'> | undefined {
    if (this.#mode !== 'after' || this.fault !== undefined) return undefined;
    const { log, ...root } = this.#asm.current as JsonObject;
    return { log: without(log as JsonObject, { entries: null }), ...(Object.keys(root).length > 0 ? { root } : {}) };
  }

  /**
   * Feeds envelope bytes up to a structural character (at offset `at`) to stream-json and checks the shape
   * of what it assembled. Pieces always end at such a character, whatever the chunks, so a fault is
   * reported at the same offset however the input arrives.
   */
  #feed(bytes: Uint8Array, at: number): void {
    const pending = this.#pending;
    this.#pending = [];
    let text: string;
    try {
      text = pending.map((b) => this.#text.decode(b, { stream: true })).join('') + this.#text.decode(bytes, { stream: true });
    } catch {
      throw this.#fault('the HAR is not valid UTF-8', at);
    }
    let tokens: unknown;
    try {
      tokens = this.#parser(text);
    } catch (cause) {
      throw this.#fault(`not valid JSON: ${(cause as Error).message}`, at);
    }
    if (tokens !== null && typeof tokens === 'object' && Array.isArray((tokens as { values?: unknown }).values)) {
      for (const token of (tokens as { values: Token[] }).values) this.#token(token, at);
    }
  }

  #token(token: Token, at: number): void {
    const asm = this.#asm;
    const depth = asm.depth;
    const starts = token.name === 'startObject' || token.name === 'startArray';
    const isValue = starts || (token.name.endsWith('Value') && token.name !== 'keyValue');
    if (depth === 0 && token.name !== 'startObject') throw this.#fault('not a HAR: the document is not a JSON object', at);
    // Members beside `log` (annotated captures' `_comment`, `_expected`, …; the HAR 1.2 schema allows them)
    // are kept with the envelope.
    if (depth === 1 && isValue && asm.key === 'log' && token.name !== 'startObject') throw this.#fault(`not a HAR: "log" is ${tokenKind(token)}, expected an object`, at);
    if (depth === 2 && isValue && asm.stack[1] === 'log' && asm.key === 'entries' && token.name !== 'startArray') {
      throw this.#fault(`not a HAR: "log.entries" is ${tokenKind(token)}, expected a list`, at);
    }
    asm.consume(token);
    if (token.name === 'startArray' && depth === 2 && asm.path.length === 2 && asm.path[0] === 'log' && asm.path[1] === 'entries') {
      this.#enterEntries();
    }
    if (asm.done) {
      const document = asm.current as JsonObject;
      if (!isObject(document.log)) {
        const keys = Object.keys(document).map((k) => JSON.stringify(k)).join(', ');
        throw this.#fault(`not a HAR: no "log" object at the top level${keys === '' ? '' : ` (its keys: ${keys})`}`, at);
      }
      this.#mode = 'after';
    }
  }

  #enterEntries(): void {
    this.#mode = 'entries';
    this.#afterEntry = false;
    this.#afterComma = false;
    if (this.#head !== undefined) return; // a second "entries" key: its entries follow the first's
    const log = this.#asm.stack[2] as JsonObject;
    this.#head = without(log, { entries: null });
    this.#root = without(this.#asm.stack[0] as JsonObject, { log: null });
    if (Array.isArray(this.#head.pages)) {
      for (const page of this.#head.pages) if (isObject(page) && typeof page.id === 'string') this.#pages.set(page.id, page);
    }
  }

  /** Between entries: whitespace, ",", "]" or the "{" of the next entry. Returns the next position. */
  #betweenEntries(chunk: Uint8Array, i: number, b: number): number {
    const at = this.#offset + i;
    if (isSpace(b)) return i + 1;
    if (b === 0x2c && this.#afterEntry) {
      this.#afterEntry = false;
      this.#afterComma = true;
      return i + 1;
    }
    if (b === 0x5d && !this.#afterComma) {
      this.#mode = 'envelope';
      this.#feed(chunk.subarray(i, i + 1), at);
      return i + 1;
    }
    if (b === 0x7b && !this.#afterEntry) {
      this.#mode = 'entry';
      this.#entryStart = at;
      this.#entryParts = [];
      this.#depth = 0;
      return i;
    }
    if (this.#afterEntry) throw this.#fault('expected "," or "]" after an entry', at);
    throw this.#fault(b === 0x5d ? 'expected an entry after ","' : `entry is not a JSON object (starts with ${JSON.stringify(String.fromCharCode(b))})`, at);
  }

  /**
   * Scans an entry from `i`; on its closing "}" hands it on and returns the position after it. The state
   * lives in locals while scanning. A string is first scanned byte by byte (names and most values end within
   * a few bytes, sooner than a call to indexOf returns), then, when long (a body), by indexOf for its quote.
   */
  #scanEntry(chunk: Uint8Array, from: number, out: SplitEntry[]): number {
    if (this.#guessing && this.#entryStart === this.#offset + from) {
      const raw = this.#guessed(chunk, from);
      let value: Json | undefined;
      if (raw !== undefined && isUtf8(raw)) {
        try {
          value = parse(raw);
        } catch {
          this.#guessing = false;
        }
      }
      if (value !== undefined) {
        this.#complete(raw!, value, true, out);
        return from + raw!.byteLength;
      }
    }
    const end = chunk.byteLength;
    let i = from;
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    while (i < end) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
        }
        const short = Math.min(end, i + SHORT_STRING);
        let b = 0;
        while (i < short) {
          b = chunk[i]!;
          if (b === QUOTE || b === BACKSLASH) break;
          i++;
        }
        if (i < short) {
          i++;
          if (b === QUOTE) inString = false;
          else escaped = true;
          continue;
        }
        if (i === end) break;
        const quote = chunk.indexOf(QUOTE, i);
        const stop = quote < 0 ? end : quote;
        let run = 0;
        while (stop - run - 1 >= i && chunk[stop - run - 1] === BACKSLASH) run++;
        if (quote < 0) {
          escaped = run % 2 === 1;
          i = end;
          break;
        }
        i = quote + 1;
        if (run % 2 === 0) inString = false;
        continue;
      }
      const b = chunk[i++]!;
      const kind = KIND[b]!;
      if (kind === 0) continue;
      if (kind === STRING) inString = true;
      else if (kind === OPEN) depth++;
      else {
        if (--depth === 0) {
          this.#depth = 0;
          this.#inString = false;
          this.#escaped = false;
          if (b === 0x5d) throw this.#fault('entry has unbalanced brackets', this.#entryStart);
          this.#completeScanned(chunk, i, out);
          return i;
        }
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return i;
  }

  /** The entry that ends at `endInChunk`, found by the scanner: checked, parsed and handed on. */
  #completeScanned(chunk: Uint8Array, endInChunk: number, out: SplitEntry[]): void {
    const startInChunk = this.#entryStart - this.#offset;
    const inChunk = startInChunk >= 0;
    const raw = inChunk ? chunk.subarray(startInChunk, endInChunk) : Buffer.concat([...this.#entryParts, chunk.subarray(0, endInChunk)]);
    // The parts are in `raw` now: let them go before the entry is decoded and parsed (a copy each).
    this.#entryParts = [];
    if (!isUtf8(raw)) throw this.#fault('entry is not valid UTF-8', this.#entryStart);
    let value: Json;
    try {
      value = parse(raw);
    } catch (cause) {
      throw this.#fault(`entry is not valid JSON: ${(cause as Error).message}`, this.#entryStart);
    }
    this.#complete(raw, value, inChunk, out);
  }

  /**
   * The entry starting at `from` (its "{") when the layout tells where it ends and JSON.parse agrees; else
   * undefined, and the scanner reads it. HARs are written pretty-printed (browsers: the entry's "}" starts
   * a line, indented as its "{" is) or one entry per line (flowtx), and JSON strings hold no raw line
   * break, so either end is found with a memchr for "\n" or "}" (a multi-byte indexOf is several times
   * slower: a line break starts every line). The guess needs no check of its own: bytes from "{" to "}"
   * that parse as one JSON value end where the entry ends. A guess that fails to parse stops guessing for
   * the rest of the input (its layout is neither), so the failed parse is paid once.
   */
  #guessed(chunk: Uint8Array, from: number): Uint8Array | undefined {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let line = from;
    while (line > 0 && (bytes[line - 1] === 0x20 || bytes[line - 1] === 0x09)) line--;
    if (line === 0 || bytes[line - 1] !== 0x0a) return undefined;
    const lineEnd = bytes.indexOf(0x0a, from);
    if (lineEnd < 0) return undefined;
    let end = lineEnd;
    while (end > from && isSpace(bytes[end - 1]!)) end--;
    if (bytes[end - 1] === 0x2c) end--;
    if (end - 1 > from && bytes[end - 1] === 0x7d) return chunk.subarray(from, end);
    const indent = from - line;
    for (let close = bytes.indexOf(0x7d, lineEnd); close >= 0; close = bytes.indexOf(0x7d, close + 1)) {
      if (bytes[close - indent - 1] === 0x0a && sameBytes(bytes, close - indent, line, indent)) return chunk.subarray(from, close + 1);
    }
    return undefined;
  }

  /** The entry completed, as JSON `value` from bytes `raw`: handed on with its context, the next awaited. */
  #complete(raw: Uint8Array, value: Json, inChunk: boolean, out: SplitEntry[]): void {
    this.#entryParts = [];
    const position: InputPosition = { origin: this.#origin, index: this.#index, offset: this.#entryStart };
    const entry: SplitEntry = { position, raw, value, context: {} };
    const pageref = isObject(value) ? value.pageref : undefined;
    const page = typeof pageref === 'string' ? this.#pages.get(pageref) : undefined;
    if (page !== undefined) entry.context.page = page;
    if (this.#index === 0 && this.#head !== undefined) entry.context.log = this.#head;
    if (this.#index === 0 && Object.keys(this.#root).length > 0) entry.context.root = this.#root;
    if (this.#held !== undefined) out.push(this.#held);
    this.#held = entry;
    // Only a view of the chunk is copied when the chunk is done with; an entry put together from the parts
    // of several chunks has its own memory already (a large one would be held twice).
    this.#heldInChunk = inChunk;
    this.#index++;
    this.#mode = 'entries';
    this.#afterEntry = true;
    this.#afterComma = false;
  }
}

/** The members of `o` whose keys `other` lacks. */
const without = (o: JsonObject, other: object): JsonObject => Object.fromEntries(Object.entries(o).filter(([k]) => !Object.hasOwn(other, k)));

const parse = (raw: Uint8Array): Json => JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')) as Json;

/** Bytes `start` to `end` of `bytes` in memory of their own (a Buffer's slice would be a view). */
const copy = (bytes: Uint8Array, start: number, end: number): Uint8Array => Uint8Array.prototype.slice.call(bytes, start, end);

function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

function tokenKind(token: Token): string {
  switch (token.name) {
    case 'startArray':
      return 'a list';
    case 'startObject':
      return 'an object';
    case 'stringValue':
      return 'a string';
    case 'numberValue':
      return 'a number';
    case 'nullValue':
      return 'null';
    default:
      return 'a boolean';
  }
}
