// Lazily decoded HTTP flows of versions 17 … 21. Reading a record only finds where its fields lie; each
// field, part and message field is decoded when first read. Written back at the same version, whatever
// nobody read, or read and left unchanged, is copied from the file as it was, so a script that touches one
// header pays for one header and a filter on the method decodes the method. (Versions 17 … 21 differ only
// in the connections.)

import { CodecError, SchemaError, type InputPosition } from '../../errors.js';
import type { FlowState } from '../../model/state.js';
import { isDict, Migration, MigrationError, setLegacy, legacyOf, type Dict } from './migrate.js';
import {
  HTTP_PARTS,
  httpPartFrom,
  MEMBER_OF,
  REQUEST_FIELDS,
  RESPONSE_FIELDS,
  SHELL_FIELDS,
  StateShapeError,
  toMitmproxy,
  type HttpPart,
} from './state.js';
import { DictBuilder, elementAt, encodeToBuffer, encodeToPieces, KeyTable, parse, RawEntry, sameBytes, sameValue, scan, scanned, TnetstringError, type TValue } from './tnetstring.js';
import { atVersion, nullLeftOut, type WritableVersion } from './versions.js';
import { attachmentOf, copiedFields, encodeFields, fieldTable, indexFields, lazyFields, othersOf, type FieldEntries } from './lazy-fields.js';
import { isLoaded, lazyObject } from './lazy-object.js';

interface LazyRecord {
  raw: Uint8Array;
  version: number;
  /** Top-level keys in file order. */
  order: string[];
  /** Where the entry of order[i] starts, where its value starts and where it ends: [3i, 3i + 3). */
  offsets: number[];
  /** The parts that were decoded whole, as the file held them. */
  read: Dict;
}

const NULL_TAG = 0x7e;
const TEXT_TAG = 0x3b;
const PARTS = new Set<string>(HTTP_PARTS);
const SHELL = fieldTable(SHELL_FIELDS);
const MESSAGES = { request: fieldTable(REQUEST_FIELDS), response: fieldTable(RESPONSE_FIELDS) };
/** Every key a version 17 … 21 HTTP flow has; a record with another is decoded whole. */
const FLOW_KEYS = new KeyTable(['version', ...SHELL_FIELDS.map((f) => f.key), ...HTTP_PARTS]);
/** Whether raw[from, to) is "http". */
const isHttp = (raw: Uint8Array, from: number, to: number): boolean =>
  to - from === 4 && raw[from] === 0x68 && raw[from + 1] === 0x74 && raw[from + 2] === 0x74 && raw[from + 3] === 0x70;

/** A fault met while decoding a record, as the typed error that names the record's place. */
export function recordFault(position: InputPosition, cause: unknown): Error {
  if (cause instanceof StateShapeError) return new SchemaError(position, cause.message, { cause });
  if (cause instanceof TnetstringError || cause instanceof MigrationError) return new CodecError(position, cause.message, { cause });
  return cause as Error;
}

/**
 * The flow in `raw` (a version 17 … 21 record) with its fields decoded on demand; undefined when the record
 * is not an HTTP flow, or has keys of its own (the caller decodes those whole).
 */
export function lazyHttpFlow(raw: Uint8Array, bodyFrom: number, version: number, position: InputPosition): FlowState | undefined {
  const bodyTo = raw.byteLength - 1;
  const order: string[] = [];
  const offsets: number[] = [];
  const shellEntries: FieldEntries = new Array<number>(3 * SHELL_FIELDS.length).fill(-1);
  let http = false;
  try {
    for (let at = bodyFrom; at < bodyTo; ) {
      const valueAt = scan(raw, at, bodyTo);
      const key = scanned.tag === TEXT_TAG ? FLOW_KEYS.match(raw, scanned.from, scanned.to) : undefined;
      const next = scan(raw, valueAt, bodyTo);
      if (key === undefined || order.includes(key)) return undefined;
      if (key === 'type') http = scanned.tag === TEXT_TAG && isHttp(raw, scanned.from, scanned.to);
      const i = SHELL.keys.get(key);
      if (i !== undefined) {
        shellEntries[3 * i] = at;
        shellEntries[3 * i + 1] = valueAt;
        shellEntries[3 * i + 2] = next;
      }
      order.push(key);
      offsets.push(at, valueAt, next);
      at = next;
    }
  } catch (cause) {
    throw recordFault(position, cause);
  }
  if (!http) return undefined;

  const fault = (cause: unknown): Error => recordFault(position, cause);
  const ints = new Set<string>();
  const read: Dict = {};
  // The parts are set below, once the state they belong to exists.
  const parts: Record<string, unknown> = { clientConn: null, serverConn: null, request: null, response: null, websocket: null };
  const record: LazyRecord = { raw, version, order, offsets, read };
  const state = lazyFields(SHELL, raw, shellEntries, ints, fault, parts, record) as FlowState;

  const valueOf = (key: string): [number, number] | undefined => {
    const i = order.indexOf(key);
    return i < 0 ? undefined : [offsets[3 * i + 1]!, offsets[3 * i + 2]!];
  };
  const parsePart = (key: HttpPart): TValue | undefined => {
    const value = valueOf(key);
    if (value === undefined) return undefined;
    return (read[key] = parse(raw, value[0], value[1], { floats: 'pyfloat' }));
  };
  const decoded = <T>(decode: () => T): T => {
    try {
      return decode();
    } catch (cause) {
      throw fault(cause);
    }
  };
  // Connections are the only parts that differ between versions 17 and 21: migrated together, on first use.
  let connections: Dict | undefined;
  const connection = (key: 'client_conn' | 'server_conn') => () =>
    decoded(() => {
      if (connections === undefined) {
        const conns: Dict = { version, type: 'http', client_conn: parsePart('client_conn')!, server_conn: parsePart('server_conn')! };
        connections = new Migration().upgrade(conns);
        setLegacy(state, { ...legacyOf(state), ...legacyOf(connections) });
      }
      return httpPartFrom(key, connections[key], ints) as object;
    });
  const whole = (key: HttpPart) => () => decoded(() => httpPartFrom(key, parsePart(key), ints) as object);
  // A message is indexed on first use (a script on responses never pays for the request's fields), then
  // decoded field by field; one of an unusual shape is decoded whole.
  const message = (key: 'request' | 'response'): object | null => {
    const value = valueOf(key);
    if (value !== undefined && key === 'response' && raw[value[1] - 1] === NULL_TAG) return null;
    return lazyObject(() => {
      const entries = value === undefined ? undefined : indexFields(MESSAGES[key], raw, value[0], value[1]);
      return entries === undefined ? whole(key)() : lazyFields(MESSAGES[key], raw, entries, ints, fault);
    });
  };
  const websocket = valueOf('websocket');
  parts.clientConn = lazyObject(connection('client_conn'));
  parts.serverConn = lazyObject(connection('server_conn'));
  parts.request = message('request');
  parts.response = message('response');
  parts.websocket = websocket === undefined || raw[websocket[1] - 1] === NULL_TAG ? null : lazyObject(whole('websocket'));
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
 * parts, whose value is unchanged. The rest is encoded as usual, in the file's key order.
 */
export function encodeLazy(state: FlowState, version: WritableVersion): Uint8Array[] | undefined {
  const record = attachmentOf(state) as LazyRecord | undefined;
  if (record === undefined || record.version !== version) return undefined;
  const { raw, order, offsets, read } = record;
  // Copied as they are: fields nobody read or changed, parts nobody used. Requests and responses decoded
  // field by field are written field by field.
  const copied = new Set<string>(copiedFields(state));
  const messages = new Map<string, { dict: Dict; unchanged: boolean }>();
  const parts = othersOf(state);
  const part = (key: HttpPart) => parts[MEMBER_OF[key]] as object | null | undefined;
  // The connections are decoded together, and down-converted together.
  const connectionsUsed = isLoaded(part('client_conn')!) || isLoaded(part('server_conn')!);
  // A part that is null as it was in the file is copied too.
  const nullInFile = (key: string): boolean => {
    const i = order.indexOf(key);
    return i >= 0 && raw[offsets[3 * i + 2]! - 1] === NULL_TAG;
  };
  for (const key of HTTP_PARTS) {
    const value = part(key);
    if (value === null || value === undefined) {
      if (value === null && nullInFile(key)) copied.add(key);
      continue;
    }
    if (key === 'client_conn' || key === 'server_conn' ? !connectionsUsed : !isLoaded(value)) {
      copied.add(key);
      continue;
    }
    const message = key === 'request' || key === 'response' ? encodeFields(value) : undefined;
    if (message !== undefined) messages.set(key, message);
  }
  // Encoded anew only when something is neither copied nor written field by field.
  // A null the version leaves out is kept out, as the file did.
  const leftOut = nullLeftOut(version);
  const kept = (key: string): boolean =>
    copied.has(key) || messages.has(key) || (leftOut.includes(key) && !order.includes(key) && shellValue(state, key) === null);
  const fresh = SHELL_FIELDS.every((f) => kept(f.key)) && HTTP_PARTS.every(kept) ? undefined : atVersion(toMitmproxy(state, new Set([...copied, ...messages.keys()])), version, false);
  // A field read (and so maybe changed) is copied when it encodes to the bytes the file has.
  const unchanged = (fresh: Dict, key: string, i: number): boolean =>
    SHELL.keys.has(key) ? sameBytes(encodeToBuffer(fresh[key]!), raw, offsets[3 * i + 1]!, offsets[3 * i + 2]!) : sameValue(fresh[key], read[key]);
  // Entries in state order (the writer reverses them), following the file's order.
  const out = new DictBuilder(raw);
  if (fresh !== undefined) for (const key of Object.keys(fresh)) if (!order.includes(key)) out.set(key, fresh[key]!);
  for (let i = order.length - 1; i >= 0; i--) {
    const key = order[i]!;
    const from = offsets[3 * i]!;
    const to = offsets[3 * i + 2]!;
    const message = messages.get(key);
    const inFresh = fresh !== undefined && key in fresh;
    if (message?.unchanged || (message === undefined && (copied.has(key) || key === 'version' || (inFresh && unchanged(fresh, key, i))))) out.copy(key, from, to);
    else if (message !== undefined) out.set(key, message.dict);
    else if (inFresh) out.set(key, PARTS.has(key) ? keepUnchanged(fresh[key]!, read[key], raw, offsets[3 * i + 1]!, to) : fresh[key]!);
  }
  return encodeToPieces(out.done());
}

/** A changed part with the entries whose value did not change taken from `raw[from, to)`, where it was read. */
function keepUnchanged(fresh: TValue, read: TValue | undefined, raw: Uint8Array, from: number, to: number): TValue {
  if (!isDict(fresh) || !isDict(read)) return fresh;
  const kept = new Map<string, RawEntry>();
  const [first, end] = elementAt(raw, from, to);
  for (let at = first; at < end; ) {
    const [keyFrom, keyTo, , valueAt] = elementAt(raw, at, end);
    const next = elementAt(raw, valueAt, end)[3];
    const key = Buffer.from(raw.buffer, raw.byteOffset + keyFrom, keyTo - keyFrom).toString('utf8');
    if (sameValue(fresh[key], read[key])) kept.set(key, new RawEntry(raw.subarray(at, next)));
    at = next;
  }
  const out: Dict = {};
  for (const key of Object.keys(fresh)) out[key] = kept.get(key) ?? fresh[key]!;
  return out;
}
