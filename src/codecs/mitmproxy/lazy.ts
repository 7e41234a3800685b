// Lazily decoded HTTP flows of versions 17 … 21. Only the small top-level fields are parsed up front; the
// connections, request, response and WebSocket data are parsed when first read. Written back at the same
// version, a part nobody read is copied from the file as it was, so a script that touches one header pays
// for one response, not for the whole flow. (Versions 17 … 21 differ only in the connections.)

import { CodecError, SchemaError, type InputPosition } from '../../errors.js';
import type { FlowState } from '../../model/state.js';
import { isDict, Migration, MigrationError, setLegacy, legacyOf, type Dict } from './migrate.js';
import { flowShellFrom, HTTP_PARTS, SHELL_KEYS, httpPartFrom, MEMBER_OF, StateShapeError, toMitmproxy, type HttpPart } from './state.js';
import { DictBuilder, elementAt, encodeToPieces, KeyTable, parse, RawEntry, sameValue, scan, scanned, TnetstringError, type TValue } from './tnetstring.js';
import { atVersion, type WritableVersion } from './versions.js';
import { encodeMessage, lazyMessage } from './lazy-message.js';
import { isLoaded, lazyObject } from './lazy-object.js';

interface LazyRecord {
  raw: Uint8Array;
  version: number;
  /** Top-level keys in file order. */
  order: string[];
  /** Where the entry of order[i] starts, where its value starts and where it ends: [3i, 3i + 3). */
  offsets: number[];
  /** The top-level values as read: the small fields, and the parts that were decoded whole. */
  read: Dict;
}

const LAZY = Symbol('mitmproxy lazy record');
const PARTS = new Set<string>(HTTP_PARTS);
const NULL_TAG = 0x7e;
const TEXT_TAG = 0x3b;
const FLOW_KEYS = new KeyTable([...SHELL_KEYS, ...HTTP_PARTS]);

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
  const offsets: number[] = [];
  const shell: Dict = {};
  try {
    for (let at = bodyFrom; at < bodyTo; ) {
      const valueAt = scan(raw, at, bodyTo);
      const known = scanned.tag === TEXT_TAG ? FLOW_KEYS.match(raw, scanned.from, scanned.to) : undefined;
      const next = scan(raw, valueAt, bodyTo);
      const key = known ?? parse(raw, at, valueAt);
      if (typeof key !== 'string') throw new TnetstringError('not a flow: a top-level key is not text');
      order.push(key);
      offsets.push(at, valueAt, next);
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
  const record: LazyRecord = { raw, version, order, offsets, read: shell };
  const valueOf = (key: string): [number, number] | undefined => {
    const i = order.indexOf(key);
    return i < 0 ? undefined : [offsets[3 * i + 1]!, offsets[3 * i + 2]!];
  };
  Object.defineProperty(state, LAZY, { value: record });

  const parsePart = (key: HttpPart): TValue | undefined => {
    const value = valueOf(key);
    if (value === undefined) return undefined;
    const parsed = parse(raw, value[0], value[1], { floats: 'pyfloat' });
    shell[key] = parsed;
    return parsed;
  };
  const decoded = <T>(decode: () => T): T => {
    try {
      return decode();
    } catch (cause) {
      throw recordFault(position, cause);
    }
  };
  // Connections are the only parts that differ between versions 17 and 21: migrated together, on first use.
  let connections: Dict | undefined;
  const connection = (key: 'client_conn' | 'server_conn') => () =>
    decoded(() => {
      if (connections === undefined) {
        const read: Dict = { version, type: 'http', client_conn: parsePart('client_conn')!, server_conn: parsePart('server_conn')! };
        connections = new Migration().upgrade(read);
        setLegacy(state, { ...legacyOf(state), ...legacyOf(connections) });
      }
      return httpPartFrom(key, connections[key], ints) as object;
    });
  const whole = (key: HttpPart) => () => decoded(() => httpPartFrom(key, parsePart(key), ints) as object);
  const isNull = (key: HttpPart): boolean => {
    const value = valueOf(key);
    return value === undefined || raw[value[1] - 1] === NULL_TAG;
  };
  const message = (key: 'request' | 'response') => {
    const value = valueOf(key);
    const lazy = value === undefined ? undefined : lazyMessage(key, raw, value[0], value[1], ints, (cause) => recordFault(position, cause));
    return lazy !== undefined ? lazy : lazyObject(whole(key));
  };
  state.clientConn = lazyObject(connection('client_conn')) as FlowState['clientConn'];
  state.serverConn = lazyObject(connection('server_conn')) as FlowState['serverConn'];
  state.request = message('request') as FlowState['request'];
  state.response = message('response') as FlowState['response'];
  state.websocket = isNull('websocket') ? null : (lazyObject(whole('websocket')) as FlowState['websocket']);
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
  const { raw, order, offsets, read } = record;
  // Parts nobody used are copied; requests and responses decoded field by field are written field by field.
  const untouched = new Set<string>();
  const messages = new Map<string, { dict: Dict; unchanged: boolean }>();
  const parts = state as unknown as Record<string, object | null | undefined>;
  // The connections are decoded together, and down-converted together.
  const connectionsUsed = isLoaded(parts.clientConn!) || isLoaded(parts.serverConn!);
  for (const key of HTTP_PARTS) {
    const part = parts[MEMBER_OF[key]];
    if (part === null || part === undefined) continue;
    if (key === 'client_conn' || key === 'server_conn' ? !connectionsUsed : !isLoaded(part)) {
      untouched.add(key);
      continue;
    }
    const message = key === 'request' || key === 'response' ? encodeMessage(part) : undefined;
    if (message !== undefined) messages.set(key, message);
  }
  const fresh = atVersion(toMitmproxy(state, new Set([...untouched, ...messages.keys()])), version, false);
  // Entries in state order (the writer reverses them), following the file's order.
  const out = new DictBuilder(raw);
  for (const key of Object.keys(fresh)) if (!order.includes(key)) out.set(key, fresh[key]!);
  for (let i = order.length - 1; i >= 0; i--) {
    const key = order[i]!;
    const from = offsets[3 * i]!;
    const to = offsets[3 * i + 2]!;
    const message = messages.get(key);
    if (message?.unchanged || (message === undefined && (untouched.has(key) || sameValue(fresh[key], read[key])))) out.copy(key, from, to);
    else if (message !== undefined) out.set(key, message.dict);
    else if (key in fresh) out.set(key, PARTS.has(key) ? keepUnchanged(fresh[key]!, read[key], raw, offsets[3 * i + 1]!, to) : fresh[key]!);
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
