// request.url as HAR 1.2 requires it: a URI (RFC 3986). The model holds host and path as bytes, which may be
// anything a client sent; bytes a URI cannot hold are percent-encoded, valid escapes are kept as they are.

import { isIPv6 } from 'node:net';

// What RFC 3986 allows unescaped in host, path and query alike (unreserved and sub-delims); "%" only starts
// an escape.
const PLAIN = "A-Za-z0-9\\-._~!$&'()*+,;=";
const HOST_BYTE = new RegExp(`[${PLAIN}]`);
const PATH_BYTE = new RegExp(`[${PLAIN}:@/]`);
const QUERY_BYTE = new RegExp(`[${PLAIN}:@/?]`);
// Any byte that is not plainly allowed ("%" included: it needs a look).
const HOST_ODD = new RegExp(`[^${PLAIN}]`);
const PATH_ODD = new RegExp(`[^${PLAIN}:@/]`);
const QUERY_ODD = new RegExp(`[^${PLAIN}:@/?]`);
const ESCAPE = /^%[0-9A-Fa-f]{2}/;

/** `bytes` (one character per byte) with every byte `allowed` does not match percent-encoded. */
function escapeBytes(bytes: string, allowed: RegExp, odd: RegExp): string {
  if (!odd.test(bytes)) return bytes; // the common case, in one regular expression instead of one per byte
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (allowed.test(c) || (c === '%' && ESCAPE.test(bytes.slice(i, i + 3)))) out += c;
    else out += `%${bytes.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The host as a URI holds it: an IPv6 address in brackets, any other name with its odd bytes escaped. */
function uriHost(host: string): string {
  // Names have no ":", and isIPv6's regular expression costs more than the rest of the URL.
  return host.includes(':') && isIPv6(host) ? `[${host}]` : escapeBytes(host, HOST_BYTE, HOST_ODD);
}

/**
 * The path, query and fragment of a request target. A path holds a fragment when it was read from a HAR
 * URL that had one (as mitmproxy's reader keeps it), so the first "#" starts the fragment again; a fragment
 * takes the bytes a query does, a further "#" is escaped.
 */
function uriPath(path: string): string {
  const hash = path.indexOf('#');
  const target = hash === -1 ? path : path.slice(0, hash);
  const fragment = hash === -1 ? '' : `#${escapeBytes(path.slice(hash + 1), QUERY_BYTE, QUERY_ODD)}`;
  const q = target.indexOf('?');
  if (q === -1) return escapeBytes(target, PATH_BYTE, PATH_ODD) + fragment;
  return `${escapeBytes(target.slice(0, q), PATH_BYTE, PATH_ODD)}?${escapeBytes(target.slice(q + 1), QUERY_BYTE, QUERY_ODD)}${fragment}`;
}

/**
 * `scheme://host[:port]path` as a valid URI. A path that does not start with "/" gets one, so that it cannot
 * run into the authority. An empty host stays empty (`http:///p`, a URI with an empty authority): there is
 * no name to put there that the flow holds.
 */
export function harUrl(scheme: string, host: string, port: number | null, path: string): string {
  const authority = `${uriHost(host)}${port === null ? '' : `:${port}`}`;
  const rooted = path === '' || path.startsWith('/') ? path : `/${path}`;
  return `${scheme}://${authority}${uriPath(rooted)}`;
}
