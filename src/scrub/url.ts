// Secrets in URLs and query strings: userinfo passwords, query and fragment parameters under secret names
// (`?api_key=`, `#id_token=`, OAuth `code`, presigned `X-Amz-Signature`, `sig`), URLs nested in parameter values,
// and shapes anywhere (a JWT in a path). The same query reader serves urlencoded forms (form.ts).

import type { Scrubber } from './context.js';
import { isSecretKey } from './keys.js';
import { isPlaceholder } from './placeholder.js';
import { scrubText, settle } from './text.js';

/** A form or query component decoded (`+` is a space); as it is when its escapes are malformed. */
function decodeComponent(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * A query string or urlencoded form (`a=1&b=2`, no `?`) with its secrets redacted, or undefined when none was
 * found. Names and the other values are kept byte for byte.
 */
export function scrubQuery(query: string, scrubber: Scrubber, where: string): string | undefined {
  let changed = false;
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) return part;
    const name = decodeComponent(part.slice(0, eq));
    const raw = part.slice(eq + 1);
    const value = decodeComponent(raw);
    let scrubbed: string | undefined;
    if (isSecretKey(name, 'callback')) {
      if (value === '' || isPlaceholder(value)) return part;
      scrubbed = scrubber.redact(value);
      scrubber.report(`${where} ${name}`, 'key');
    } else {
      const nested = value.includes('://') || value.startsWith('/') ? scrubUrl(value, scrubber, `${where} ${name}`) : undefined;
      scrubbed = scrubText(nested ?? value, scrubber, `${where} ${name}`) ?? nested;
      if (scrubbed === undefined) return part;
    }
    changed = true;
    return `${part.slice(0, eq)}=${encodeURIComponent(scrubbed)}`;
  });
  return changed ? parts.join('&') : undefined;
}

// [scheme://authority]path[?query][#fragment]; a path-only URL (a request target, `Location: /next?x`) too.
const URL_PARTS = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

/** A URL (absolute or a path) with its secrets redacted, or undefined when none was found. */
export function scrubUrl(url: string, scrubber: Scrubber, where: string): string | undefined {
  return settle(url, (u) => scrubUrlOnce(u, scrubber, where));
}

function scrubUrlOnce(url: string, scrubber: Scrubber, where: string): string | undefined {
  const m = URL_PARTS.exec(url);
  if (m === null) return scrubText(url, scrubber, where);
  let [, origin = '', authority = '', path = '', query, fragment] = m;
  let changed = false;
  const at = authority.lastIndexOf('@');
  const colon = authority.indexOf(':');
  if (at > 0 && colon >= 0 && colon < at) {
    const password = authority.slice(colon + 1, at);
    if (password !== '' && !isPlaceholder(decodeComponent(password))) {
      const schemeEnd = origin.length - authority.length;
      authority = `${authority.slice(0, colon + 1)}${scrubber.redact(decodeComponent(password))}${authority.slice(at)}`;
      origin = origin.slice(0, schemeEnd) + authority;
      scrubber.report(`${where} userinfo`, 'password');
      changed = true;
    }
  }
  const newPath = scrubText(path, scrubber, `${where} path`);
  if (newPath !== undefined) [path, changed] = [newPath, true];
  const newQuery = query === undefined ? undefined : scrubQuery(query, scrubber, `${where} query`);
  if (newQuery !== undefined) [query, changed] = [newQuery, true];
  // A fragment holding parameters (`#access_token=…&state=…`, the OAuth implicit flow) is read as a query.
  const newFragment = fragment === undefined ? undefined : fragment.includes('=') ? scrubQuery(fragment, scrubber, `${where} fragment`) : scrubText(fragment, scrubber, `${where} fragment`);
  if (newFragment !== undefined) [fragment, changed] = [newFragment, true];
  if (!changed) return undefined;
  return `${origin}${path}${query === undefined ? '' : `?${query}`}${fragment === undefined ? '' : `#${fragment}`}`;
}
