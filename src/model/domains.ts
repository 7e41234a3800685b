// What a script may set: each settable field's domain, checked by the model's setters when a value is written
// (never on read: decoded flows are checked by their codec), so that a bad value fails in the hook that set it,
// naming the field, instead of writing a file mitmproxy rejects or a request that injects headers on replay.
// docs/scripting.md ("Values a script sets") states the same domains.

import { FieldError } from '../errors.js';

export interface Domain {
  /** What the field holds, as messages and docs say it ("an integer from 100 to 999"). */
  readonly expected: string;
  accepts(value: unknown): boolean;
}

const matching = (pattern: RegExp) => (v: unknown) => typeof v === 'string' && pattern.test(v);
const integer = (min: number, max: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const finite = (v: unknown): boolean => Number.isFinite(v);

// RFC 9110 §5.6.2: a token is one or more tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: field-value characters are VCHAR, obs-text, SP and HTAB; never CR, LF or NUL. Byte
// strings hold one character per byte, so nothing above \xff.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// A request-target or host piece: visible bytes only, so that the request line cannot be split.
const TARGET = /^[\x21-\x7e\x80-\xff]*$/;
// A host: visible bytes except those that would end it inside a URL.
const HOST = /^[\x21-\x22\x24-\x2e\x30-\x3e\x40-\x7e\x80-\xff]+$/;

const BYTE_STRING = 'one character per byte (\\x00-\\xff)';

export const DOMAINS = {
  method: { expected: 'a token such as "GET" (letters, digits and !#$%&\'*+-.^_`|~)', accepts: matching(TOKEN) },
  scheme: { expected: '"http" or "https"', accepts: (v) => v === 'http' || v === 'https' },
  host: { expected: `a non-empty string of visible characters without "/", "?" or "#", ${BYTE_STRING}`, accepts: matching(HOST) },
  port: { expected: 'an integer from 1 to 65535', accepts: integer(1, 65535) },
  path: { expected: `a string of visible characters (no space or control character), ${BYTE_STRING}`, accepts: matching(TARGET) },
  authority: { expected: `"" or host[:port] in visible characters, ${BYTE_STRING}`, accepts: matching(TARGET) },
  httpVersion: { expected: '"HTTP/1.0", "HTTP/1.1", "HTTP/2.0" or another "HTTP/<digit>[.<digit>]"', accepts: matching(/^HTTP\/\d(\.\d)?$/) },
  statusCode: { expected: 'an integer from 100 to 999', accepts: integer(100, 999) },
  reason: { expected: `a string without control characters other than tab, ${BYTE_STRING}`, accepts: matching(FIELD_VALUE) },
  content: { expected: 'bytes (a Uint8Array or Buffer) or null; set `text` to store a string', accepts: (v) => v === null || v instanceof Uint8Array },
  timestamp: { expected: 'a finite number (seconds since the epoch)', accepts: finite },
  timestampOrNull: { expected: 'a finite number (seconds since the epoch) or null', accepts: (v) => v === null || finite(v) },
  headerName: { expected: 'a token (letters, digits and !#$%&\'*+-.^_`|~)', accepts: matching(TOKEN) },
  headerValue: { expected: `a string without CR, LF, NUL or other control characters (tab allowed), ${BYTE_STRING}`, accepts: matching(FIELD_VALUE) },
  string: { expected: 'a string', accepts: (v) => typeof v === 'string' },
  boolean: { expected: 'a boolean', accepts: (v) => typeof v === 'boolean' },
  marked: { expected: 'a string ("" for none) or a boolean', accepts: (v) => typeof v === 'string' || typeof v === 'boolean' },
  isReplay: { expected: '"request", "response" or null', accepts: (v) => v === 'request' || v === 'response' || v === null },
  error: { expected: 'null or { msg: string, timestamp: finite number }', accepts: (v) => v === null || (typeof v === 'object' && typeof (v as { msg?: unknown }).msg === 'string' && finite((v as { timestamp?: unknown }).timestamp)) },
} as const satisfies Record<string, Domain>;

/** `value` when `domain` accepts it; else a FieldError naming `field`. */
export function check<T>(field: string, domain: Domain, value: T): T {
  if (!domain.accepts(value)) throw new FieldError(field, domain.expected, value);
  return value;
}

const MESSAGE = {
  httpVersion: DOMAINS.httpVersion,
  content: DOMAINS.content,
  timestampStart: DOMAINS.timestamp,
  timestampEnd: DOMAINS.timestampOrNull,
};

/** The fields of a message made whole from a script's values (createFlow, makeResponse), by side. */
export const MESSAGE_DOMAINS = {
  request: { ...MESSAGE, method: DOMAINS.method, scheme: DOMAINS.scheme, host: DOMAINS.host, port: DOMAINS.port, path: DOMAINS.path },
  response: { ...MESSAGE, statusCode: DOMAINS.statusCode, reason: DOMAINS.reason },
} as const;

/** Checks every field of `state` that `domains` names (a message made from a script's values). */
export function checkFields(side: keyof typeof MESSAGE_DOMAINS, state: object): void {
  for (const [key, domain] of Object.entries(MESSAGE_DOMAINS[side])) check(`${side}.${key}`, domain, (state as Record<string, unknown>)[key]);
}

/** A header field as a script gives it: a name and a value that cannot end the field or the header block. */
export function checkHeader(name: unknown, value: unknown): void {
  check('header name', DOMAINS.headerName, name);
  check(`header ${JSON.stringify(name)}`, DOMAINS.headerValue, value);
}
