// Secrets found by their shape in any text (bodies of every text type, header values, WebSocket messages,
// string values): JWTs, PEM private keys (also `\n`-escaped inside JSON), passwords in connection strings,
// and values assigned to secret-named keys in code, HTML and XML. A detector is a function from text to
// spans, the seam the well-known key formats (gitleaks' shape rules) plug into.

import { findSecrets } from './rules.js';
import type { Scrubber } from './context.js';
import { isSecretKey, mayHoldKey, type KeyPlace } from './keys.js';
import { isPlaceholder } from './placeholder.js';

/** A span of `text` that is a secret, and the rule that found it. */
export interface TextMatch {
  readonly rule: string;
  readonly start: number;
  readonly end: number;
}

/** Finds secrets in text. Each detector tests a cheap hint first: most text holds nothing. */
export type TextDetector = (text: string) => readonly TextMatch[];

/** Every match of `pattern` (global, with indices), the span being capture group `group`. */
function spans(text: string, pattern: RegExp, rule: string, group: number): TextMatch[] {
  const found: TextMatch[] = [];
  for (const match of text.matchAll(pattern)) {
    const span = match.indices![group];
    if (span !== undefined && span[1] > span[0]) found.push({ rule, start: span[0], end: span[1] });
  }
  return found;
}

// Header and claims are base64url JSON objects, so both start "eyJ" ({"); the signature may be empty (alg none).
const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/dg;

export const jwt: TextDetector = (text) => (text.includes('eyJ') ? spans(text, JWT, 'jwt', 0) : []);

// The key between its armour lines is redacted, the lines kept so the role stays readable. `[\s\S]` spans real
// line breaks and JSON's `\n` escapes alike.
const PEM = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----([\s\S]{1,16384}?)-----END \1PRIVATE KEY\2-----/dg;

export const pemPrivateKey: TextDetector = (text) => (text.includes('PRIVATE KEY') ? spans(text, PEM, 'pem-private-key', 3) : []);

// scheme://user:password@host: the password alone (postgres://, mongodb+srv://, redis://, amqp://, https:// …).
const CONNECTION = /\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}:\/\/[^\s:/?#@"'<>\\]*:([^\s/?#@"'<>\\]+)@/dg;

export const connectionPassword: TextDetector = (text) => (text.includes('://') ? spans(text, CONNECTION, 'connection-string', 1) : []);

// `"apiKey": "…"`, `password = '…'`, `token: "…"` in code and GraphQL, `Password=…;` in connection strings,
// `password=…` in text: quoted values after `:` or `=`, unquoted ones only right after `=` (so `auth: header`
// in JavaScript, an identifier, is left alone).
const ASSIGNMENT = /(?<![\w$-])(["']?)([A-Za-z_][\w.-]{0,63})\1[ \t]*(?:[:=][ \t]*(["'`])((?:(?!\3)[^\\\r\n]|\\.){1,2048})\3|=([^\s"'`,;&<>{}()[\]]{1,2048}))/dg;
// <input name="password" value="…">, in either attribute order.
const INPUT = /\bname=(["'])([^"'<>]{1,64})\1[^<>]{0,256}?\bvalue=(["'])([^"'<>]*)\3|\bvalue=(["'])([^"'<>]*)\5[^<>]{0,256}?\bname=(["'])([^"'<>]{1,64})\7/dg;
// <password>…</password>, <wsse:Password …>…</wsse:Password>, <ds:SignatureValue>…</ds:SignatureValue>.
const ELEMENT = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>([^<]{1,16384})<\/\1?\2>/dg;

/** Spans of the value groups of each match whose key (group `name`, or the one six later) is secret. */
function keyed(text: string, pattern: RegExp, name: number, values: readonly number[], place: (match: RegExpMatchArray) => KeyPlace): TextMatch[] {
  const found: TextMatch[] = [];
  for (const match of text.matchAll(pattern)) {
    const key = match[name] ?? match[name + 6];
    if (key === undefined || !isSecretKey(key, place(match))) continue;
    for (const group of values) {
      const span = match.indices![group];
      if (span !== undefined && span[1] > span[0]) found.push({ rule: 'key', start: span[0], end: span[1] });
    }
  }
  return found;
}

export const secretAssignment: TextDetector = (text) => {
  if (!mayHoldKey(text)) return [];
  // An unquoted `code=…` is a query or form field (an OAuth callback); a quoted `"code": …` a status.
  const found = keyed(text, ASSIGNMENT, 2, [4, 5], (match) => (match[5] === undefined ? 'structured' : 'callback'));
  if (text.includes('name=')) found.push(...keyed(text, INPUT, 2, [4, 6], () => 'callback'));
  if (text.includes('</')) found.push(...keyed(text, ELEMENT, 2, [3], () => 'structured'));
  return found;
};

/** The detectors flowtx ships: its own, and the shape rules of well-known key formats (rules.ts). */
export const BUILTIN_DETECTORS: readonly TextDetector[] = [jwt, pemPrivateKey, connectionPassword, secretAssignment, findSecrets];

/**
 * `text` with every span the detectors find replaced by its placeholder, or undefined when nothing was found.
 * Overlapping spans are merged into the first; a span that is already a placeholder is left.
 */
export function scrubText(text: string, scrubber: Scrubber, where: string): string | undefined {
  return settle(text, (t) => scrubOnce(t, scrubber, where));
}

/**
 * `scrub` applied again to its own output until it finds nothing more, a few times at most: a redaction can
 * open a new context (the placeholder starts a word, so `eyJ…x://u:p@h` becomes `REDACTED-…://u:p@h`, a URL
 * with a password), and scrubbing twice must equal scrubbing once.
 */
export function settle(value: string, scrub: (value: string) => string | undefined): string | undefined {
  let out = scrub(value);
  for (let round = 0; out !== undefined && round < 4; round++) {
    const again = scrub(out);
    if (again === undefined) break;
    out = again;
  }
  return out;
}

function scrubOnce(text: string, scrubber: Scrubber, where: string): string | undefined {
  const matches: TextMatch[] = [];
  for (const detect of scrubber.detectors) matches.push(...detect(text));
  if (matches.length === 0) return undefined;
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const { rule, start, end } of matches) {
    if (start < at) continue;
    const secret = text.slice(start, end);
    if (isPlaceholder(secret)) continue;
    out += text.slice(at, start) + scrubber.redact(secret);
    at = end;
    scrubber.report(where, rule);
  }
  return at === 0 ? undefined : out + text.slice(at);
}
