// State values ⇄ JSON values. JSON has no bytes, big integers or NaN, so those become one-key tag objects:
//   bytes  → {"$text": "…"} when valid UTF-8, else {"$base64": "…"}
//   bigint → {"$bigint": "123…"}     NaN / ±Infinity → {"$number": "NaN"}
// Keys that already start with "$" get one more "$" on the way out and lose it on the way in, so a tag
// can never be confused with data.

import { ShapeError, showKind } from '../../model/shape.js';
import type { StateValue } from '../../model/state.js';
import { setOwn } from '../../model/own.js';
import { strictUtf8 } from '../../model/utf8.js';

export function bytesToJson(bytes: Uint8Array): { $text: string } | { $base64: string } {
  try {
    return { $text: strictUtf8.decode(bytes) };
  } catch {
    return { $base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
}

/** `value` with its tags applied; `bytes` tags each byte array (line.ts writes large ones itself). */
export function toJson(value: unknown, bytes: (b: Uint8Array) => unknown = bytesToJson): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return bytes(value);
  if (Array.isArray(value)) return value.map((v) => toJson(v, bytes));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      setOwn(out, key.startsWith('$') ? `$${key}` : key, toJson(v, bytes));
    }
    return out;
  }
  throw new TypeError(`cannot serialise a ${typeof value}`);
}

const shown = showKind('an object');

function fromTag(key: string, tag: unknown): StateValue {
  if (typeof tag !== 'string') throw new ShapeError(key, 'a string', shown(tag), `tag "${key}" must hold a string`);
  switch (key) {
    case '$text':
      return Buffer.from(tag, 'utf8');
    case '$base64':
      return Buffer.from(tag, 'base64');
    case '$bigint':
      if (!/^-?\d+$/.test(tag)) throw new ShapeError(key, 'an integer', JSON.stringify(tag), `"$bigint" value ${JSON.stringify(tag)} is not an integer`);
      return BigInt(tag);
    case '$number':
      if (tag !== 'NaN' && tag !== 'Infinity' && tag !== '-Infinity') {
        throw new ShapeError(key, 'NaN or ±Infinity', JSON.stringify(tag), `"$number" value ${JSON.stringify(tag)} is not NaN or ±Infinity`);
      }
      return Number(tag);
    default:
      throw new ShapeError(key, 'a known tag', JSON.stringify(key), `unknown tag "${key}"`);
  }
}

export function fromJson(value: unknown): StateValue {
  if (value === null || typeof value !== 'object') return value as StateValue;
  if (Array.isArray(value)) return value.map(fromJson);
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0]!.startsWith('$') && !keys[0]!.startsWith('$$')) {
    return fromTag(keys[0]!, (value as Record<string, unknown>)[keys[0]!]);
  }
  const out: Record<string, StateValue> = {};
  for (const key of keys) {
    if (key.startsWith('$') && !key.startsWith('$$')) throw new ShapeError(key, 'a tag alone', JSON.stringify(key), `unexpected tag "${key}" beside other keys`);
    setOwn(out, key.startsWith('$') ? key.slice(1) : key, fromJson((value as Record<string, unknown>)[key]));
  }
  return out;
}
