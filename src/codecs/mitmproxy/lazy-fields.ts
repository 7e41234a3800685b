// Objects of the model decoded field by field from a tnetstring dict: a flow's small fields, a request, a
// response. The model reads the headers of a message it wraps and nothing else until a script asks, so a
// script that adds a header never parses the body or the timestamps, and a filter on the method parses the
// method. Written back, every field nobody read, or whose value is unchanged, is copied from the file.
// Each object is a Proxy over its source (no accessors or closures per object), so spreading, JSON and
// msgpack see plain fields; properties that are not fields of the table (a flow's parts, a script's `extra`)
// are kept beside them.

import { INT_PATHS, type StateField } from './state.js';
import type { HeaderField } from '../../model/headers.js';
import { DictBuilder, encodeToBuffer, KeyTable, latin1At, parse, RawElement, sameBytes, utf8At, type BackWriter, type Scanner } from './tnetstring.js';
import type { Dict } from './migrate.js';
import { encodeHeaders, headersAt, headerValuesAt, sameHeaders } from './header-list.js';
import { PEEK, type MessagePeek } from '../../model/peek.js';
import { PLAIN } from '../../model/plain.js';
import { setOwn } from '../../model/own.js';

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
  /** The index of the `headers` field, or -1. */
  readonly headers: number;
  /** Entries before a dict is indexed (copying it is faster than filling a new array). */
  readonly noEntries: readonly number[];
}

export function fieldTable(fields: readonly StateField[]): FieldTable {
  return {
    fields,
    keyTable: new KeyTable(fields.map((f) => f.key)),
    keys: new Map(fields.map((f, i) => [f.key, i])),
    members: new Map(fields.map((f, i) => [f.member, i])),
    memberList: fields.map((f) => f.member),
    headers: fields.findIndex((f) => f.shape === 'headers'),
    noEntries: new Array<number>(3 * fields.length).fill(-1),
  };
}

/** Where each field of a dict lies: field i's entry start, value start and end at [3i, 3i + 3), or -1. */
export type FieldEntries = number[];

/** What the objects decoded from one record share. */
export interface RecordReading {
  readonly raw: Uint8Array;
  /** The record's scanner: every place in `raw` is found with it. */
  readonly scanner: Scanner;
  /** The flow's integer timestamps (state.ts's INT_PATHS), found as its fields are read. */
  readonly ints: Set<string>;
  /** A fault met while decoding a field, as the error that names the record's place. */
  readonly fault: (cause: unknown) => unknown;
}

/**
 * Indexes the dict entry at raw[at, end) (a key, then its value) into `entries` by the key's index in
 * `keys`: that index, or -1 when the key is none of them (a text key, or where `bytesKeys` a byte string
 * too) or was indexed already. The entry ends at entries[3i + 2].
 */
export function indexEntry(s: Scanner, keys: KeyTable, raw: Uint8Array, at: number, end: number, entries: FieldEntries, bytesKeys: boolean): number {
  const valueAt = s.scan(raw, at, end);
  const tag = s.tag;
  const i = tag === TEXT_TAG || (bytesKeys && tag === BYTES_TAG) ? keys.indexOf(raw, s.from, s.to) : -1;
  const next = s.scan(raw, valueAt, end);
  if (i < 0 || entries[3 * i]! >= 0) return -1;
  entries[3 * i] = at;
  entries[3 * i + 1] = valueAt;
  entries[3 * i + 2] = next;
  return i;
}

/**
 * The entries of the dict element at raw[from, to) by field; undefined when a key is not the table's, is
 * repeated or is not a string (such dicts are decoded whole, which reports what is wrong).
 */
export function indexFields(s: Scanner, table: FieldTable, raw: Uint8Array, from: number, to: number): FieldEntries | undefined {
  const entries: FieldEntries = table.noEntries.slice();
  try {
    s.scan(raw, from, to);
    const end = s.to;
    for (let at = s.from; at < end; ) {
      const i = indexEntry(s, table.keyTable, raw, at, end, entries, true);
      if (i < 0) return undefined;
      at = entries[3 * i + 2]!;
    }
  } catch {
    return undefined;
  }
  return entries;
}

class Source implements MessagePeek {
  /** Each field's model value, once parsed or set. */
  readonly values: unknown[];
  /** Each field's value as parsed (a header list's length), for telling whether it changed since. */
  readonly firsts: unknown[];
  /** Bit i: field i was read or set (a table has fewer than 32 fields). */
  known = 0;

  constructor(
    readonly table: FieldTable,
    readonly record: RecordReading,
    readonly entries: FieldEntries,
    /** Properties that are not fields. */
    public others: Record<string | symbol, unknown> | null,
    /** What the decoder keeps with the object (not a property). */
    readonly attachment: Attachment | undefined,
  ) {
    this.values = new Array<unknown>(table.fields.length);
    this.firsts = new Array<unknown>(table.fields.length);
  }

  isKnown(i: number): boolean {
    return (this.known & (1 << i)) !== 0;
  }

  headerValues(name: string): string[] | undefined {
    const i = this.table.headers;
    if (i < 0 || this.isKnown(i) || this.entries[3 * i]! < 0) return undefined;
    try {
      return headerValuesAt(this.record.scanner, this.record.raw, this.entries[3 * i + 1]!, this.entries[3 * i + 2]!, name);
    } catch {
      return undefined; // not well formed: reading the field says what is wrong
    }
  }
}

/** A byte string element as latin1 text, or a text element as its text; undefined for anything else. */
function bytesAt(s: Scanner, raw: Uint8Array, from: number, to: number): string | undefined {
  s.scan(raw, from, to);
  const { from: start, to: end, tag } = s;
  return tag === BYTES_TAG ? latin1At(raw, start, end) : tag === TEXT_TAG ? utf8At(raw, start, end) : undefined;
}

/** Field `f` read from the element at raw[from, to) without the general parser, when its shape allows; else undefined. */
function quickRead(f: StateField, record: RecordReading, from: number, to: number): unknown {
  const { raw, scanner: s } = record;
  switch (f.shape) {
    case 'bytes':
      return bytesAt(s, raw, from, to);
    case 'text': {
      s.scan(raw, from, to);
      const { from: start, to: end, tag } = s;
      return tag === TEXT_TAG ? f.read(utf8At(raw, start, end), record.ints) : undefined;
    }
    case 'headers':
      return headersAt(s, raw, from, to);
    case undefined:
      return undefined;
  }
}

function field(source: Source, i: number): unknown {
  // A dict indexed only in part is indexed to its end first: the value read is then the one its last entry
  // for the field holds, as when the dict is decoded whole.
  if (!source.isKnown(i)) source.attachment?.complete();
  if (!source.isKnown(i)) {
    const at = source.entries[3 * i]!;
    const f = source.table.fields[i]!;
    try {
      const from = source.entries[3 * i + 1]!;
      const to = source.entries[3 * i + 2]!;
      // Well-formed byte strings, text and header lists are read straight from the bytes; the general parser
      // reads the rest, and says what is wrong with what is not well formed.
      const { record } = source;
      const fast = at < 0 ? undefined : quickRead(f, record, from, to);
      readAs(source, i, fast ?? f.read(at < 0 ? undefined : parse(record.raw, from, to, { floats: 'pyfloat' }), record.ints));
    } catch (cause) {
      throw source.record.fault(cause);
    }
  }
  return source.values[i];
}

/** Field i holds `value` as read from the file. */
function readAs(source: Source, i: number, value: unknown): void {
  source.values[i] = value;
  source.firsts[i] = source.table.fields[i]!.shape === 'headers' && Array.isArray(value) ? value.length : value;
  source.known |= 1 << i;
}

/** Field `member` of an object of lazyFields() holds `value`, known to be what the file has: it is not parsed. */
export function readAlready(value: object, member: string, field: unknown): void {
  const source = sourceOf(value)!;
  readAs(source, source.table.members.get(member)!, field);
}

function setField(source: Source, i: number, value: unknown): boolean {
  source.values[i] = value;
  source.known |= 1 << i;
  return true;
}

const others = (source: Source): Record<string | symbol, unknown> => (source.others ??= {});
/** What an object without other properties answers for them: what a plain object inherits. */
const NONE: Record<string | symbol, unknown> = Object.freeze({});
const SOURCE = Symbol('lazily decoded fields');

/** Another property not decoded yet: the attachment's decodeOther() decodes it on first use. */
export const UNDECODED = Symbol('not decoded yet');

/**
 * What a decoder keeps with an object of lazyFields() whose dict may not be indexed to its end yet, and
 * whose other properties start UNDECODED.
 */
export interface Attachment {
  /** Indexes the dict to its end: after this, every field's entry and every other property is in place. */
  complete(): void;
  /** Decodes other property `key`, held as UNDECODED. */
  decodeOther(key: string): unknown;
}

const isOther = (source: Source, key: string | symbol): boolean => source.others !== null && Object.hasOwn(source.others, key);

/** Whether `key` is another property, once the index is complete: what the object lacks, it lacks for good. */
function hasOther(source: Source, key: string | symbol): boolean {
  if (isOther(source, key)) return true;
  source.attachment?.complete();
  return isOther(source, key);
}

/**
 * Another property, given as UNDECODED (a part decoded on first use) or as itself. Handed out as the plain
 * object it decodes to, which replaces it: what scripts get is plain data that structuredClone takes. If
 * decoding throws, it stays UNDECODED and throws again next time.
 */
function other(source: Source, key: string | symbol): unknown {
  if (!hasOther(source, key)) return Reflect.get(NONE, key);
  const value = source.others![key];
  return value === UNDECODED ? (source.others![key] = source.attachment!.decodeOther(key as string)) : value;
}

/** The fields and other properties, all decoded, as a plain object: what listing and reading them gives. */
function plainFields(source: Source): Record<string, unknown> {
  source.attachment?.complete();
  const out: Record<string, unknown> = {};
  const members = source.table.memberList;
  for (let i = 0; i < members.length; i++) setOwn(out, members[i]!, field(source, i));
  if (source.others !== null) for (const key of Object.keys(source.others)) setOwn(out, key, other(source, key));
  return out;
}

const HANDLER: ProxyHandler<Source> = {
  get: (source, key) => {
    if (key === SOURCE || key === PEEK) return source;
    if (key === PLAIN) return () => plainFields(source);
    if (key === INT_PATHS) return source.record.ints;
    const i = source.table.members.get(key);
    return i === undefined ? other(source, key) : field(source, i);
  },
  set: (source, key, value) => {
    const i = source.table.members.get(key);
    return i === undefined ? Reflect.set(others(source), key, value) : setField(source, i, value);
  },
  has: (source, key) => source.table.members.has(key) || hasOther(source, key),
  deleteProperty: (source, key) => {
    const i = source.table.members.get(key);
    return i === undefined ? Reflect.deleteProperty(others(source), key) : setField(source, i, undefined);
  },
  ownKeys: (source) => {
    source.attachment?.complete();
    return [...source.table.memberList, ...(source.others === null ? [] : Reflect.ownKeys(source.others))];
  },
  getOwnPropertyDescriptor: (source, key) => {
    const i = source.table.members.get(key);
    if (i !== undefined) return { value: field(source, i), writable: true, enumerable: true, configurable: true };
    if (!hasOther(source, key)) return undefined;
    other(source, key);
    const descriptor = Reflect.getOwnPropertyDescriptor(source.others!, key)!;
    descriptor.configurable = true;
    return descriptor;
  },
  defineProperty: (source, key, descriptor) => {
    const i = source.table.members.get(key);
    return i === undefined ? Reflect.defineProperty(others(source), key, descriptor) : setField(source, i, descriptor.value);
  },
};

/**
 * The object whose fields are the dict `entries` index in the record's bytes, each decoded on first read,
 * with `others` as its other properties; `attachment` is the decoder's to keep with it.
 */
export function lazyFields(
  table: FieldTable,
  record: RecordReading,
  entries: FieldEntries,
  others: Record<string, unknown> | null = null,
  attachment: Attachment | undefined = undefined,
): object {
  return new Proxy<Source>(new Source(table, record, entries, others, attachment), HANDLER);
}

const sourceOf = (value: object): Source | undefined => (value as { [SOURCE]?: Source })[SOURCE];

/** Other property `key` of an object of lazyFields() as it is held (maybe UNDECODED), without decoding it. */
export function peekOther(value: object, key: string): unknown {
  return sourceOf(value)?.others?.[key];
}

/** What lazyFields() was given to keep with `value`; undefined for other objects. */
export function attachmentOf(value: object): Attachment | undefined {
  return sourceOf(value)?.attachment;
}

/**
 * Makes an object of lazyFields() stand for `whole`, the same dict decoded whole: each field not read or
 * set takes whole's value, and each other property whole has takes its place unless it was decoded.
 */
export function adopt(value: object, whole: object): void {
  const source = sourceOf(value)!;
  source.table.fields.forEach((f, i) => {
    if (!source.isKnown(i)) setField(source, i, (whole as Record<string, unknown>)[f.member]);
  });
  const held = others(source);
  for (const key of Reflect.ownKeys(whole)) {
    if (source.table.members.has(key) || (Object.hasOwn(held, key) && held[key] !== UNDECODED)) continue;
    Object.defineProperty(held, key, Reflect.getOwnPropertyDescriptor(whole, key)!);
  }
}

/** Whether field `key` of an object of lazyFields() was read or set; undefined for other objects and keys. */
export function fieldRead(value: object, key: string): boolean | undefined {
  const source = sourceOf(value);
  const i = source?.table.keys.get(key);
  return source === undefined || i === undefined ? undefined : source.isKnown(i);
}

/**
 * Whether field i can be copied from the file as it is: true when nobody read it, or when what was read
 * still is what the file has (the very value parsed, where that cannot change in place, or headers that
 * still read as the file's); false when the file lacks it; undefined when only encoding it can tell.
 */
function copyable(source: Source, i: number): boolean | undefined {
  const { entries, values, firsts } = source;
  if (entries[3 * i]! < 0) return false;
  if (!source.isKnown(i)) return true;
  const value = values[i];
  if (source.table.fields[i]!.shape === 'headers' && Array.isArray(value)) {
    // Headers are changed in place: a list of another length differs without a look at the bytes.
    return value.length === firsts[i] && sameHeaders(source.record.scanner, value as HeaderField[], source.record.raw, entries[3 * i + 1]!, entries[3 * i + 2]!);
  }
  return value === firsts[i] && (value === null || typeof value !== 'object') ? true : undefined;
}

/** Field i as the writer's bytes. */
function encodeField(source: Source, i: number, writer: BackWriter): Uint8Array {
  const f = source.table.fields[i]!;
  const value = field(source, i);
  return f.shape === 'headers' && Array.isArray(value) ? encodeHeaders(value as HeaderField[]) : encodeToBuffer(f.write(value, source.record.ints), writer);
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
export function encodeFields(value: object, writer: BackWriter): { dict: Dict; unchanged: boolean } | undefined {
  const source = sourceOf(value);
  if (source === undefined || (source.others !== null && Reflect.ownKeys(source.others).length > 0)) return undefined;
  const { table, entries } = source;
  const { raw } = source.record;
  const dict = new DictBuilder(raw);
  let unchanged = true;
  table.fields.forEach((f, i) => {
    const at = entries[3 * i]!;
    const to = entries[3 * i + 2]!;
    const copy = copyable(source, i);
    const fresh = copy === true ? undefined : encodeField(source, i, writer);
    if (copy === true || (copy === undefined && sameBytes(fresh!, raw, entries[3 * i + 1]!, to))) {
      dict.copy(f.key, at, to);
    } else {
      dict.set(f.key, new RawElement(fresh!));
      unchanged = false;
    }
  });
  return { dict: dict.done(), unchanged };
}
