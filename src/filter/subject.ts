// What filter operators look at, derived from a flow's state the way mitmproxy derives it (header blocks,
// pretty URL, decoded bodies, metadata text, DNS message text). Each value is computed on first use and
// kept for the rest of one evaluation, so an expression touches only the parts of a lazily decoded flow
// that its operators need, and reading never marks the flow changed (it bypasses the Flow's getters).

import { unzipSync } from 'node:zlib';
import { decodeContent } from '../model/encoding.js';
import type { HeaderField } from '../model/headers.js';
import { peekOf } from '../model/peek.js';
import type {
  Address,
  Extra,
  FlowState,
  HttpFlowState,
  MessageState,
  RequestState,
  ResponseState,
  StateValue,
  StreamMessageState,
  WebSocketState,
} from '../model/state.js';

/** Bytes as a latin1 "binary string": one character per byte, what byte patterns are matched against. */
export function binary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A byte string of the model (latin1) read as UTF-8 text, as mitmproxy's str views of bytes fields are. */
function text(byteString: string): string {
  return /^[\x00-\x7f]*$/.test(byteString) ? byteString : Buffer.from(byteString, 'latin1').toString('utf8');
}

/** mitmproxy's `bytes(headers)`: `Name: value\r\n` per field, names as stored. */
function headerBlock(fields: readonly HeaderField[]): string {
  let out = '';
  for (const [name, value] of fields) out += `${name}: ${value}\r\n`;
  return out;
}

/** The values of `message`'s header fields named `name` (lower case), read from the source bytes when it can. */
function headerValues(message: MessageState, name: string): string[] {
  return peekOf(message)?.headerValues(name) ?? message.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

/** One header's value, its fields' values joined as mitmproxy's `headers.get` joins them. */
function headerValue(message: MessageState, name: string): string | undefined {
  const values = headerValues(message, name);
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values.join(', ');
}

/**
 * mitmproxy's `get_content(strict=False)`: the body with its Content-Encoding undone, or as stored when
 * that fails. mitmproxy decodes exactly one coding named by the whole header value (`gzip, br` and `x-gzip`
 * stay as stored), and reads zlib streams as well as gzip ones under `gzip`.
 */
function decodedBody(message: MessageState): string | null {
  const content = message.content;
  if (content === null) return null;
  const coding = headerValue(message, 'content-encoding')?.toLowerCase();
  try {
    if (coding === 'gzip') return binary(unzipSync(content));
    if (coding === 'deflate' || coding === 'br' || coding === 'zstd') return binary(decodeContent(content, [coding]));
  } catch {
    // not valid for its coding: searched as stored
  }
  return binary(content);
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/** mitmproxy's `hostport`: the port left out when it is the scheme's default (no IPv6 brackets). */
function hostPort(scheme: string, host: string, port: number): string {
  return DEFAULT_PORTS[scheme] === port ? host : `${host}:${port}`;
}

/** mitmproxy's `parse_authority(…, check=False)`: host and port, or the whole value when malformed. */
function parseAuthority(authority: string): [host: string, port: number | undefined] {
  // What the pattern below gives a value with no port and no IPv6 brackets, without running it.
  if (!authority.includes(':') && !authority.startsWith('[')) return [authority, undefined];
  const m = /^(?<host>[^:]+|\[.+\])(?::(?<port>\d+))?$/.exec(authority);
  if (m === null) return [authority, undefined];
  const host = m.groups!.host!.replace(/^\[(.*)\]$/, '$1');
  const port = m.groups!.port === undefined ? undefined : Number(m.groups!.port);
  if (port !== undefined && port > 65535) return [authority, undefined];
  return [host, port];
}

/** The Host header on HTTP/1, the `:authority` (else Host) on HTTP/2 and later. */
function hostHeader(request: RequestState): string | undefined {
  const header = headerValue(request, 'host');
  const value = request.httpVersion.startsWith('HTTP/1') ? header : request.authority || header;
  return value === undefined || value === '' ? undefined : text(value);
}

function prettyHost(request: RequestState): string {
  const authority = hostHeader(request);
  return authority === undefined ? request.host : parseAuthority(authority)[0];
}

function prettyUrl(request: RequestState): string {
  const scheme = text(request.scheme);
  const path = request.path === '*' ? '' : text(request.path);
  if (request.method.toUpperCase() === 'CONNECT') return text(request.authority);
  const authority = hostHeader(request);
  if (authority === undefined) return `${scheme}://${hostPort(scheme, request.host, request.port)}${path}`;
  const [host, port] = parseAuthority(authority);
  return `${scheme}://${hostPort(scheme, host, port ?? DEFAULT_PORTS[scheme] ?? 443)}${path}`;
}

function address(value: Address | null): string | undefined {
  return value === null ? undefined : `${value[0]}:${value[1]}`;
}

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
function pyStr(value: StateValue): string {
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

// DNS record types mitmproxy renders as text; others render as 0x + hex.
const DNS_TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 12: 'PTR', 16: 'TXT', 28: 'AAAA' };

function domainName(data: Uint8Array): string {
  const labels: string[] = [];
  let at = 0;
  for (;;) {
    const length = data[at];
    if (length === undefined || length > 63 || at + 1 + length > data.length) throw new RangeError('bad name');
    if (length === 0) break;
    labels.push(Buffer.from(data.subarray(at + 1, at + 1 + length)).toString('utf8'));
    at += 1 + length;
  }
  if (at + 1 !== data.length) throw new RangeError('bad name');
  return labels.join('.');
}

/** Python's compressed IPv6 notation (the longest run of two or more zero groups becomes `::`). */
function ipv6(data: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((data[2 * i]! << 8) | data[2 * i + 1]!).toString(16));
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best[1]! && j - i > 1) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best[0]! < 0) return groups.join(':');
  const head = groups.slice(0, best[0]).join(':');
  const tail = groups.slice(best[0]! + best[1]!).join(':');
  return `${head}::${tail}`;
}

function recordText(record: Extra): string {
  const data = record.data instanceof Uint8Array ? record.data : new Uint8Array(0);
  const type = Number(record.type);
  const hexData = `0x${Buffer.from(data).toString('hex')}`;
  const name = DNS_TYPES[type];
  if (name === undefined) return hexData;
  try {
    if (name === 'A' && data.length === 4) return Array.from(data).join('.');
    if (name === 'AAAA' && data.length === 16) return ipv6(data);
    if (name === 'NS' || name === 'CNAME' || name === 'PTR') return domainName(data);
    if (name === 'TXT') return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    // rendered as invalid below
  }
  return `${hexData} (invalid ${name} data)`;
}

/** A DNS message as mitmproxy's filters see it: questions and records, one per line (CRLF). */
function dnsText(message: Extra): string {
  const list = (key: string): Extra[] => (Array.isArray(message[key]) ? (message[key] as Extra[]) : []);
  const lines = [
    ...list('questions').map((q) => String(q.name)),
    ...['answers', 'authorities', 'additionals'].flatMap((key) => list(key).map(recordText)),
  ];
  return binary(Buffer.from(lines.join('\r\n'), 'utf8'));
}

type Side = 'request' | 'response';

/** What operators derive from one side of a flow, each on first use. */
interface SideMemo {
  headerBlock?: string | null;
  contentTypes?: string[];
  body?: string | null;
  dnsText?: string | null;
}

/**
 * One flow as the operators see it. Values are derived on first use and kept in plain fields (a filter runs
 * once per flow of an archive: a Map and key strings per evaluation cost more than most operators).
 */
export class Subject {
  readonly state: FlowState;
  #type: FlowState['type'] | undefined;
  #request: RequestState | undefined;
  #response: ResponseState | Extra | null | undefined;
  #websocket: WebSocketState | null | undefined;
  #prettyHost: string | undefined;
  #prettyUrl: string | undefined;
  #metadataText: string | undefined;
  #requestSide: SideMemo | undefined;
  #responseSide: SideMemo | undefined;

  constructor(state: FlowState) {
    this.state = state;
  }

  get type(): FlowState['type'] {
    return (this.#type ??= this.state.type);
  }

  get isHttp(): boolean {
    return this.type === 'http';
  }

  /** HTTP flows: the request. */
  get request(): RequestState {
    return (this.#request ??= (this.state as HttpFlowState).request);
  }

  /** HTTP and DNS flows: the response, or null. */
  get response(): ResponseState | Extra | null {
    if (this.#response === undefined) this.#response = this.state.response ?? null;
    return this.#response;
  }

  get httpResponse(): ResponseState | null {
    return this.isHttp ? (this.response as ResponseState | null) : null;
  }

  get websocket(): WebSocketState | null {
    if (this.#websocket === undefined) this.#websocket = this.isHttp ? (this.state.websocket ?? null) : null;
    return this.#websocket;
  }

  get messages(): StreamMessageState[] {
    return this.state.messages ?? [];
  }

  #side(side: Side): SideMemo {
    return side === 'request' ? (this.#requestSide ??= {}) : (this.#responseSide ??= {});
  }

  /** An HTTP message of one side, or null. */
  #message(side: Side): MessageState | null {
    return side === 'request' ? this.request : this.httpResponse;
  }

  headerBlock(side: Side): string | null {
    const memo = this.#side(side);
    if (memo.headerBlock === undefined) {
      const message = this.#message(side);
      memo.headerBlock = message === null ? null : headerBlock(message.headers);
    }
    return memo.headerBlock;
  }

  /** Content-Type values of one side (every field named content-type, any case). */
  contentTypes(side: Side): string[] {
    const memo = this.#side(side);
    if (memo.contentTypes === undefined) {
      const message = this.#message(side);
      memo.contentTypes = message === null ? [] : headerValues(message, 'content-type');
    }
    return memo.contentTypes;
  }

  /** The decoded body of one side of an HTTP flow (binary string), or null when not captured or absent. */
  body(side: Side): string | null {
    const memo = this.#side(side);
    if (memo.body === undefined) {
      const message = this.#message(side);
      memo.body = message === null ? null : decodedBody(message);
    }
    return memo.body;
  }

  /** The text of one side of a DNS flow (binary string of its UTF-8), or null when absent. */
  dnsText(side: Side): string | null {
    const memo = this.#side(side);
    if (memo.dnsText === undefined) {
      const message = side === 'request' ? this.state.request : this.state.response;
      memo.dnsText = message === null || message === undefined ? null : dnsText(message as Extra);
    }
    return memo.dnsText;
  }

  get prettyHost(): string {
    return (this.#prettyHost ??= prettyHost(this.request));
  }

  get prettyUrl(): string {
    return (this.#prettyUrl ??= prettyUrl(this.request));
  }

  /** DNS flows: the name of the first question. */
  get firstQuestion(): string | undefined {
    const questions = (this.state.request as Extra | undefined)?.questions;
    return Array.isArray(questions) && questions.length > 0 ? String((questions[0] as Extra).name) : undefined;
  }

  get source(): string | undefined {
    return address(this.state.clientConn.peername);
  }

  get destination(): string | undefined {
    return address(this.state.serverConn.address);
  }

  /** Metadata as `key: value` lines, values as Python's str() shows them. */
  get metadataText(): string {
    return (this.#metadataText ??= Object.entries(this.state.metadata)
      .map(([key, value]) => `${key}: ${pyStr(value)}`)
      .join('\n'));
  }
}
