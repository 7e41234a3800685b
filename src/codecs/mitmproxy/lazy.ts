// Lazily decoded HTTP flows of versions 17 … 21. Only the small top-level fields are parsed up front; the
// connections, request, response and WebSocket data are parsed when first read. Written back at the same
// version, a part nobody read is copied from the file as it was, so a script that touches one header pays
// for one response, not for the whole flow. (Versions 17 … 21 differ only in the connections.)

import { CodecError, SchemaError, type InputPosition } from '../../errors.js';
import type { FlowState } from '../../model/state.js';
import { isDict, Migration, MigrationError, setLegacy, legacyOf, type Dict } from './migrate.js';
import { flowShellFrom, HTTP_PARTS, httpPartFrom, MEMBER_OF, StateShapeError, toMitmproxy, type HttpPart } from './state.js';
import { elementAt, encodeToPieces, parse, RawEntry, sameValue, TnetstringError, type TValue } from './tnetstring.js';
import { atVersion, type WritableVersion } from './versions.js';
import { encodeMessage, lazyMessage } from './lazy-message.js';

const LAZY = Symbol('mitmproxy lazy record');

interface LazyRecord {
  raw: Uint8Array;
  version: number;
  /** Top-level keys in file order. */
  order: string[];
  /** Where each top-level entry (key and value) lies in `raw`, and where its value starts. */
  entries: Map<string, [from: number, valueAt: number, to: number]>;
  /** The top-level values as read: the small fields, and the parts that were decoded. */
  read: Dict;
  /** Parts that were read (and so may have changed). */
  decoded: Set<HttpPart>;
}

const PARTS = new Set<string>(HTTP_PARTS);

/** A fault met while decoding a record, as the typed error that names the record's place. */
export function recordFault(position: InputPosition, cause: unknown): Error {
  if (cause instanceof StateShapeError) return new SchemaError(position, cause.message, { cause });
  if (cause instanceof TnetstringError || cause instanceof MigrationError) return new CodecError(position, cause.message, { cause });
  return cause as Error;
}

/**
 * The flow in `raw` (a version 17 … 21 record) with its parts decoded on demand; undefined when the record
 * is not an HTTP flow (the caller decodes those whole).
 */
export function lazyHttpFlow(raw: Uint8Array, bodyFrom: number, version: number, position: InputPosition): FlowState | undefined {
  const bodyTo = raw.byteLength - 1;
  const order: string[] = [];
  const entries = new Map<string, [number, number, number]>();
  const shell: Dict = {};
  try {
    for (let at = bodyFrom; at < bodyTo; ) {
      const [, , , valueAt] = elementAt(raw, at, bodyTo);
      const [, , , next] = elementAt(raw, valueAt, bodyTo);
      const parsedKey = parse(raw, at, valueAt);
      if (typeof parsedKey !== 'string') throw new TnetstringError('not a flow: a top-level key is not text');
      const key = parsedKey;
      order.push(key);
      entries.set(key, [at, valueAt, next]);
      if (!PARTS.has(key)) shell[key] = parse(raw, valueAt, next, { floats: 'pyfloat' });
      at = next;
    }
  } catch (cause) {
    throw recordFault(position, cause);
  }
  if (shell.type !== 'http') return undefined;

  const ints = new Set<string>();
  let state: FlowState;
  try {
    state = flowShellFrom(shell, ints);
  } catch (cause) {
    throw recordFault(position, cause);
  }
  const record: LazyRecord = { raw, version, order, entries, read: shell, decoded: new Set() };
  Object.defineProperty(state, LAZY, { value: record, enumerable: false });

  const values = new Map<HttpPart, unknown>();
  const parsePart = (key: HttpPart): TValue | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    const value = parse(raw, entry[1], entry[2], { floats: 'pyfloat' });
    shell[key] = value;
    return value;
  };
  const decode = (key: HttpPart): void => {
    try {
      if (key === 'client_conn' || key === 'server_conn') {
        // Connections are the only parts that differ between versions 17 and 21: migrate them together.
        const conns: Dict = { version, type: 'http', client_conn: parsePart('client_conn')!, server_conn: parsePart('server_conn')! };
        const upgraded = new Migration().upgrade(conns);
        setLegacy(state, { ...legacyOf(state), ...legacyOf(upgraded) });
        for (const conn of ['client_conn', 'server_conn'] as const) {
          values.set(conn, httpPartFrom(conn, upgraded[conn], ints));
          record.decoded.add(conn);
        }
      } else {
        const entry = entries.get(key);
        const message =
          (key === 'request' || key === 'response') && entry !== undefined
            ? lazyMessage(key, raw, entry[1], entry[2], ints, (cause) => recordFault(position, cause))
            : undefined;
        values.set(key, message !== undefined ? message : httpPartFrom(key, parsePart(key), ints));
        record.decoded.add(key);
      }
    } catch (cause) {
      throw recordFault(position, cause);
    }
  };
  for (const key of HTTP_PARTS) {
    Object.defineProperty(state, MEMBER_OF[key], {
      enumerable: true,
      configurable: true,
      get() {
        if (!values.has(key)) decode(key);
        return values.get(key);
      },
      set(value: unknown) {
        if (key === 'client_conn' || key === 'server_conn') {
          if (!record.decoded.has(key)) decode(key);
        }
        values.set(key, value);
        record.decoded.add(key);
      },
    });
  }
  return state;
}

/**
 * The lazily decoded flow `state` written at `version`: undefined unless it was read at that very version.
 * Parts nobody read are copied from the file, and so is every entry, at the top level and one level into
 * the parts, whose value is unchanged: a flow with one header added costs that header's part, not its body.
 * The rest is encoded as usual, in the file's key order.
 */
export function encodeLazy(state: FlowState, version: WritableVersion): Uint8Array[] | undefined {
  const record = (state as FlowState & { [LAZY]?: LazyRecord })[LAZY];
  if (record === undefined || record.version !== version) return undefined;
  const { raw, entries, read } = record;
  const untouched = new Set<string>(HTTP_PARTS.filter((key) => !record.decoded.has(key)));
  // Requests and responses decoded field by field are written field by field.
  const messages = new Map<string, ReturnType<typeof encodeMessage>>();
  for (const key of ['request', 'response'] as const) {
    const message = record.decoded.has(key) ? state[key] : null;
    const encoded = message === null || message === undefined ? undefined : encodeMessage(message);
    if (encoded !== undefined) messages.set(key, encoded);
  }
  const fresh = atVersion(toMitmproxy(state, new Set([...untouched, ...messages.keys()])), version, false);
  // Entries in state order (the writer reverses them), following the file's order.
  const out: Dict = {};
  for (const key of Object.keys(fresh)) if (!entries.has(key)) out[key] = fresh[key]!;
  for (let i = record.order.length - 1; i >= 0; i--) {
    const key = record.order[i]!;
    const [from, valueAt, to] = entries.get(key)!;
    const message = messages.get(key);
    if (message !== undefined) out[key] = message.unchanged ? new RawEntry(raw.subarray(from, to)) : message.dict;
    else if (untouched.has(key) || sameValue(fresh[key], read[key])) out[key] = new RawEntry(raw.subarray(from, to));
    else if (key in fresh) out[key] = PARTS.has(key) ? keepUnchanged(fresh[key]!, read[key], raw, valueAt, to) : fresh[key]!;
  }
  return encodeToPieces(out);
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
