// HTTP semantics in one place: default ports, host:port, the host a client asked for, decoded bodies, header
// lookup and a new HTTP flow's state. Where flowtx keeps two rules on purpose (mitmproxy's, which filters
// must match exactly, and the model's), both are here under their names, each with the reason it exists.

import { randomUUID } from 'node:crypto';
import { unzipSync } from 'node:zlib';
import { BodyError } from '../errors.js';
import { maxBodySize } from './body-limit.js';
import { decodeContent, parseCodings } from './encoding.js';
import type { HeaderField } from './headers.js';
import { peekOf } from './peek.js';
import type {
  ClientConnState,
  FlowErrorState,
  HttpFlowState,
  MessageState,
  ReadonlyState,
  RequestState,
  ResponseState,
  ServerConnState,
  WebSocketState,
} from './state.js';

/**
 * Whose URL rule: 'url' is the model's (what scripts, listings and HAR show): ws and wss have default ports
 * too, the scheme's case is ignored, IPv6 hosts are bracketed. 'mitmproxy' is mitmproxy's `url.hostport`,
 * kept because filters must match what mitmproxy matches: http and https only, as spelled, no brackets.
 */
export type UrlRule = 'url' | 'mitmproxy';

export function defaultPort(scheme: string, rule: UrlRule = 'url'): number | undefined {
  if (rule === 'mitmproxy') return scheme === 'http' ? 80 : scheme === 'https' ? 443 : undefined;
  const s = scheme.toLowerCase();
  if (s === 'http' || s === 'ws') return 80;
  if (s === 'https' || s === 'wss') return 443;
  return undefined;
}

/** `host` or `host:port`: the port left out when it is the scheme's default. */
export function hostPort(scheme: string, host: string, port: number, rule: UrlRule = 'url'): string {
  const h = rule === 'url' && host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return defaultPort(scheme, rule) === port ? h : `${h}:${port}`;
}

/** scheme://host[:port]path by the model's rule; `*` (OPTIONS *) renders as an empty path. */
export function buildUrl(scheme: string, host: string, port: number, path: string): string {
  return `${scheme}://${hostPort(scheme, host, port)}${path === '*' ? '' : path}`;
}

/** The request's URL as the model shows it: `host:port` for CONNECT, else buildUrl's. */
export function requestUrl(request: ReadonlyState<RequestState>): string {
  if (request.method.toUpperCase() === 'CONNECT') return `${request.host}:${request.port}`;
  return buildUrl(request.scheme, request.host, request.port, request.path);
}

/** The values of the fields named `name` (given in lower case), in order. */
export function headerValues(fields: ReadonlyState<HeaderField[]>, name: string): string[] {
  const values: string[] = [];
  // The length test first: most names differ in length, and lower-casing each name costs more.
  for (const [n, v] of fields) if (n.length === name.length && n.toLowerCase() === name) values.push(v);
  return values;
}

/** mitmproxy's `headers.get`: the values of `name` (lower case) joined with ", "; undefined when absent. */
export function headerValue(fields: ReadonlyState<HeaderField[]>, name: string): string | undefined {
  let joined: string | undefined;
  for (const [n, v] of fields) {
    if (n.length === name.length && n.toLowerCase() === name) joined = joined === undefined ? v : `${joined}, ${v}`;
  }
  return joined;
}

/** headerValues of a message, read from its source bytes when it was decoded on demand (model/peek.ts). */
export function messageHeaderValues(message: ReadonlyState<MessageState>, name: string): string[] {
  return peekOf(message)?.headerValues(name) ?? headerValues(message.headers, name);
}

/** headerValue of a message, read from its source bytes when it can. */
export function messageHeader(message: ReadonlyState<MessageState>, name: string): string | undefined {
  const values = messageHeaderValues(message, name);
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values.join(', ');
}

/**
 * How a body's Content-Encoding is undone:
 * - 'strict': every listed coding, last applied first; BodyError when one fails. What scripts get
 *   (`decodedContent`, `text`): a body that is not what its headers say is a fault a script must hear of.
 * - 'lenient': mitmproxy's `get_content(strict=False)`, what its filters search: exactly one coding named by
 *   the whole header value (`gzip, br` and `x-gzip` stay as stored), zlib streams accepted under `gzip`,
 *   and the body as stored when that fails (a body over --max-body-size is searched as stored too).
 * - 'fallback': 'strict', else the body as stored. What mitmproxy's savehar writes (`content`, then
 *   `raw_content` on a decoding error), so a HAR always gets a body. `kept` hears why it was kept.
 */
export type BodyRule = 'strict' | 'lenient' | 'fallback';

/** The body with its content-encoding undone by `rule`; null when the body was not captured. */
export function decodedBody(message: ReadonlyState<MessageState>, rule: BodyRule, kept?: (why: BodyError) => void): Uint8Array | null {
  const content = message.content;
  if (content === null) return null;
  const header = messageHeader(message, 'content-encoding');
  if (rule === 'lenient') {
    const coding = header?.toLowerCase();
    try {
      if (coding === 'gzip') return unzipSync(content, { maxOutputLength: maxBodySize() });
      if (coding === 'deflate' || coding === 'br' || coding === 'zstd') return decodeContent(content, [coding]);
    } catch {
      // not valid for its coding: as stored
    }
    return content;
  }
  try {
    return decodeContent(content, parseCodings(header));
  } catch (cause) {
    if (rule === 'fallback' && cause instanceof BodyError) {
      kept?.(cause);
      return content;
    }
    throw cause;
  }
}

/**
 * mitmproxy's `host_header`: the Host header on HTTP/1, the `:authority` (else Host) on HTTP/2 and later;
 * undefined when absent or empty.
 */
export function hostHeader(request: ReadonlyState<RequestState>): string | undefined {
  const header = messageHeader(request, 'host');
  const value = request.httpVersion.startsWith('HTTP/1') ? header : request.authority || header;
  return value === '' ? undefined : value;
}

/** mitmproxy's `parse_authority(…, check=False)`: host and port, or the whole value when malformed. */
export function parseAuthority(authority: string): [host: string, port: number | undefined] {
  // What the pattern below gives a value with no port and no IPv6 brackets, without running it.
  if (!authority.includes(':') && !authority.startsWith('[')) return [authority, undefined];
  const m = /^(?<host>[^:]+|\[.+\])(?::(?<port>\d+))?$/.exec(authority);
  if (m === null) return [authority, undefined];
  const host = m.groups!.host!.replace(/^\[(.*)\]$/, '$1');
  const port = m.groups!.port === undefined ? undefined : Number(m.groups!.port);
  if (port !== undefined && port > 65535) return [authority, undefined];
  return [host, port];
}

/** The model keeps byte strings; filters match mitmproxy's text (`decode` maps a byte string to it). */
type Decode = (byteString: string) => string;
const asIs: Decode = (s) => s;

/**
 * mitmproxy's `pretty_host`: the host of the Host header or authority, else `request.host`. A malformed
 * authority (an out-of-range port, an unbracketed IPv6 address) is given whole, as mitmproxy gives it.
 */
export function prettyHost(request: ReadonlyState<RequestState>, decode: Decode = asIs): string {
  const authority = hostHeader(request);
  return authority === undefined ? request.host : parseAuthority(decode(authority))[0];
}

/** mitmproxy's `pretty_url`: the URL with the Host header's (or authority's) host and port. */
export function prettyUrl(request: ReadonlyState<RequestState>, decode: Decode = asIs): string {
  if (request.method.toUpperCase() === 'CONNECT') return decode(request.authority);
  const scheme = decode(request.scheme);
  const path = request.path === '*' ? '' : decode(request.path);
  const authority = hostHeader(request);
  if (authority === undefined) return `${scheme}://${hostPort(scheme, request.host, request.port, 'mitmproxy')}${path}`;
  const [host, port] = parseAuthority(decode(authority));
  return `${scheme}://${hostPort(scheme, host, port ?? defaultPort(scheme, 'mitmproxy') ?? 443, 'mitmproxy')}${path}`;
}

export interface HttpFlowParts {
  request: RequestState;
  response: ResponseState | null;
  error: FlowErrorState | null;
  websocket: WebSocketState | null;
  /** The connections as captured or accepted; newClientConn/newServerConn make stand-ins for flows without. */
  clientConn: ClientConnState;
  serverConn: ServerConnState;
  timestampCreated: number;
}

/** The state of a new HTTP flow (new id, not marked, no metadata) made of `parts`. */
export function newHttpFlowState(parts: HttpFlowParts): HttpFlowState {
  return {
    id: randomUUID(),
    type: 'http',
    error: parts.error,
    clientConn: parts.clientConn,
    serverConn: parts.serverConn,
    intercepted: false,
    isReplay: null,
    marked: '',
    metadata: {},
    comment: '',
    timestampCreated: parts.timestampCreated,
    backup: null,
    request: parts.request,
    response: parts.response,
    websocket: parts.websocket,
  };
}
