// Objects of the model decoded field by field from a tnetstring dict: a flow's small fields, a request, a
// response. The model reads the headers of a message it wraps and nothing else until a script asks, so a
// script that adds a header never parses the body or the timestamps, and a filter on the method parses the
// method. Written back, every field nobody read, or whose value is unchanged, is copied from the file.
// Each object is a Proxy over its source (no accessors or closures per object), so spreading, JSON and
// msgpack see plain fields; properties that are not fields of the table (a flow's parts, a script's `extra`)
// are kept beside them.

import { INT_PATHS, withIntPaths, type StateField } from './state.js';
import type { HeaderField } from '../../model/headers.js';
import { DictBuilder, encodeToBuffer, KeyTable, latin1At, parse, RawElement, sameBytes, scan, scanned, utf8At } from './tnetstring.js';
import { encodeHeaders, headersAt, sameHeaders } from './header-list.js';
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
  /** Each field's model value, once parsed or set. */
  readonly values: unknown[];
  /** Each field's value as parsed (a header list's length), for telling whether it changed since. */
  readonly firsts: unknown[];
  readonly known: boolean[];
  readonly ints: Set<string>;
  readonly fault: (cause: unknown) => Error;
  /** Properties that are not fields. */
  others: Record<string | symbol, unknown> | null;
  /** What the decoder keeps with the object (not a property). */
  readonly attachment: unknown;
}

/** A byte string element as latin1 text, or a text element as its text; undefined for anything else. */
function bytesAt(raw: Uint8Array, from: number, to: number): string | undefined {
  scan(raw, from, to);
  const { from: start, to: end, tag } = scanned;
  return tag === BYTES_TAG ? latin1At(raw, start, end) : tag === TEXT_TAG ? utf8At(raw, start, end) : undefined;
}

function field(source: Source, i: number): unknown {
  if (!source.known[i]) {
    const at = source.entries[3 * i]!;
    const f = source.table.fields[i]!;
    try {
      const from = source.entries[3 * i + 1]!;
      const to = source.entries[3 * i + 2]!;
      // Well-formed byte strings and header lists are read straight from the bytes; the general parser
      // reads the rest, and says what is wrong with what is not well formed.
      const fast = at < 0 || f.shape === undefined ? undefined : f.shape === 'bytes' ? bytesAt(source.raw, from, to) : headersAt(source.raw, from, to);
      const value = fast ?? withIntPaths(source.ints, () => f.read(at < 0 ? undefined : parse(source.raw, from, to, { floats: 'pyfloat' })));
      source.values[i] = value;
      source.firsts[i] = f.shape === 'headers' && Array.isArray(value) ? value.length : value;
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
  return new Proxy<Source>({ table, raw, entries, values: [], firsts: [], known: [], ints, fault, others, attachment }, HANDLER);
}

const sourceOf = (value: object): Source | undefined => (value as { [SOURCE]?: Source })[SOURCE];

/** The other properties of an object of lazyFields() as they are held, without decoding them. */
export function othersOf(value: object): Readonly<Record<string | symbol, unknown>> {
  return sourceOf(value)?.others ?? NONE;
}

/** What lazyFields() was given to keep with `value`; undefined for other objects. */
export function attachmentOf(value: object): unknown {
  return sourceOf(value)?.attachment;
}

/**
 * Whether field i can be copied from the file as it is: true when nobody read it, or when what was read
 * still is what the file has (the very value parsed, where that cannot change in place, or headers that
 * still read as the file's); false when the file lacks it; undefined when only encoding it can tell.
 */
function copyable(source: Source, i: number): boolean | undefined {
  const { entries, known, values } = source;
  if (entries[3 * i]! < 0) return false;
  if (!known[i]) return true;
  const value = values[i];
  if (source.table.fields[i]!.shape === 'headers' && Array.isArray(value)) {
    // Headers are changed in place: a list of another length differs without a look at the bytes.
    return value.length === source.firsts[i] && sameHeaders(value as HeaderField[], source.raw, entries[3 * i + 1]!, entries[3 * i + 2]!);
  }
  return value === source.firsts[i] && (value === null || typeof value !== 'object') ? true : undefined;
}

/** Field i as the writer's bytes. */
function encodeField(source: Source, i: number): Uint8Array {
  const f = source.table.fields[i]!;
  const value = field(source, i);
  return f.shape === 'headers' && Array.isArray(value) ? encodeHeaders(value as HeaderField[]) : encodeToBuffer(f.write(value));
}

/** The keys of the fields of an object of lazyFields() that are copied from the file as they are (see copyable()). */
export function copiedFields(value: object): string[] {
  const source = sourceOf(value);
  if (source === undefined) return [];
  return source.table.fields.filter((_, i) => copyable(source, i) === true).map((f) => f.key);
}

/**
 * An object of lazyFields() as it is written back, every field in the table's order: copied from the file
 * when unread or unchanged. Undefined for other objects, and for one given other properties (the whole
 * encoder writes those).
 */
export function encodeFields(value: object): { dict: Dict; unchanged: boolean } | undefined {
  const source = sourceOf(value);
  if (source === undefined || (source.others !== null && Reflect.ownKeys(source.others).length > 0)) return undefined;
  const { raw, table, entries } = source;
  const dict = new DictBuilder(raw);
  let unchanged = true;
  withIntPaths(source.ints, () => {
    table.fields.forEach((f, i) => {
      const at = entries[3 * i]!;
      const to = entries[3 * i + 2]!;
      const copy = copyable(source, i);
      const fresh = copy === true ? undefined : encodeField(source, i);
      if (copy === true || (copy === undefined && sameBytes(fresh!, raw, entries[3 * i + 1]!, to))) {
        dict.copy(f.key, at, to);
      } else {
        dict.set(f.key, new RawElement(fresh!));
        unchanged = false;
      }
    });
  });
  return { dict: dict.done(), unchanged };
}
