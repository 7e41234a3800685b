// The difference between two JSON documents as a patch addressed by JSON Pointers (RFC 6901), and its
// guarded application. The HAR codec keeps, per flow, what a HAR entry holds beyond what the model derives;
// a patched value is written back only while the model still derives what it derived when read, so a
// script's change to a field wins over the value kept for it. Pure; knows nothing of HAR.

import { setOwn } from '../../model/own.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface JsonPatch {
  /** Pointer → the original value. */
  entry: Record<string, Json>;
  /** Pointer → what the model derived there when read; the original is written only while that holds. */
  derived: Record<string, Json>;
  /** Pointers of fields the model derives but the original lacked. */
  absent: string[];
}

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.hasOwn(b, key) || !deepEqual(a[key], b[key])) return false;
  return true;
}

const escapeToken = (key: string): string => (key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key);
const unescapeToken = (token: string): string => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** The patch that turns `derived` into `original`. Arrays of equal length are compared element by element. */
export function diff(derived: Json, original: Json): JsonPatch {
  const patch: JsonPatch = { entry: {}, derived: {}, absent: [] };
  walk(derived, original, [], patch);
  return patch;
}

// `path` holds the tokens down to the values compared; a pointer string is made only for a difference.
// Equal primitives are passed over before descending: most of an entry's leaves are equal.
function walk(d: Json, o: Json, path: string[], patch: JsonPatch): void {
  if (d === o) return;
  if (isObject(d) && isObject(o)) {
    for (const key in o) {
      const ov = o[key]!;
      const own = Object.hasOwn(d, key);
      if (own && d[key] === ov) continue;
      path.push(key);
      if (own) walk(d[key]!, ov, path, patch);
      else patch.entry[pointer(path)] = ov;
      path.pop();
    }
    for (const key in d) {
      if (Object.hasOwn(o, key)) continue;
      path.push(key);
      const at = pointer(path);
      patch.absent.push(at);
      patch.derived[at] = d[key]!;
      path.pop();
    }
  } else if (Array.isArray(d) && Array.isArray(o) && d.length === o.length) {
    for (let i = 0; i < d.length; i++) {
      if (d[i] === o[i]) continue;
      path.push(String(i));
      walk(d[i]!, o[i]!, path, patch);
      path.pop();
    }
  } else if (!deepEqual(d, o)) {
    const at = pointer(path);
    patch.entry[at] = o;
    patch.derived[at] = d;
  }
}

/** A loop, not map and join: every entry read has a pointer for each of its dozen or more differences. */
function pointer(path: readonly string[]): string {
  let at = '';
  for (const token of path) at += `/${escapeToken(token)}`;
  return at;
}

export const isEmptyPatch = (p: JsonPatch): boolean => p.absent.length === 0 && Object.keys(p.entry).length === 0;

/** The container holding `pointer`'s target and the target's key; undefined when the container is gone. */
function locate(root: Json, pointer: string): [JsonObject | Json[], string] | undefined {
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.split('/').slice(1).map(unescapeToken);
  let node: Json | undefined = root;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else return undefined;
  }
  if (!Array.isArray(node) && !isObject(node)) return undefined;
  return [node, tokens[tokens.length - 1]!];
}

function valueAt(container: JsonObject | Json[], key: string): Json | undefined {
  if (Array.isArray(container)) return container[Number(key)];
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

/** Applies `patch` to `target` in place where the guard holds; returns `target`. */
export function applyPatch(target: JsonObject, patch: Partial<JsonPatch>): JsonObject {
  const derived = patch.derived ?? {};
  for (const pointer of patch.absent ?? []) {
    const at = locate(target, pointer);
    if (at === undefined || Array.isArray(at[0])) continue;
    if (deepEqual(valueAt(at[0], at[1]), derived[pointer])) delete at[0][at[1]];
  }
  for (const [pointer, value] of Object.entries(patch.entry ?? {})) {
    const at = locate(target, pointer);
    if (at === undefined) continue;
    const current = valueAt(at[0], at[1]);
    const guarded = Object.hasOwn(derived, pointer);
    if (guarded ? !deepEqual(current, derived[pointer]) : current !== undefined) continue;
    if (Array.isArray(at[0])) at[0][Number(at[1])] = value;
    else setOwn(at[0], at[1], value);
  }
  return target;
}
