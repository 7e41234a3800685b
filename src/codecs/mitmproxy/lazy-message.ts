// A request or response of a lazily decoded flow, decoded field by field. The model reads the headers of a
// message it wraps and nothing else until a script asks, so a script that adds a header never parses the
// body or the timestamps; written back, every field whose value is unchanged is copied from the file.

import { REQUEST_FIELDS, RESPONSE_FIELDS, withIntPaths, type MessageField } from './state.js';
import { elementAt, latin1At, parse, RawEntry, sameValue, type TValue } from './tnetstring.js';
import type { Dict } from './migrate.js';

const SOURCE = Symbol('mitmproxy message source');
const NULL_TAG = 0x7e;
const DICT_TAG = 0x7d;

interface Source {
  readonly raw: Uint8Array;
  readonly fields: readonly MessageField[];
  /** Each field's [entry start, value start, entry end] in `raw`; undefined when the file has no such key. */
  readonly entries: ([number, number, number] | undefined)[];
  /** What each parsed field's element held in the file. */
  readonly read: (TValue | undefined)[];
  /** Each field's model value, once parsed or set. */
  readonly values: unknown[];
  readonly known: boolean[];
  readonly ints: Set<string>;
  readonly fault: (cause: unknown) => Error;
}

type LazyMessage = Record<string, unknown> & { [SOURCE]: Source };

function field(source: Source, i: number): unknown {
  if (!source.known[i]) {
    const entry = source.entries[i];
    try {
      const read = entry === undefined ? undefined : parse(source.raw, entry[1], entry[2], { floats: 'pyfloat' });
      source.values[i] = withIntPaths(source.ints, () => source.fields[i]!.read(read));
      source.read[i] = read;
    } catch (cause) {
      throw source.fault(cause);
    }
    source.known[i] = true;
  }
  return source.values[i];
}

/** Own enumerable accessors (so spreading and structuredClone see plain fields), shared by every message. */
function accessors(fields: readonly MessageField[]): PropertyDescriptorMap {
  const map: PropertyDescriptorMap = {};
  fields.forEach((f, i) => {
    map[f.member] = {
      enumerable: true,
      configurable: true,
      get(this: LazyMessage) {
        return field(this[SOURCE], i);
      },
      set(this: LazyMessage, value: unknown) {
        this[SOURCE].values[i] = value;
        this[SOURCE].known[i] = true;
      },
    };
  });
  return map;
}

const PARTS = {
  request: { fields: REQUEST_FIELDS, keys: new Map(REQUEST_FIELDS.map((f, i) => [f.key, i])), accessors: accessors(REQUEST_FIELDS) },
  response: { fields: RESPONSE_FIELDS, keys: new Map(RESPONSE_FIELDS.map((f, i) => [f.key, i])), accessors: accessors(RESPONSE_FIELDS) },
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
  const { fields, keys, accessors: descriptors } = PARTS[part];
  const entries: Source['entries'] = new Array(fields.length);
  try {
    const [first, end] = elementAt(raw, from, to);
    for (let at = first; at < end; ) {
      const [keyFrom, keyTo, keyTag, valueAt] = elementAt(raw, at, end);
      const next = elementAt(raw, valueAt, end)[3];
      const i = keys.get(latin1At(raw, keyFrom, keyTo));
      // Unknown and repeated keys, and keys of another type, are the whole decoder's business.
      if (i === undefined || entries[i] !== undefined || (keyTag !== 0x3b && keyTag !== 0x2c)) return undefined;
      entries[i] = [at, valueAt, next];
      at = next;
    }
  } catch {
    return undefined;
  }
  const source: Source = { raw, fields, entries, read: [], values: [], known: [], ints, fault };
  const message = Object.defineProperty({}, SOURCE, { value: source });
  return Object.defineProperties(message, descriptors);
}

/**
 * A message made by lazyMessage(), as it is written back: a RawEntry for each unchanged field. Undefined for
 * other messages, and for one given extra fields (the whole encoder writes those).
 */
export function encodeMessage(message: object): { dict: Dict; unchanged: boolean } | undefined {
  const source = (message as Partial<LazyMessage>)[SOURCE];
  if (source === undefined || Object.hasOwn(message, 'extra')) return undefined;
  const { raw, fields, entries, read, known } = source;
  const dict: Dict = {};
  let unchanged = true;
  withIntPaths(source.ints, () => {
    fields.forEach((f, i) => {
      const entry = entries[i];
      const fresh = entry !== undefined && !known[i] ? undefined : f.write(message as Record<string, unknown>);
      if (entry !== undefined && (fresh === undefined || sameValue(fresh, read[i]))) {
        dict[f.key] = new RawEntry(raw.subarray(entry[0], entry[2]));
      } else {
        dict[f.key] = fresh!;
        unchanged = false;
      }
    });
  });
  return { dict, unchanged };
}
