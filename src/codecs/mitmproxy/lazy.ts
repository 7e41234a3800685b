// Lazily decoded HTTP flows of versions 17 … 21. Reading a record only finds where its fields lie; each
// field, part and message field is decoded when first read. Written back at the same version, whatever
// nobody read, or read and left unchanged, is copied from the file as it was, so a script that touches one
// header pays for one header and a filter on the method decodes the method. (Versions 17 … 21 differ only
// in the connections.)

import type { InputPosition } from '../../errors.js';
import { placeFault } from '../fault.js';
import type { FlowState } from '../../model/state.js';
import { isDict, Migration, setLegacy, legacyOf, type Dict } from './migrate.js';
import {
  fromMitmproxy,
  HTTP_PARTS,
  httpPartFrom,
  INT_PATHS,
  MEMBER_OF,
  REQUEST_FIELDS,
  RESPONSE_FIELDS,
  SHELL_FIELDS,
  toMitmproxy,
  type HttpPart,
} from './state.js';
import { DictBuilder, encodeToBuffer, encodeToPieces, KeyTable, parse, RawEntry, sameBytes, sameValue, Scanner, type BackWriter, type TValue } from './tnetstring.js';
import { atVersion, nullLeftOut, type Changed, type WritableVersion } from './versions.js';
import { adopt, attachmentOf, copiedFields, encodeFields, fieldTable, indexEntry, indexFields, lazyFields, peekOther, readAlready, UNDECODED, type Attachment, type FieldEntries, type RecordReading } from './lazy-fields.js';

const NULL_TAG = 0x7e;
const TEXT_TAG = 0x3b;
const PARTS = new Set<string>(HTTP_PARTS);
const SHELL = fieldTable(SHELL_FIELDS);
const MESSAGES = { request: fieldTable(REQUEST_FIELDS), response: fieldTable(RESPONSE_FIELDS) };
/**
 * Every key a version 17 … 21 HTTP flow has (a record with another is decoded whole), the shell's fields
 * first and in the shell's order: a record's entries by key are then also the shell's field entries.
 */
const FLOW_KEYS = new KeyTable([...SHELL_FIELDS.map((f) => f.key), 'version', ...HTTP_PARTS]);
const TYPE = FLOW_KEYS.keys.indexOf('type');
const RESPONSE = FLOW_KEYS.keys.indexOf('response');
const WEBSOCKET = FLOW_KEYS.keys.indexOf('websocket');
/** A record's entries before the scan finds them: copied per record, faster than filling a new array. */
const NO_ENTRIES: readonly number[] = new Array<number>(3 * FLOW_KEYS.keys.length).fill(-1);
/** Whether raw[from, to) is "http". */
const isHttp = (raw: Uint8Array, from: number, to: number): boolean =>
  to - from === 4 && raw[from] === 0x68 && raw[from + 1] === 0x74 && raw[from + 2] === 0x74 && raw[from + 3] === 0x70;

/**
 * A record read lazily: where its entries lie, and the parts decoded so far. Kept with the flow's state
 * (as the shell's attachment), it decodes each part on first use and tells encodeLazy what to copy.
 *
 * Its entries are found only as far as asked for. mitmproxy writes the type, the version, the WebSocket,
 * the response and the request first: a filter on the request or the response scans those and never the
 * rest of the record (connections, flags, timestamps), which cost it more than the filter itself. The
 * rest is scanned as soon as anything else is read, and when the flow is listed or written. Should that
 * scan meet a key no version 17 … 21 HTTP flow has, or a repeated one, the record is decoded whole (as
 * records found so from the start are) and the state takes that decoding's values for whatever was not
 * read yet, its extra keys included. (A request or response read before a repeat of its key was found
 * stays the first one: mitmproxy, whose dicts cannot repeat a key, never writes such records.)
 */
class LazyRecord implements Attachment, RecordReading {
  readonly scanner = new Scanner();
  /** The parts that were decoded whole, as the file held them. */
  readonly read: Dict = {};
  /** The flow's integer timestamps, found as its parts are decoded. */
  readonly ints = new Set<string>();
  readonly fault = (cause: unknown): unknown => placeFault(this.position, cause);
  /** FLOW_KEYS indices in file order, as far as scanned. */
  readonly order: number[] = [];
  /** Where the entry of FLOW_KEYS.keys[k] starts, where its value starts and where it ends: [3k, 3k + 3), or -1. */
  readonly entries: FieldEntries = NO_ENTRIES.slice();
  /** The flow's state (set once made: its parts are decoded by this record). */
  state: FlowState | undefined;
  /** The record decoded whole, when its keys turned out not to be an HTTP flow's (see above). */
  whole: FlowState | undefined;
  #connections: Dict | undefined;
  /** Where the next entry to scan starts. */
  #at: number;
  readonly #end: number;

  constructor(
    readonly raw: Uint8Array,
    bodyFrom: number,
    readonly version: number,
    readonly position: InputPosition,
  ) {
    this.#at = bodyFrom;
    this.#end = raw.byteLength - 1;
  }

  /**
   * Scans entries until key FLOW_KEYS.keys[k] is found (to the end for -1): false when one of them is no
   * HTTP flow's key, or a repeated one.
   */
  scanTo(k: number): boolean {
    const { raw, entries } = this;
    const end = this.#end;
    try {
      while (this.#at < end && (k < 0 || entries[3 * k]! < 0)) {
        // Top-level keys are text in every version read lazily.
        const found = indexEntry(this.scanner, FLOW_KEYS, raw, this.#at, end, entries, false);
        if (found < 0) return false;
        this.order.push(found);
        this.#at = entries[3 * found + 2]!;
      }
    } catch (cause) {
      throw this.fault(cause);
    }
    return true;
  }

  /** scanTo() once the state is made: a record that turns out not to be an HTTP flow's is decoded whole. */
  #find(k: number): void {
    if (this.whole === undefined && !this.scanTo(k)) this.#decodeWhole();
  }

  #decodeWhole(): void {
    this.#at = this.#end;
    try {
      this.whole = fromMitmproxy(new Migration().upgrade(parse(this.raw, 0, this.raw.byteLength, { floats: 'pyfloat' }) as Dict));
    } catch (cause) {
      throw this.fault(cause);
    }
    for (const path of (this.whole as { [INT_PATHS]?: Set<string> })[INT_PATHS] ?? []) this.ints.add(path);
    adopt(this.state!, this.whole);
  }

  complete(): void {
    if (this.#at < this.#end) this.#find(-1);
  }

  /** Whether the record has key FLOW_KEYS.keys[k] (scanning for it). */
  has(k: number): boolean {
    this.#find(k);
    return this.entries[3 * k]! >= 0;
  }

  /** Whether the value of key FLOW_KEYS.keys[k] is null (scanning for it). */
  isNull(k: number): boolean {
    return this.has(k) && this.raw[this.entries[3 * k + 2]! - 1] === NULL_TAG;
  }

  decodeOther(member: string): unknown {
    const key = PART_OF[member]!;
    const k = KEY_INDEX[key];
    this.#find(k);
    if (this.whole !== undefined) return (this.whole as unknown as Record<string, unknown>)[member];
    try {
      if (key === 'client_conn' || key === 'server_conn') return this.#connection(key);
      if (key === 'websocket') return this.#whole(key);
      const table = MESSAGES[key];
      const entries = this.has(k) ? indexFields(this.scanner, table, this.raw, this.entries[3 * k + 1]!, this.entries[3 * k + 2]!) : undefined;
      return entries === undefined ? this.#whole(key) : lazyFields(table, this, entries);
    } catch (cause) {
      throw this.fault(cause);
    }
  }

  #parse(key: HttpPart): TValue | undefined {
    const k = KEY_INDEX[key];
    if (!this.has(k)) return undefined;
    return (this.read[key] = parse(this.raw, this.entries[3 * k + 1]!, this.entries[3 * k + 2]!, { floats: 'pyfloat' }));
  }

  #whole(key: HttpPart): object {
    return httpPartFrom(key, this.#parse(key), this.ints) as object;
  }

  /** The connections are the only parts that differ between versions 17 and 21: migrated together. */
  #connection(key: 'client_conn' | 'server_conn'): object {
    if (this.#connections === undefined) {
      const conns: Dict = { version: this.version, type: 'http', client_conn: this.#parse('client_conn')!, server_conn: this.#parse('server_conn')! };
      this.#connections = new Migration().upgrade(conns);
      setLegacy(this.state!, { ...legacyOf(this.state!), ...legacyOf(this.#connections) });
    }
    return httpPartFrom(key, this.#connections[key], this.ints) as object;
  }
}

/** The mitmproxy key of each part's FlowState member, and each part's index in FLOW_KEYS. */
const PART_OF: Record<string, HttpPart> = Object.fromEntries(HTTP_PARTS.map((key) => [MEMBER_OF[key], key]));
const KEY_INDEX = Object.fromEntries(HTTP_PARTS.map((key) => [key, FLOW_KEYS.keys.indexOf(key)])) as Record<HttpPart, number>;

/**
 * The flow in `raw` (a version 17 … 21 record) with its fields decoded on demand; undefined when the record
 * is not an HTTP flow, or has keys of its own among its first entries (the caller decodes those whole;
 * later ones: see LazyRecord). Only the entries up to the type, response and WebSocket are found here.
 */
export function lazyHttpFlow(raw: Uint8Array, bodyFrom: number, version: number, position: InputPosition): FlowState | undefined {
  const record = new LazyRecord(raw, bodyFrom, version, position);
  // What the flow is made with: its type, and whether its response and WebSocket are there.
  if (!record.scanTo(TYPE) || !record.has(TYPE)) return undefined;
  const { scanner } = record;
  scanner.scan(raw, record.entries[3 * TYPE + 1]!, record.entries[3 * TYPE + 2]!);
  if (scanner.tag !== TEXT_TAG || !isHttp(raw, scanner.from, scanner.to)) return undefined;
  if (!record.scanTo(RESPONSE) || !record.scanTo(WEBSOCKET)) return undefined;
  // A missing response is decoded (to null) like a present one; a missing WebSocket is none.
  const parts: Record<string, unknown> = {
    clientConn: UNDECODED,
    serverConn: UNDECODED,
    request: UNDECODED,
    response: record.isNull(RESPONSE) ? null : UNDECODED,
    websocket: !record.has(WEBSOCKET) || record.isNull(WEBSOCKET) ? null : UNDECODED,
  };
  // The shell's fields are the first of FLOW_KEYS: the record's entries are the shell's too.
  const state = (record.state = lazyFields(SHELL, record, record.entries, parts, record) as FlowState);
  // The type is read: it is not parsed again when a filter or the Flow asks, and is copied when written.
  readAlready(state, 'type', 'http');
  return state;
}

/** The model value of the shell field stored under `key`. */
function shellValue(state: FlowState, key: string): unknown {
  const field = SHELL.fields[SHELL.keys.get(key)!]!;
  return (state as unknown as Record<string, unknown>)[field.member];
}

/**
 * The lazily decoded flow `state` written at `version`: undefined unless it was read at that very version.
 * What nobody read is copied from the file, and so is every entry, at the top level and one level into the
 * parts, whose value is unchanged. The rest is encoded as usual, in the file's key order, by `writer`;
 * `changed` collects what the version had to change (versions.ts).
 */
export function encodeLazy(state: FlowState, version: WritableVersion, writer: BackWriter, changed?: Changed): Uint8Array[] | undefined {
  const record = attachmentOf(state) as LazyRecord | undefined;
  if (record === undefined || record.version !== version) return undefined;
  record.complete();
  if (record.whole !== undefined) return undefined;
  const { raw, order, entries, read } = record;
  // Copied as they are: fields nobody read or changed, parts nobody used, parts null as in the file.
  // Requests and responses decoded field by field are written field by field.
  const copied = new Set<string>(copiedFields(state));
  const messages = new Map<string, { dict: Dict; unchanged: boolean }>();
  const part = (key: HttpPart): unknown => peekOther(state, MEMBER_OF[key]);
  // The connections are decoded together, and down-converted together.
  const connectionsUsed = part('client_conn') !== UNDECODED || part('server_conn') !== UNDECODED;
  for (const key of HTTP_PARTS) {
    const value = part(key);
    if (value === null || value === undefined) {
      if (value === null && record.isNull(KEY_INDEX[key])) copied.add(key);
      continue;
    }
    if (key === 'client_conn' || key === 'server_conn' ? !connectionsUsed : value === UNDECODED) {
      copied.add(key);
      continue;
    }
    const message = key === 'request' || key === 'response' ? encodeFields(value as object, writer) : undefined;
    if (message !== undefined) messages.set(key, message);
  }
  // Encoded anew only when something is neither copied nor written field by field (a null the version
  // leaves out is kept out, as the file did).
  const leftOut = nullLeftOut(version);
  const kept = (key: string): boolean =>
    copied.has(key) || messages.has(key) || (leftOut.includes(key) && !record.has(FLOW_KEYS.keys.indexOf(key)) && shellValue(state, key) === null);
  const fresh = SHELL_FIELDS.every((f) => kept(f.key)) && HTTP_PARTS.every(kept) ? undefined : atVersion(toMitmproxy(state, new Set([...copied, ...messages.keys()])), version, false, changed);
  // A field read (and so maybe changed) is copied when it encodes to the bytes the file has.
  const unchanged = (fresh: Dict, key: string, k: number): boolean =>
    SHELL.keys.has(key) ? sameBytes(encodeToBuffer(fresh[key]!, writer), raw, entries[3 * k + 1]!, entries[3 * k + 2]!) : sameValue(fresh[key], read[key]);
  // Entries in state order (the writer reverses them), following the file's order.
  const out = new DictBuilder(raw);
  if (fresh !== undefined) for (const key of Object.keys(fresh)) if (!record.has(FLOW_KEYS.keys.indexOf(key))) out.set(key, fresh[key]!);
  for (let i = order.length - 1; i >= 0; i--) {
    const k = order[i]!;
    const key = FLOW_KEYS.keys[k]!;
    const from = entries[3 * k]!;
    const to = entries[3 * k + 2]!;
    const message = messages.get(key);
    const inFresh = fresh !== undefined && key in fresh;
    if (message?.unchanged || (message === undefined && (copied.has(key) || key === 'version' || (inFresh && unchanged(fresh, key, k))))) out.copy(key, from, to);
    else if (message !== undefined) out.set(key, message.dict);
    else if (inFresh) out.set(key, PARTS.has(key) ? keepUnchanged(record.scanner, fresh[key]!, read[key], raw, entries[3 * k + 1]!, to) : fresh[key]!);
  }
  return encodeToPieces(out.done(), writer);
}

/** A changed part with the entries whose value did not change taken from `raw[from, to)`, where it was read. */
function keepUnchanged(s: Scanner, fresh: TValue, read: TValue | undefined, raw: Uint8Array, from: number, to: number): TValue {
  if (!isDict(fresh) || !isDict(read)) return fresh;
  const kept = new Map<string, RawEntry>();
  s.scan(raw, from, to);
  const end = s.to;
  for (let at = s.from; at < end; ) {
    const valueAt = s.scan(raw, at, end);
    const key = Buffer.from(raw.buffer, raw.byteOffset + s.from, s.to - s.from).toString('utf8');
    const next = s.scan(raw, valueAt, end);
    if (sameValue(fresh[key], read[key])) kept.set(key, new RawEntry(raw.subarray(at, next)));
    at = next;
  }
  const out: Dict = {};
  for (const key of Object.keys(fresh)) out[key] = kept.get(key) ?? fresh[key]!;
  return out;
}
