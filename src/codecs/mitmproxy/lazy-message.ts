// A request or response of a lazily decoded flow, decoded field by field. The model reads the headers of a
// message it wraps and nothing else until a script asks, so a script that adds a header never parses the
// body or the timestamps; written back, every field whose value is unchanged is copied from the file.
// A message is a Proxy over its source (no accessors or closures per message), so spreading, JSON and
// msgpack see plain fields.

import { REQUEST_FIELDS, RESPONSE_FIELDS, withIntPaths, type MessageField } from './state.js';
import { DictBuilder, KeyTable, parse, sameValue, scan, scanned, type TValue } from './tnetstring.js';
import type { Dict } from './migrate.js';

const NULL_TAG = 0x7e;
const DICT_TAG = 0x7d;
const TEXT_TAG = 0x3b;
const BYTES_TAG = 0x2c;

interface Kind {
  readonly fields: readonly MessageField[];
  readonly keyTable: KeyTable;
  /** Field index by file key, and by model member. */
  readonly keys: ReadonlyMap<string, number>;
  readonly members: ReadonlyMap<string | symbol, number>;
  readonly memberList: readonly string[];
}

interface Source {
  readonly kind: Kind;
  readonly raw: Uint8Array;
  /** Field i's entry start, value start and entry end in `raw` at [3i, 3i + 3); -1 when the file has no such key. */
  readonly entries: number[];
  /** What each parsed field's element held in the file. */
  readonly read: (TValue | undefined)[];
  /** Each field's model value, once parsed or set. */
  readonly values: unknown[];
  readonly known: boolean[];
  readonly ints: Set<string>;
  readonly fault: (cause: unknown) => Error;
  /** Properties that are not fields (a script's `extra`). */
  others: Record<string | symbol, unknown> | null;
}

function kind(fields: readonly MessageField[]): Kind {
  return {
    fields,
    keyTable: new KeyTable(fields.map((f) => f.key)),
    keys: new Map(fields.map((f, i) => [f.key, i])),
    members: new Map(fields.map((f, i) => [f.member, i])),
    memberList: fields.map((f) => f.member),
  };
}

const KINDS = { request: kind(REQUEST_FIELDS), response: kind(RESPONSE_FIELDS) };

function field(source: Source, i: number): unknown {
  if (!source.known[i]) {
    const at = source.entries[3 * i]!;
    try {
      const read = at < 0 ? undefined : parse(source.raw, source.entries[3 * i + 1]!, source.entries[3 * i + 2]!, { floats: 'pyfloat' });
      source.values[i] = withIntPaths(source.ints, () => source.kind.fields[i]!.read(read));
      source.read[i] = read;
    } catch (cause) {
      throw source.fault(cause);
    }
    source.known[i] = true;
  }
  return source.values[i];
}

function setField(source: Source, i: number, value: unknown): boolean {
  source.values[i] = value;
  source.known[i] = true;
  return true;
}

const others = (source: Source): Record<string | symbol, unknown> => (source.others ??= {});
/** What a message without other properties answers for them: what a plain object inherits. */
const NONE: Record<string | symbol, unknown> = Object.freeze({});

const SOURCE = Symbol('mitmproxy message source');

const HANDLER: ProxyHandler<Source> = {
  get: (source, key) => {
    if (key === SOURCE) return source;
    const i = source.kind.members.get(key);
    return i === undefined ? Reflect.get(source.others ?? NONE, key) : field(source, i);
  },
  set: (source, key, value) => {
    const i = source.kind.members.get(key);
    return i === undefined ? Reflect.set(others(source), key, value) : setField(source, i, value);
  },
  has: (source, key) => source.kind.members.has(key) || (source.others !== null && key in source.others),
  deleteProperty: (source, key) => {
    const i = source.kind.members.get(key);
    return i === undefined ? Reflect.deleteProperty(others(source), key) : setField(source, i, undefined);
  },
  ownKeys: (source) => [...source.kind.memberList, ...(source.others === null ? [] : Reflect.ownKeys(source.others))],
  getOwnPropertyDescriptor: (source, key) => {
    const i = source.kind.members.get(key);
    if (i !== undefined) return { value: field(source, i), writable: true, enumerable: true, configurable: true };
    const descriptor = source.others === null ? undefined : Reflect.getOwnPropertyDescriptor(source.others, key);
    if (descriptor !== undefined) descriptor.configurable = true;
    return descriptor;
  },
  defineProperty: (source, key, descriptor) => {
    const i = source.kind.members.get(key);
    return i === undefined ? Reflect.defineProperty(others(source), key, descriptor) : setField(source, i, descriptor.value);
  },
};

/**
 * The request or response whose element is `raw[from, to)`, decoded on demand: null for a null response,
 * undefined when the element is not a dict of the fields the model knows (the caller decodes it whole and
 * reports what is wrong). Faults met later are thrown as `fault(cause)`.
 */
export function lazyMessage(
  part: 'request' | 'response',
  raw: Uint8Array,
  from: number,
  to: number,
  ints: Set<string>,
  fault: (cause: unknown) => Error,
): object | null | undefined {
  const tag = raw[to - 1];
  if (tag === NULL_TAG && part === 'response') return null;
  if (tag !== DICT_TAG) return undefined;
  const messageKind = KINDS[part];
  const entries = new Array<number>(3 * messageKind.fields.length).fill(-1);
  try {
    scan(raw, from, to);
    const end = scanned.to;
    for (let at = scanned.from; at < end; ) {
      const valueAt = scan(raw, at, end);
      const key = scanned.tag === TEXT_TAG || scanned.tag === BYTES_TAG ? messageKind.keyTable.match(raw, scanned.from, scanned.to) : undefined;
      const next = scan(raw, valueAt, end);
      const i = key === undefined ? undefined : messageKind.keys.get(key);
      // Unknown and repeated keys, and keys of another type, are the whole decoder's business.
      if (i === undefined || entries[3 * i]! >= 0) return undefined;
      entries[3 * i] = at;
      entries[3 * i + 1] = valueAt;
      entries[3 * i + 2] = next;
      at = next;
    }
  } catch {
    return undefined;
  }
  const source: Source = { kind: messageKind, raw, entries, read: [], values: [], known: [], ints, fault, others: null };
  return new Proxy(source, HANDLER);
}

/**
 * A message made by lazyMessage(), as it is written back: a RawEntry for each unchanged field. Undefined for
 * other messages, and for one given extra fields (the whole encoder writes those).
 */
export function encodeMessage(message: object): { dict: Dict; unchanged: boolean } | undefined {
  const source = (message as { [SOURCE]?: Source })[SOURCE];
  if (source === undefined || (source.others !== null && 'extra' in source.others)) return undefined;
  const { raw, kind: { fields }, entries, read, known } = source;
  const dict = new DictBuilder(raw);
  let unchanged = true;
  withIntPaths(source.ints, () => {
    fields.forEach((f, i) => {
      const at = entries[3 * i]!;
      const fresh = at >= 0 && !known[i] ? undefined : f.write(field(source, i));
      if (at >= 0 && (fresh === undefined || sameValue(fresh, read[i]))) {
        dict.copy(f.key, at, entries[3 * i + 2]!);
      } else {
        dict.set(f.key, fresh!);
        unchanged = false;
      }
    });
  });
  return { dict: dict.done(), unchanged };
}
