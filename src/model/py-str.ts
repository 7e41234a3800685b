// Python's str() and repr() of state values: how mitmproxy's ~meta filter renders metadata.

import { binary } from './byte-string.js';
import type { StateValue } from './state.js';

/** Python's repr() of a str (or, with `bytes`, of a bytes value given as a binary string). */
function quoted(value: string, bytes: boolean): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const special = bytes ? /[\\\n\r\t]|[\x00-\x1f\x7f-\xff]/g : /[\\\n\r\t]|[\x00-\x1f\x7f]/g;
  const body = value.replace(special, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return (bytes ? 'b' : '') + quote + (quote === "'" ? body.replaceAll("'", "\\'") : body) + quote;
}

/** Python's repr() of a state value, for metadata rendered the way `str(dict value)` shows it. */
function pyRepr(value: StateValue): string {
  if (typeof value === 'string') return quoted(value, false);
  if (value instanceof Uint8Array) return quoted(binary(value), true);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return pyStr(value);
}

/** Python's str() of a state value. */
export function pyStr(value: StateValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  return pyRepr(value);
}

