// URL helpers with mitmproxy's rules: default ports are omitted, `*` (OPTIONS *) renders as an empty path,
// IPv6 hosts are bracketed. Pure functions.

export function defaultPort(scheme: string): number | undefined {
  const s = scheme.toLowerCase();
  if (s === 'http' || s === 'ws') return 80;
  if (s === 'https' || s === 'wss') return 443;
  return undefined;
}

export function hostPort(scheme: string, host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return defaultPort(scheme) === port ? h : `${h}:${port}`;
}

export function buildUrl(scheme: string, host: string, port: number, path: string): string {
  return `${scheme}://${hostPort(scheme, host, port)}${path === '*' ? '' : path}`;
}

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
