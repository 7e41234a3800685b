// Objects of the model decoded field by field from a tnetstring dict: a flow's small fields, a request, a
// response. The model reads the headers of a message it wraps and nothing else until a script asks, so a
// script that adds a header never parses the body or the timestamps, and a filter on the method parses the
// method. Written back, every field nobody read, or whose value is unchanged, is copied from the file.
// Each object is a Proxy over its source (no accessors or closures per object), so spreading, JSON and
// msgpack see plain fields; properties that are not fields of the table (a flow's parts, a script's `extra`)
// are kept beside them.

import { INT_PATHS, withIntPaths, type StateField } from './state.js';
import { DictBuilder, KeyTable, parse, sameValue, scan, scanned, type TValue } from './tnetstring.js';
import type { Dict } from './migrate.js';
import { loaded } from './lazy-object.js';

const TEXT_TAG = 0x3b;
const BYTES_TAG = 0x2c;

/** A table of fields with its lookups. */
export interface FieldTable {
  readonly fields: readonly StateField[];
  readonly keyTable: KeyTable;
  /** Field index by file key, and by model member. */
  readonly keys: ReadonlyMap<string, number>;
  readonly members: ReadonlyMap<string | symbol, number>;
  readonly memberList: readonly string[];
}

export function fieldTable(fields: readonly StateField[]): FieldTable {
  return {
    fields,
    keyTable: new KeyTable(fields.map((f) => f.key)),
    keys: new Map(fields.map((f, i) => [f.key, i])),
    members: new Map(fields.map((f, i) => [f.member, i])),
    memberList: fields.map((f) => f.member),
  };
}

/** Where each field of a dict lies: field i's entry start, value start and end at [3i, 3i + 3), or -1. */
export type FieldEntries = number[];

/**
 * The entries of the dict element at raw[from, to) by field; undefined when a key is not the table's, is
 * repeated or is not a string (such dicts are decoded whole, which reports what is wrong).
 */
export function indexFields(table: FieldTable, raw: Uint8Array, from: number, to: number): FieldEntries | undefined {
  const entries: FieldEntries = new Array<number>(3 * table.fields.length).fill(-1);
  try {
    scan(raw, from, to);
    const end = scanned.to;
    for (let at = scanned.from; at < end; ) {
      const valueAt = scan(raw, at, end);
      const key = scanned.tag === TEXT_TAG || scanned.tag === BYTES_TAG ? table.keyTable.match(raw, scanned.from, scanned.to) : undefined;
      const next = scan(raw, valueAt, end);
      const i = key === undefined ? undefined : table.keys.get(key);
      if (i === undefined || entries[3 * i]! >= 0) return undefined;
      entries[3 * i] = at;
      entries[3 * i + 1] = valueAt;
      entries[3 * i + 2] = next;
      at = next;
    }
  } catch {
    return undefined;
  }
  return entries;
}

interface Source {
  readonly table: FieldTable;
  readonly raw: Uint8Array;
  readonly entries: FieldEntries;
  /** What each parsed field's element held in the file. */
  readonly read: (TValue | undefined)[];
  /** Each field's model value, once parsed or set. */
  readonly values: unknown[];
  readonly known: boolean[];
  readonly ints: Set<string>;
  readonly fault: (cause: unknown) => Error;
  /** Properties that are not fields. */
  others: Record<string | symbol, unknown> | null;
  /** What the decoder keeps with the object (not a property). */
  readonly attachment: unknown;
}

function field(source: Source, i: number): unknown {
  if (!source.known[i]) {
    const at = source.entries[3 * i]!;
    try {
      const read = at < 0 ? undefined : parse(source.raw, source.entries[3 * i + 1]!, source.entries[3 * i + 2]!, { floats: 'pyfloat' });
      source.values[i] = withIntPaths(source.ints, () => source.table.fields[i]!.read(read));
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
/** What an object without other properties answers for them: what a plain object inherits. */
const NONE: Record<string | symbol, unknown> = Object.freeze({});
const SOURCE = Symbol('lazily decoded fields');

/**
 * Another property, given as a lazyObject() (a part decoded on first use) or as itself. Handed out as the
 * plain object it stands for, which replaces it: what scripts get is plain data that structuredClone takes.
 */
function other(source: Source, key: string | symbol): unknown {
  if (source.others === null || !Object.hasOwn(source.others, key)) return Reflect.get(NONE, key);
  const value = source.others[key];
  const plain = loaded(value);
  if (plain !== value) source.others[key] = plain;
  return plain;
}

const HANDLER: ProxyHandler<Source> = {
  get: (source, key) => {
    if (key === SOURCE) return source;
    if (key === INT_PATHS) return source.ints;
    const i = source.table.members.get(key);
    return i === undefined ? other(source, key) : field(source, i);
  },
  set: (source, key, value) => {
    const i = source.table.members.get(key);
    return i === undefined ? Reflect.set(others(source), key, value) : setField(source, i, value);
  },
  has: (source, key) => source.table.members.has(key) || (source.others !== null && key in source.others),
  deleteProperty: (source, key) => {
    const i = source.table.members.get(key);
    return i === undefined ? Reflect.deleteProperty(others(source), key) : setField(source, i, undefined);
  },
  ownKeys: (source) => [...source.table.memberList, ...(source.others === null ? [] : Reflect.ownKeys(source.others))],
  getOwnPropertyDescriptor: (source, key) => {
    const i = source.table.members.get(key);
    if (i !== undefined) return { value: field(source, i), writable: true, enumerable: true, configurable: true };
    if (source.others === null || !Object.hasOwn(source.others, key)) return undefined;
    other(source, key);
    const descriptor = Reflect.getOwnPropertyDescriptor(source.others, key)!;
    descriptor.configurable = true;
    return descriptor;
  },
  defineProperty: (source, key, descriptor) => {
    const i = source.table.members.get(key);
    return i === undefined ? Reflect.defineProperty(others(source), key, descriptor) : setField(source, i, descriptor.value);
  },
};

/**
 * The object whose fields are the dict `entries` index in `raw`, each decoded on first read, with `others`
 * as its other properties. Its integer timestamps are `ints`; `attachment` is the decoder's to keep with it.
 */
export function lazyFields(
  table: FieldTable,
  raw: Uint8Array,
  entries: FieldEntries,
  ints: Set<string>,
  fault: (cause: unknown) => Error,
  others: Record<string, unknown> | null = null,
  attachment: unknown = undefined,
): object {
  return new Proxy<Source>({ table, raw, entries, read: [], values: [], known: [], ints, fault, others, attachment }, HANDLER);
}

const sourceOf = (value: object): Source | undefined => (value as { [SOURCE]?: Source })[SOURCE];

/** Other property `key` of an object of lazyFields() as it is held, without decoding it. */
export function peekOther(value: object, key: string): unknown {
  return sourceOf(value)?.others?.[key];
}

/** What lazyFields() was given to keep with `value`; undefined for other objects. */
export function attachmentOf(value: object): unknown {
  return sourceOf(value)?.attachment;
}

/**
 * How field `key` of an object of lazyFields() stands: not read yet, or read (`value` is what the file held).
 * Undefined for other objects and other keys.
 */
export function fieldStatus(value: object, key: string): { read: false } | { read: true; value: TValue | undefined } | undefined {
  const source = sourceOf(value);
  const i = source?.table.keys.get(key);
  if (source === undefined || i === undefined) return undefined;
  return source.known[i] ? { read: true, value: source.read[i] } : { read: false };
}

/**
 * An object of lazyFields() as it is written back, every field in the table's order: copied from the file
 * when unread or unchanged. Undefined for other objects, and for one given other properties (the whole
 * encoder writes those).
 */
export function encodeFields(value: object): { dict: Dict; unchanged: boolean } | undefined {
  const source = sourceOf(value);
  if (source === undefined || (source.others !== null && Reflect.ownKeys(source.others).length > 0)) return undefined;
  const { raw, table, entries, read, known } = source;
  const dict = new DictBuilder(raw);
  let unchanged = true;
  withIntPaths(source.ints, () => {
    table.fields.forEach((f, i) => {
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
