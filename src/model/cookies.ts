// Cookie and Set-Cookie parsing and formatting (RFC 6265 syntax, lenient like browsers). Pure functions.

import type { Pair } from './multidict.js';

/** `a=1; b=2` → [["a","1"],["b","2"]]. A part without "=" is a cookie with an empty name, as browsers do. */
export function parseCookieHeader(value: string): Pair[] {
  const pairs: Pair[] = [];
  for (const part of value.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq < 0) pairs.push(['', trimmed]);
    else pairs.push([trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim()]);
  }
  return pairs;
}

export function formatCookieHeader(pairs: readonly Pair[]): string {
  return pairs.map(([n, v]) => (n === '' ? v : `${n}=${v}`)).join('; ');
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attributes in the order given; a flag attribute (Secure, HttpOnly) has the value true. */
  attributes: Record<string, string | true>;
}

export function parseSetCookie(header: string): SetCookie {
  const [first = '', ...rest] = header.split(';');
  const eq = first.indexOf('=');
  const name = eq < 0 ? '' : first.slice(0, eq).trim();
  const value = eq < 0 ? first.trim() : first.slice(eq + 1).trim();
  const attributes: Record<string, string | true> = {};
  for (const part of rest) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const at = trimmed.indexOf('=');
    if (at < 0) attributes[trimmed] = true;
    else attributes[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return { name, value, attributes };
}
