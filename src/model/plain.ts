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
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = plainView(value[i]);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return (out ?? value) as T;
  }
  const fields = (value as Plainable)[PLAIN]?.();
  const object = fields ?? (value as Record<string, unknown>);
  let out = fields;
  for (const key of Object.keys(object)) {
    const v = object[key];
    const mapped = plainView(v);
    if (mapped === v) continue;
    out ??= { ...object };
    setOwn(out, key, mapped);
  }
  return (out ?? value) as T;
}
