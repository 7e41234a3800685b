// Splitting URLs and their query strings without normalising them (host:port and URLs are built by
// model/http.ts). Pure functions.

import { defaultPort } from './http.js';

export interface UrlParts {
  scheme: string;
  host: string;
  port: number;
  path: string;
}

/** Splits an absolute http(s) URL without normalising its path or query (WHATWG URL would). */
export function parseUrl(url: string): UrlParts {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(\[[^\]]*\]|[^/?#:]*)(?::(\d*))?([^#]*)/.exec(url);
  if (match === null || match[2] === '') throw new TypeError(`invalid URL: ${JSON.stringify(url)}`);
  const scheme = match[1]!.toLowerCase();
  const host = match[2]!.startsWith('[') ? match[2]!.slice(1, -1) : match[2]!;
  const port = match[3] ? Number(match[3]) : defaultPort(scheme);
  if (port === undefined || port > 65535) throw new TypeError(`invalid URL (no usable port): ${JSON.stringify(url)}`);
  let path = match[4] ?? '';
  if (path === '') path = '/';
  else if (path.startsWith('?')) path = `/${path}`;
  return { scheme, host, port, path };
}

/** The query string of a path, without the "?". */
export function queryOf(path: string): string {
  const at = path.indexOf('?');
  return at < 0 ? '' : path.slice(at + 1);
}

export function withQuery(path: string, query: string): string {
  const at = path.indexOf('?');
  const base = at < 0 ? path : path.slice(0, at);
  return query === '' ? base : `${base}?${query}`;
}
