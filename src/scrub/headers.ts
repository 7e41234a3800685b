// Secrets in header fields (any case, HTTP/1 and HTTP/2; trailers too): Authorization and
// Proxy-Authorization keep their scheme, Cookie and Set-Cookie keep names and attributes, secret-named headers
// (`X-Api-Key`, `X-Csrf-Token` …) lose their value, URLs in Location/Referer/Origin are read as URLs, and
// every other value is searched for shapes. Names are never changed.

import type { Headers } from '../model/headers.js';
import type { Scrubber } from './context.js';
import { isSecretKey } from './keys.js';
import { isPlaceholder } from './placeholder.js';
import { scrubText } from './text.js';
import { scrubUrl } from './url.js';

const URL_HEADERS = new Set(['location', 'content-location', 'referer', 'origin']);

/** `value` redacted whole, or undefined when it is empty or a placeholder already. */
function whole(value: string, scrubber: Scrubber, where: string, rule: string): string | undefined {
  if (value.trim() === '' || isPlaceholder(value)) return undefined;
  scrubber.report(where, rule);
  return scrubber.redact(value);
}

// `name=value` or `name="value"` parameters of a credential (AWS SigV4, Digest, OAuth 1).
const PARAMS = /([\w-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*))/dg;
// What proves the password in Digest (`response`) and the client nonce tied to it.
const PROOF_PARAMS = new Set(['response', 'cnonce']);

/**
 * An Authorization value with its credential redacted and its scheme kept: Basic as a whole (the password is
 * inside the base64), parameter schemes (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`,
 * Digest, OAuth) parameter by parameter, any other scheme's credential whole.
 */
function scrubAuthorization(value: string, scrubber: Scrubber, where: string): string | undefined {
  const m = /^([ \t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+)([ \t]+)(.*)$/s.exec(value);
  if (m === null) return whole(value, scrubber, where, 'authorization');
  const [, scheme = '', space = '', credential = ''] = m;
  const lower = scheme.trim().toLowerCase();
  if (lower !== 'basic' && lower !== 'bearer' && /^[\w-]+[ \t]*=[ \t]*[^=]/.test(credential) && /[,"]/.test(credential)) {
    let out = '';
    let at = 0;
    for (const match of credential.matchAll(PARAMS)) {
      const name = match[1]!;
      const span = match.indices![2] ?? match.indices![3];
      if (span === undefined || span[1] === span[0]) continue;
      if (!isSecretKey(name) && !PROOF_PARAMS.has(name.toLowerCase())) continue;
      const secret = credential.slice(span[0], span[1]);
      if (isPlaceholder(secret)) continue;
      out += credential.slice(at, span[0]) + scrubber.redact(secret);
      at = span[1];
      scrubber.report(`${where} ${name}`, 'authorization');
    }
    return at === 0 ? undefined : `${scheme}${space}${out}${credential.slice(at)}`;
  }
  const redacted = whole(credential, scrubber, where, 'authorization');
  return redacted === undefined ? undefined : `${scheme}${space}${redacted}`;
}

/** `a=1; b=2` with every value redacted, the names kept. */
function scrubCookie(value: string, scrubber: Scrubber, where: string): string | undefined {
  let changed = false;
  const parts = value.split(';').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) return part;
    const redacted = whole(part.slice(eq + 1).trim(), scrubber, `${where} ${part.slice(0, eq).trim()}`, 'cookie');
    if (redacted === undefined) return part;
    changed = true;
    return `${part.slice(0, eq + 1)}${redacted}`;
  });
  return changed ? parts.join(';') : undefined;
}

/** `name=value; Path=/; HttpOnly` with the value redacted, the name and attributes kept. */
function scrubSetCookie(value: string, scrubber: Scrubber, where: string): string | undefined {
  const semi = value.indexOf(';');
  const first = semi < 0 ? value : value.slice(0, semi);
  const rest = semi < 0 ? '' : value.slice(semi);
  const eq = first.indexOf('=');
  const redacted = whole(first.slice(eq + 1).trim(), scrubber, `${where} ${eq < 0 ? '' : first.slice(0, eq).trim()}`, 'set-cookie');
  return redacted === undefined ? undefined : `${first.slice(0, eq + 1)}${redacted}${rest}`;
}

function scrubField(name: string, value: string, scrubber: Scrubber, where: string): string | undefined {
  const lower = name.toLowerCase();
  const at = `${where} ${lower}`;
  if (lower === 'authorization' || lower === 'proxy-authorization') return scrubAuthorization(value, scrubber, at);
  if (lower === 'cookie') return scrubCookie(value, scrubber, at);
  if (lower === 'set-cookie') return scrubSetCookie(value, scrubber, at);
  if (isSecretKey(lower)) return whole(value, scrubber, at, 'key');
  if (URL_HEADERS.has(lower)) return scrubUrl(value, scrubber, at);
  return scrubText(value, scrubber, at);
}

/**
 * Redacts the secrets of `headers` in place (`where`: `request.header`, `response.trailer` …). The fields are
 * rewritten through the model only when something was found, in their order, so a clean message stays unchanged.
 */
export function scrubHeaders(headers: Headers, scrubber: Scrubber, where: string): void {
  const fields = headers.fields;
  let changed = false;
  for (const field of fields) {
    const scrubbed = scrubField(field[0], field[1], scrubber, where);
    if (scrubbed === undefined) continue;
    field[1] = scrubbed;
    changed = true;
  }
  if (!changed) return;
  headers.clear();
  for (const [name, value] of fields) headers.add(name, value);
}
