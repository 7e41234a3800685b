// A codec may hand out parts of a flow state whose fields are decoded on first use: Proxies, which read as
// plain objects but cost a trap call for every key listed, described and read. Writers that walk a whole
// state (msgpackr, JSON) ask for the plain form first: the object gives all its fields at once.

import { setOwn } from './own.js';

/**
 * The key under which an object decoded on first use gives a function returning its fields, all decoded,
 * as a new plain object (the keys and values Object.keys and reads would give, in the same order).
 */
export const PLAIN = Symbol('plain fields');

type Plainable = { [PLAIN]?: () => Record<string, unknown> };

/**
 * `value` with every object decoded on first use replaced, at any depth, by the plain object of its
 * fields; `value` itself when it holds none. What is plain is shared, copied only on the way to a
 * replaced object, so `value` is never changed.
 */
export function plainView<T>(value: T): T {
  return isObject(value) ? (plainObject(value) as T) : value;
}

// Leaves are most of a state (header names and values, numbers): they are passed over without a call.
const isObject = (v: unknown): v is object => v !== null && typeof v === 'object' && !ArrayBuffer.isView(v);

function plainObject(value: object): object {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (!isObject(v)) continue;
      const mapped = plainObject(v);
      if (mapped !== v) (out ??= value.slice())[i] = mapped;
    }
    return out ?? value;
  }
  const fields = (value as Plainable)[PLAIN]?.();
  const object = fields ?? (value as Record<string, unknown>);
  let out = fields;
  // State data is plain (no inherited enumerable keys), and for-in is the faster listing.
  for (const key in object) {
    const v = object[key];
    if (!isObject(v)) continue;
    const mapped = plainObject(v);
    if (mapped === v) continue;
    out ??= { ...object };
    setOwn(out, key, mapped);
  }
  return out ?? value;
}
