// mitmproxy flow state (format 21, snake_case, bytes and text kept apart) ⇄ flowtx's FlowState. Fields the
// model has no name for go to `extra` and come back out. Dicts are built in mitmproxy's state order; the
// tnetstring writer reverses it, as mitmproxy's does, which gives mitmproxy's bytes (§3.9 of the spec).

import type {
  Address,
  ClientConnState,
  Extra,
  FlowState,
  MessageState,
  RequestState,
  ResponseState,
  ServerConnState,
  StateValue,
  StreamMessageState,
  WebSocketMessageState,
  WebSocketState,
} from '../../model/state.js';
import type { HeaderField } from '../../model/headers.js';
import { isDict, legacyOf, setLegacy, type Dict } from './migrate.js';
import { Latin1Bytes, latin1At, PyFloat, type TValue } from './tnetstring.js';
import { setOwn } from '../../model/own.js';
import { expectShape, ShapeError, showKind } from '../../model/shape.js';
import { lenientUtf8 } from '../../model/utf8.js';

/**
 * The paths of the float fields that the file held as integers (mitmproxy writes whatever number type it
 * had: test fixtures use ints for timestamps). Kept on the state, invisible to other codecs, so that a
 * changed flow written back still has them as integers. Every conversion is handed the flow's set (`ints`):
 * reading adds to it, writing consults it.
 */
export const INT_PATHS = Symbol('mitmproxy integer timestamps');

// ---- reading -------------------------------------------------------------------------------------------

/** A byte string field (method, path, header…) as a latin1 string; text is accepted as mitmproxy does. */
function bytesField(v: TValue | undefined, path: string): string {
  if (v instanceof Uint8Array) return latin1At(v, 0, v.byteLength);
  if (typeof v === 'string') return v;
  throw new ShapeError(path, 'bytes', describe(v));
}

function textField(v: TValue | undefined, path: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return lenientUtf8.decode(v);
  throw new ShapeError(path, 'text', describe(v));
}

/** How a field is read: `ints` collects the paths of the integer timestamps. */
type Read<T> = (v: TValue | undefined, path: string, ints: Set<string>) => T;

const optional =
  <A extends unknown[], T>(read: (v: TValue | undefined, ...rest: A) => T) =>
  (v: TValue | undefined, ...rest: A): T | null =>
    v === null || v === undefined ? null : read(v, ...rest);

function numberField(v: TValue | undefined, path: string, ints: Set<string>): number {
  if (typeof v === 'number') {
    ints.add(path);
    return v;
  }
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  throw new ShapeError(path, 'a number', describe(v));
}

function boolField(v: TValue | undefined, path: string): boolean {
  if (typeof v === 'boolean') return v;
  throw new ShapeError(path, 'a boolean', describe(v));
}

/** Values as mitmproxy's dicts and lists hold them. */
const describe = showKind('a dict');

const dictField = (v: TValue | undefined, path: string): Dict => expectShape(isDict(v), v, path, 'a dict', describe);
const listField = (v: TValue | undefined, path: string): TValue[] => expectShape(Array.isArray(v), v, path, 'a list', describe);

function headerFields(v: TValue | undefined, path: string): HeaderField[] {
  return listField(v, path).map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new ShapeError(`${path}[${i}]`, 'a [name, value] pair', describe(pair), `${path}[${i}] is not a [name, value] pair`);
    const [name, value] = pair;
    // Paths are built only for the message: headers are the bulk of a flow's fields.
    if (name instanceof Uint8Array && value instanceof Uint8Array) return [latin1At(name, 0, name.byteLength), latin1At(value, 0, value.byteLength)];
    return [bytesField(name, `${path}[${i}][0]`), bytesField(value, `${path}[${i}][1]`)];
  });
}

function address(v: TValue | undefined, path: string, ints: Set<string>): Address | null {
  if (v === null || v === undefined) return null;
  const list = listField(v, path);
  if (list.length < 2) throw new ShapeError(path, 'a [host, port] address', describe(list), `${path} is not a [host, port] address`);
  return [textField(list[0], `${path}[0]`), ...list.slice(1).map((n, i) => numberField(n, `${path}[${i + 1}]`, ints))] as Address;
}

/** Plain data (metadata, backup, DNS messages): floats are numbers, everything else as read. */
function plain(v: TValue): StateValue {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (isDict(v)) {
    const out: Record<string, StateValue> = {};
    for (const [k, value] of Object.entries(v)) setOwn(out, k, plain(value));
    return out;
  }
  return v as StateValue;
}

/** A backup (an earlier state of the flow) as plain data, noting which of its numbers were integers. */
function backupFrom(v: TValue, path: string, ints: Set<string>): StateValue {
  if (typeof v === 'number') ints.add(path);
  if (Array.isArray(v)) return v.map((x, i) => backupFrom(x, `${path}[${i}]`, ints));
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, backupFrom(x, `${path}.${k}`, ints)]));
  return plain(v);
}

/**
 * The keys `known` does not list, kept as `extra.mitmproxy` (undefined when there are none). Only these are
 * written back: mitmproxy's loaders reject keys they do not know, so extras of other formats stay out.
 */
function extraOf(d: Dict, known: readonly string[]): Extra | undefined {
  const unknown = Object.keys(d).filter((k) => !known.includes(k));
  if (unknown.length === 0) return undefined;
  return { mitmproxy: Object.fromEntries(unknown.map((k) => [k, plain(d[k]!)])) };
}

function withExtra<T extends object>(value: T, extra: Extra | undefined): T {
  if (extra !== undefined) (value as T & { extra?: Extra }).extra = extra;
  return value;
}

const CONNECTION_KEYS = ['id', 'peername', 'sockname', 'transport_protocol', 'error', 'tls', 'certificate_list', 'alpn', 'alpn_offers', 'cipher', 'cipher_list', 'tls_version', 'sni', 'timestamp_start', 'timestamp_end', 'timestamp_tls_setup'] as const;
const CLIENT_KEYS = [...CONNECTION_KEYS, 'mitmcert', 'proxy_mode'];
const SERVER_KEYS = [...CONNECTION_KEYS, 'address', 'timestamp_tcp_setup', 'via'];

function connectionFrom(d: Dict, path: string, ints: Set<string>) {
  const bytesList = (v: TValue | undefined, p: string): string[] => listField(v ?? [], p).map((x, i) => bytesField(x, `${p}[${i}]`));
  const textList = (v: TValue | undefined, p: string): string[] => listField(v ?? [], p).map((x, i) => textField(x, `${p}[${i}]`));
  const protocol = d.transport_protocol === undefined ? 'tcp' : textField(d.transport_protocol, `${path}.transport_protocol`);
  return {
    id: textField(d.id, `${path}.id`),
    peername: address(d.peername, `${path}.peername`, ints),
    sockname: address(d.sockname, `${path}.sockname`, ints),
    transportProtocol: protocol === 'udp' ? ('udp' as const) : ('tcp' as const),
    error: optional(textField)(d.error, `${path}.error`),
    tls: boolField(d.tls ?? false, `${path}.tls`),
    certificateList: bytesList(d.certificate_list, `${path}.certificate_list`),
    alpn: optional(bytesField)(d.alpn, `${path}.alpn`),
    alpnOffers: bytesList(d.alpn_offers, `${path}.alpn_offers`),
    cipher: optional(textField)(d.cipher, `${path}.cipher`),
    cipherList: textList(d.cipher_list, `${path}.cipher_list`),
    tlsVersion: optional(textField)(d.tls_version, `${path}.tls_version`),
    sni: optional(textField)(d.sni, `${path}.sni`),
    timestampStart: optional(numberField)(d.timestamp_start, `${path}.timestamp_start`, ints),
    timestampEnd: optional(numberField)(d.timestamp_end, `${path}.timestamp_end`, ints),
    timestampTlsSetup: optional(numberField)(d.timestamp_tls_setup, `${path}.timestamp_tls_setup`, ints),
  };
}

function clientFrom(v: TValue | undefined, ints: Set<string>): ClientConnState {
  const d = dictField(v, 'client_conn');
  return withExtra(
    { ...connectionFrom(d, 'client_conn', ints), mitmcert: optional(bytesField)(d.mitmcert, 'client_conn.mitmcert'), proxyMode: d.proxy_mode === undefined ? 'regular' : textField(d.proxy_mode, 'client_conn.proxy_mode') },
    extraOf(d, CLIENT_KEYS),
  );
}

function serverFrom(v: TValue | undefined, ints: Set<string>): ServerConnState {
  const d = dictField(v, 'server_conn');
  let via: ServerConnState['via'] = null;
  if (Array.isArray(d.via) && d.via.length === 2) via = [textField(d.via[0], 'server_conn.via[0]'), address(d.via[1], 'server_conn.via[1]', ints)!];
  return withExtra(
    { ...connectionFrom(d, 'server_conn', ints), address: address(d.address, 'server_conn.address', ints), timestampTcpSetup: optional(numberField)(d.timestamp_tcp_setup, 'server_conn.timestamp_tcp_setup', ints), via },
    extraOf(d, SERVER_KEYS),
  );
}

function body(v: TValue | undefined, path: string): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8'); // text bodies in old files
  throw new ShapeError(path, 'bytes', describe(v));
}

type MessageMember = keyof RequestState | keyof ResponseState;

/** One field of a flow or of a message: its key in the file, its member in the model, and both conversions. */
export interface StateField {
  readonly key: string;
  readonly member: string;
  /** Where it is in the flow (`request.headers`), for messages and integer timestamps. */
  readonly path: string;
  /** `ints`: the flow's integer timestamps, which reading adds to and writing keeps integers. */
  read(v: TValue | undefined, ints: Set<string>): unknown;
  write(value: unknown, ints: Set<string>): TValue;
  /** What the field holds when it is well formed, for readers that skip the general parser. */
  readonly shape?: FieldShape;
}

/**
 * What a field most often holds: byte strings (text is accepted too: the value is its latin1 or UTF-8
 * text), text (the string the field's read() is given), header lists. Flows have more of these than of
 * anything else, and a filter reads the flow type of every flow.
 */
export type FieldShape = 'bytes' | 'text' | 'headers';

type FieldSpec = [key: string, member: string, read: Read<unknown>, write: (value: never, path: string, ints: Set<string>) => TValue, shape?: FieldShape];

const MESSAGE_SPECS: FieldSpec[] = [
  ['http_version', 'httpVersion', bytesField, bytes, 'bytes'],
  ['headers', 'headers', headerFields, fieldsValue, 'headers'],
  ['content', 'content', body, (content: Uint8Array | null) => content],
  ['trailers', 'trailers', optional(headerFields), (t: HeaderField[] | null) => (t === null ? null : fieldsValue(t))],
  ['timestamp_start', 'timestampStart', (v, p, ints) => numberField(v ?? 0, p, ints), float],
  ['timestamp_end', 'timestampEnd', optional(numberField), float],
];

function fields(part: string, specs: FieldSpec[]): readonly StateField[] {
  return specs.map(([key, member, read, write, shape]) => {
    const path = part === '' ? key : `${part}.${key}`;
    return { key, member, path, read: (v, ints) => read(v, path, ints), write: (value, ints) => write(value as never, path, ints), shape };
  });
}

/** A request's fields in mitmproxy's state order. */
export const REQUEST_FIELDS = fields('request', [
  ...MESSAGE_SPECS,
  ['host', 'host', bytesField, (host: string) => host, 'bytes'],
  ['port', 'port', numberField, (port: number) => port],
  ['method', 'method', bytesField, bytes, 'bytes'],
  ['scheme', 'scheme', bytesField, bytes, 'bytes'],
  ['authority', 'authority', (v, p) => (v === undefined ? '' : bytesField(v, p)), bytes, 'bytes'],
  ['path', 'path', bytesField, bytes, 'bytes'],
]);

/** A response's fields in mitmproxy's state order. */
export const RESPONSE_FIELDS = fields('response', [
  ...MESSAGE_SPECS,
  ['status_code', 'statusCode', numberField, (code: number) => code],
  ['reason', 'reason', (v, p) => bytesField(v ?? new Uint8Array(0), p), bytes, 'bytes'],
]);

function messageFrom<T>(d: Dict, messageFields: readonly StateField[], ints: Set<string>): T {
  const m: Record<string, unknown> = {};
  for (const field of messageFields) m[field.member] = field.read(d[field.key], ints);
  return withExtra(m, extraOf(d, messageFields.map((f) => f.key))) as T;
}

function requestFrom(v: TValue | undefined, ints: Set<string>): RequestState {
  return messageFrom(dictField(v, 'request'), REQUEST_FIELDS, ints);
}

function responseFrom(v: TValue | undefined, ints: Set<string>): ResponseState | null {
  if (v === null || v === undefined) return null;
  return messageFrom(dictField(v, 'response'), RESPONSE_FIELDS, ints);
}

const WEBSOCKET_KEYS = ['messages', 'closed_by_client', 'close_code', 'close_reason', 'timestamp_end'];

function websocketFrom(v: TValue | undefined, ints: Set<string>): WebSocketState | null {
  if (v === null || v === undefined) return null;
  const d = dictField(v, 'websocket');
  const messages = listField(d.messages, 'websocket.messages').map((m, i): WebSocketMessageState => {
    const p = `websocket.messages[${i}]`;
    const [type, fromClient, content, timestamp, dropped = false, injected = false] = listField(m, p);
    return {
      type: numberField(type, `${p}[0]`, ints),
      fromClient: boolField(fromClient, `${p}[1]`),
      content: body(content, `${p}[2]`) ?? new Uint8Array(0),
      timestamp: numberField(timestamp, `${p}[3]`, ints),
      dropped: boolField(dropped, `${p}[4]`),
      injected: boolField(injected, `${p}[5]`),
    };
  });
  return withExtra(
    {
      messages,
      closedByClient: d.closed_by_client === null || d.closed_by_client === undefined ? null : boolField(d.closed_by_client, 'websocket.closed_by_client'),
      closeCode: optional(numberField)(d.close_code, 'websocket.close_code', ints),
      closeReason: optional(textField)(d.close_reason, 'websocket.close_reason'),
      timestampEnd: optional(numberField)(d.timestamp_end, 'websocket.timestamp_end', ints),
    },
    extraOf(d, WEBSOCKET_KEYS),
  );
}

function streamMessages(v: TValue | undefined, ints: Set<string>): StreamMessageState[] {
  return listField(v, 'messages').map((m, i) => {
    const [fromClient, content, timestamp] = listField(m, `messages[${i}]`);
    return { fromClient: boolField(fromClient, `messages[${i}][0]`), content: body(content, `messages[${i}][1]`) ?? new Uint8Array(0), timestamp: numberField(timestamp, `messages[${i}][2]`, ints) };
  });
}

/** Dicts of mitmproxy objects kept as plain data, turned back into state order (files hold it reversed). */
function stateOrder(value: TValue): TValue {
  if (Array.isArray(value)) return value.map(stateOrder);
  if (isDict(value)) return Object.fromEntries(Object.entries(value).reverse().map(([k, x]) => [k, stateOrder(x)]));
  return value;
}

function dnsMessage(v: TValue | undefined): Extra | null {
  if (v === null || v === undefined) return null;
  return plain(stateOrder(dictField(v, 'dns message'))) as Extra;
}

/** The keys of every flow type (the type's own follow in TYPE_KEYS). */
export const SHELL_KEYS = ['version', 'type', 'id', 'error', 'client_conn', 'server_conn', 'intercepted', 'is_replay', 'marked', 'metadata', 'comment', 'timestamp_created', 'backup'];
const TYPE_KEYS: Record<string, readonly string[]> = { http: ['request', 'response', 'websocket'], tcp: ['messages'], udp: ['messages'], dns: ['request', 'response'] };

/** The parts of an HTTP flow a codec may decode only when asked for (mitmproxy keys). */
export const HTTP_PARTS = ['client_conn', 'server_conn', 'request', 'response', 'websocket'] as const;
export type HttpPart = (typeof HTTP_PARTS)[number];

/** One HTTP part of a version-21 state dict as the FlowState member it becomes. */
export function httpPartFrom(key: HttpPart, value: TValue | undefined, ints: Set<string>): unknown {
  switch (key) {
    case 'client_conn':
      return clientFrom(value, ints);
    case 'server_conn':
      return serverFrom(value, ints);
    case 'request':
      return requestFrom(value, ints);
    case 'response':
      return responseFrom(value, ints);
    case 'websocket':
      return websocketFrom(value, ints);
  }
}

/** The FlowState member each HTTP part becomes. */
export const MEMBER_OF: Record<HttpPart, 'clientConn' | 'serverConn' | 'request' | 'response' | 'websocket'> = {
  client_conn: 'clientConn',
  server_conn: 'serverConn',
  request: 'request',
  response: 'response',
  websocket: 'websocket',
};

function flowType(v: TValue | undefined, path: string): string {
  const type = textField(v, path);
  if (TYPE_KEYS[type] === undefined) throw new ShapeError(path, 'a known flow type', JSON.stringify(type), `unknown flow type "${type}"`);
  return type;
}

function errorFrom(v: TValue | undefined, _path: string, ints: Set<string>): FlowState['error'] {
  if (v === null || v === undefined) return null;
  const error = dictField(v, 'error');
  return { msg: textField(error.msg, 'error.msg'), timestamp: numberField(error.timestamp, 'error.timestamp', ints) };
}

function replayFrom(v: TValue | undefined, path: string): FlowState['isReplay'] {
  const replay = v === null || v === undefined ? null : textField(v, path);
  return replay === 'request' || replay === 'response' ? replay : null;
}

/** The fields every flow has besides its parts, in the model's order. */
export const SHELL_FIELDS = fields('', [
  ['id', 'id', textField, (id: string) => id, 'text'],
  ['type', 'type', flowType, (type: string) => type, 'text'],
  ['error', 'error', errorFrom, (e: FlowState['error'], _p, ints) => (e === null ? null : { msg: e.msg, timestamp: float(e.timestamp, 'error.timestamp', ints) })],
  ['intercepted', 'intercepted', (v, p) => boolField(v ?? false, p), (b: boolean) => b],
  ['is_replay', 'isReplay', replayFrom, (r: string | null) => r],
  ['marked', 'marked', (v, p) => (typeof v === 'boolean' ? (v ? ':default:' : '') : textField(v ?? '', p)), (m: string) => m],
  ['metadata', 'metadata', (v) => (isDict(v) ? plain(v) : {}), (m: StateValue) => toValue(m)],
  ['comment', 'comment', (v, p) => textField(v ?? '', p), (c: string) => c, 'text'],
  ['timestamp_created', 'timestampCreated', (v, p, ints) => numberField(v ?? 0, p, ints), float],
  ['backup', 'backup', (v, p, ints) => (v === undefined ? null : backupFrom(stateOrder(v), p, ints)), backupTo],
]);

/** Marks `state` as holding the integer timestamps `ints` (toMitmproxy writes those back as integers). */
export function setIntPaths(state: object, ints: Set<string>): void {
  Object.defineProperty(state, INT_PATHS, { value: ints, enumerable: false });
}

/**
 * Everything of a version-21 state dict but the parts (connections, request, response, …), which the
 * caller adds; `ints` collects the integer timestamps of the whole flow.
 */
export function flowShellFrom(d: Dict, ints: Set<string>): FlowState {
  flowType(d.type, 'type'); // an unknown type is the first thing to say
  const state: Record<string, unknown> = {};
  for (const field of SHELL_FIELDS) state[field.member] = field.read(d[field.key], ints);
  setIntPaths(state, ints);
  setLegacy(state, legacyOf(d));
  return withExtra(state, extraOf(d, [...SHELL_KEYS, ...TYPE_KEYS[state.type as string]!])) as unknown as FlowState;
}

/** A version-21 state dict → FlowState. */
export function fromMitmproxy(d: Dict): FlowState {
  const ints = new Set<string>();
  const state = flowShellFrom(d, ints);
  const parts: readonly HttpPart[] = state.type === 'http' ? HTTP_PARTS : ['client_conn', 'server_conn'];
  for (const key of parts) (state as unknown as Record<string, unknown>)[MEMBER_OF[key]] = httpPartFrom(key, d[key], ints);
  if (state.type === 'dns') {
    state.request = dnsMessage(d.request) ?? {};
    state.response = dnsMessage(d.response);
  } else if (state.type !== 'http') {
    state.messages = streamMessages(d.messages, ints);
  }
  return state;
}

// ---- writing -------------------------------------------------------------------------------------------

function bytes(s: string): Latin1Bytes {
  return new Latin1Bytes(s);
}

/** A float field: written as a float unless the file had it as an integer (and it still is one). */
function float(n: number | null, path: string, ints: Set<string>): TValue {
  return n === null ? null : Number.isInteger(n) && ints.has(path) ? n : new PyFloat(n);
}
const text = (s: string | null): TValue => s;

function toValue(v: StateValue | undefined): TValue {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(toValue);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toValue(x)]));
  }
  return v;
}

/** The integer paths of a state not read from a flow file (NDJSON, msgpack, a script's): none are known. */
const UNKNOWN_INTS: Set<string> = new Set();

/** The numbers mitmproxy's schema holds as floats: timestamps, also those inside WebSocket and TCP/UDP messages. */
const FLOAT_PATH = /\.timestamp[a-z_]*$|\.websocket\.messages\[\d+\]\[3\]$|^backup\.messages\[\d+\]\[2\]$/;

/**
 * A backup back to tnetstring values. Read from a flow file, an integral number the file did not hold as
 * an integer is a float; from another format (JSON and msgpack numbers do not say), mitmproxy's schema
 * decides, so a port stays `443` and a timestamp becomes `1700000000.0`.
 */
function backupTo(v: StateValue, path: string, ints: Set<string>): TValue {
  if (typeof v === 'number') {
    const float = ints === UNKNOWN_INTS ? FLOAT_PATH.test(path) : !ints.has(path);
    return Number.isInteger(v) && float ? new PyFloat(v) : v;
  }
  if (Array.isArray(v)) return v.map((x, i) => backupTo(x, `${path}[${i}]`, ints));
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, backupTo(x, `${path}.${k}`, ints)]));
  }
  return v;
}

function addExtra(d: Dict, extra: Extra | undefined): Dict {
  const own = extra?.mitmproxy;
  if (own !== null && typeof own === 'object' && !Array.isArray(own) && !(own instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(own)) setOwn(d, k, toValue(v));
  }
  return d;
}

/** Names of the extra fields on `s` that came from other formats (they are not written). */
export function foreignExtras(s: FlowState): string[] {
  return Object.keys(s.extra ?? {}).filter((k) => k !== 'mitmproxy');
}

const addressValue = (a: Address | null): TValue => (a === null ? null : [...a]);

function connectionTo(c: ClientConnState | ServerConnState, path: string, ints: Set<string>): Dict {
  return {
    peername: addressValue(c.peername),
    sockname: addressValue(c.sockname),
    id: c.id,
    transport_protocol: c.transportProtocol,
    error: text(c.error),
    tls: c.tls,
    certificate_list: c.certificateList.map(bytes),
    alpn: c.alpn === null ? null : bytes(c.alpn),
    alpn_offers: c.alpnOffers.map(bytes),
    cipher: text(c.cipher),
    cipher_list: [...c.cipherList],
    tls_version: text(c.tlsVersion),
    sni: text(c.sni),
    timestamp_start: float(c.timestampStart, `${path}.timestamp_start`, ints),
    timestamp_end: float(c.timestampEnd, `${path}.timestamp_end`, ints),
    timestamp_tls_setup: float(c.timestampTlsSetup, `${path}.timestamp_tls_setup`, ints),
  };
}

function clientTo(c: ClientConnState, ints: Set<string>): Dict {
  return addExtra({ ...connectionTo(c, 'client_conn', ints), mitmcert: c.mitmcert === null ? null : bytes(c.mitmcert), proxy_mode: c.proxyMode }, c.extra);
}

function serverTo(c: ServerConnState, ints: Set<string>): Dict {
  return addExtra(
    { ...connectionTo(c, 'server_conn', ints), address: addressValue(c.address), timestamp_tcp_setup: float(c.timestampTcpSetup, 'server_conn.timestamp_tcp_setup', ints), via: c.via === null ? null : [c.via[0], [...c.via[1]]] },
    c.extra,
  );
}

function fieldsValue(headers: HeaderField[]): TValue {
  return headers.map(([n, v]) => [bytes(n), bytes(v)]);
}

function messageTo(m: MessageState, messageFields: readonly StateField[], ints: Set<string>): Dict {
  const d: Dict = {};
  for (const field of messageFields) d[field.key] = field.write((m as unknown as Record<string, unknown>)[field.member], ints);
  return addExtra(d, m.extra);
}

function requestTo(r: RequestState, ints: Set<string>): Dict {
  return messageTo(r, REQUEST_FIELDS, ints);
}

function responseTo(r: ResponseState | null, ints: Set<string>): TValue {
  return r === null ? null : messageTo(r, RESPONSE_FIELDS, ints);
}

function websocketTo(w: WebSocketState | null | undefined, ints: Set<string>): TValue {
  if (w === null || w === undefined) return null;
  return addExtra(
    {
      messages: w.messages.map((m, i) => [m.type, m.fromClient, m.content, float(m.timestamp, `websocket.messages[${i}][3]`, ints), m.dropped, m.injected]),
      closed_by_client: w.closedByClient,
      close_code: w.closeCode,
      close_reason: w.closeReason,
      timestamp_end: float(w.timestampEnd, 'websocket.timestamp_end', ints),
    },
    w.extra,
  );
}

/** DNS message back to mitmproxy's shape; its timestamp is a float. */
function dnsTo(m: StateValue | undefined): TValue {
  if (m === null || m === undefined) return null;
  const d = toValue(m) as Dict;
  if (typeof d.timestamp === 'number') d.timestamp = new PyFloat(d.timestamp);
  return d;
}

/**
 * FlowState → a version-21 state dict, in mitmproxy's state order. The HTTP parts in `skip` are left out
 * (and not read: a lazily decoded part stays undecoded).
 */
export function toMitmproxy(s: FlowState, skip: ReadonlySet<string> = NOTHING): Dict {
  const ints = (s as FlowState & { [INT_PATHS]?: Set<string> })[INT_PATHS] ?? UNKNOWN_INTS;
  const d: Dict = { version: 21 };
  const shell = (key: string): void => {
    const field = SHELL_BY_KEY.get(key)!;
    if (!skip.has(key)) d[key] = field.write((s as unknown as Record<string, unknown>)[field.member], ints);
  };
  for (const key of ['type', 'id', 'error']) shell(key);
  if (!skip.has('client_conn')) d.client_conn = clientTo(s.clientConn, ints);
  if (!skip.has('server_conn')) d.server_conn = serverTo(s.serverConn, ints);
  for (const key of ['intercepted', 'is_replay', 'marked', 'metadata', 'comment', 'timestamp_created', 'backup']) shell(key);
  if (s.type === 'http') {
    if (!skip.has('request')) d.request = requestTo(s.request as RequestState, ints);
    if (!skip.has('response')) d.response = responseTo((s.response ?? null) as ResponseState | null, ints);
    if (!skip.has('websocket')) d.websocket = websocketTo(s.websocket, ints);
  } else if (s.type === 'dns') {
    d.request = dnsTo(s.request as StateValue);
    d.response = dnsTo(s.response as StateValue);
  } else {
    d.messages = (s.messages ?? []).map((m, i) => [m.fromClient, m.content, float(m.timestamp, `messages[${i}][2]`, ints)]);
  }
  setLegacy(d, legacyOf(s));
  return addExtra(d, s.extra);
}

const NOTHING: ReadonlySet<string> = new Set();
const SHELL_BY_KEY = new Map(SHELL_FIELDS.map((f) => [f.key, f]));
