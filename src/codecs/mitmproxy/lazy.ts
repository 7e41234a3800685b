// Lazily decoded HTTP flows of versions 17 … 21. Only the small top-level fields are parsed up front; the
// connections, request, response and WebSocket data are parsed when first read. Written back at the same
// version, a part nobody read is copied from the file as it was, so a script that touches one header pays
// for one response, not for the whole flow. (Versions 17 … 21 differ only in the connections.)

import { CodecError, SchemaError, type InputPosition } from '../../errors.js';
import type { FlowState } from '../../model/state.js';
import { Migration, MigrationError, setLegacy, legacyOf, type Dict } from './migrate.js';
import { flowShellFrom, HTTP_PARTS, httpPartFrom, MEMBER_OF, StateShapeError, toMitmproxy, type HttpPart } from './state.js';
import { elementAt, encodeToBuffer, parse, RawElement, TnetstringError, type TValue } from './tnetstring.js';
import { atVersion, type WritableVersion } from './versions.js';

const LAZY = Symbol('mitmproxy lazy record');

interface LazyRecord {
  raw: Uint8Array;
  version: number;
  /** Top-level keys in file order. */
  order: string[];
  /** Where each part's value element lies in `raw`. */
  slices: Map<HttpPart, [number, number]>;
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
  const slices = new Map<HttpPart, [number, number]>();
  const shell: Dict = {};
  try {
    for (let at = bodyFrom; at < bodyTo; ) {
      const [, , , valueAt] = elementAt(raw, at, bodyTo);
      const [, , , next] = elementAt(raw, valueAt, bodyTo);
      const parsedKey = parse(raw, at, valueAt);
      if (typeof parsedKey !== 'string') throw new TnetstringError('not a flow: a top-level key is not text');
      const key = parsedKey;
      order.push(key);
      if (PARTS.has(key)) slices.set(key as HttpPart, [valueAt, next]);
      else shell[key] = parse(raw, valueAt, next, { floats: 'pyfloat' });
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
  const record: LazyRecord = { raw, version, order, slices, decoded: new Set() };
  Object.defineProperty(state, LAZY, { value: record, enumerable: false });

  const values = new Map<HttpPart, unknown>();
  const parsePart = (key: HttpPart): TValue | undefined => {
    const slice = slices.get(key);
    return slice === undefined ? undefined : parse(raw, slice[0], slice[1], { floats: 'pyfloat' });
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
        values.set(key, httpPartFrom(key, parsePart(key), ints));
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
 * Parts nobody read are copied from the file; the rest is encoded as usual, in the file's key order.
 */
export function encodeLazy(state: FlowState, version: WritableVersion): Buffer | undefined {
  const record = (state as FlowState & { [LAZY]?: LazyRecord })[LAZY];
  if (record === undefined || record.version !== version) return undefined;
  const untouched = new Set<string>(HTTP_PARTS.filter((key) => !record.decoded.has(key)));
  const fresh = atVersion(toMitmproxy(state, untouched), version, false);
  // Entries in state order (the writer reverses them), following the file's order.
  const out: Dict = {};
  for (const key of Object.keys(fresh)) if (!record.order.includes(key)) out[key] = fresh[key]!;
  for (let i = record.order.length - 1; i >= 0; i--) {
    const key = record.order[i]!;
    const slice = untouched.has(key) ? record.slices.get(key as HttpPart) : undefined;
    if (slice !== undefined) out[key] = new RawElement(record.raw.subarray(slice[0], slice[1]));
    else if (key in fresh) out[key] = fresh[key]!;
  }
  return encodeToBuffer(out);
}
