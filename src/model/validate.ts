// Checks that data decoded from one of flowtx's own formats is a FlowState, field by field, and says
// which field is wrong. Throws ShapeError; the codec adds file, flow index and offset.

import { ShapeError, showJson } from './shape.js';
import type { FlowState, FlowType } from './state.js';

type Obj = Record<string, unknown>;

function fail(path: string, expected: string, value: unknown): never {
  throw new ShapeError(path, expected, showJson(value));
}

function obj(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail(path, 'an object', value);
  }
  return value as Obj;
}

function str(o: Obj, key: string, path: string): void {
  if (typeof o[key] !== 'string') fail(`${path}.${key}`, 'a string', o[key]);
}

function strOrNull(o: Obj, key: string, path: string): void {
  if (o[key] !== null && typeof o[key] !== 'string') fail(`${path}.${key}`, 'a string or null', o[key]);
}

function num(o: Obj, key: string, path: string): void {
  if (typeof o[key] !== 'number') fail(`${path}.${key}`, 'a number', o[key]);
}

function numOrNull(o: Obj, key: string, path: string): void {
  if (o[key] !== null && typeof o[key] !== 'number') fail(`${path}.${key}`, 'a number or null', o[key]);
}

function bool(o: Obj, key: string, path: string): void {
  if (typeof o[key] !== 'boolean') fail(`${path}.${key}`, 'a boolean', o[key]);
}

function bytesOrNull(o: Obj, key: string, path: string): void {
  if (o[key] !== null && !(o[key] instanceof Uint8Array)) fail(`${path}.${key}`, 'bytes or null', o[key]);
}

function fields(o: Obj, key: string, path: string, nullable: boolean): void {
  const list = o[key];
  if (nullable && list === null) return;
  if (!Array.isArray(list)) fail(`${path}.${key}`, 'a list of [name, value] pairs', list);
  list.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      fail(`${path}.${key}[${i}]`, 'a [name, value] pair of strings', pair);
    }
  });
}

function strings(o: Obj, key: string, path: string): void {
  const list = o[key];
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) fail(`${path}.${key}`, 'a list of strings', list);
}

function address(o: Obj, key: string, path: string, nullable: boolean): void {
  const a = o[key];
  if (nullable && a === null) return;
  if (!Array.isArray(a) || a.length < 2 || typeof a[0] !== 'string' || a.slice(1).some((n) => typeof n !== 'number')) {
    fail(`${path}.${key}`, nullable ? 'a [host, port] address or null' : 'a [host, port] address', a);
  }
}

function connection(value: unknown, path: string, client: boolean): void {
  const c = obj(value, path);
  str(c, 'id', path);
  address(c, 'peername', path, !client);
  address(c, 'sockname', path, !client);
  if (c.transportProtocol !== 'tcp' && c.transportProtocol !== 'udp') {
    fail(`${path}.transportProtocol`, '"tcp" or "udp"', c.transportProtocol);
  }
  strOrNull(c, 'error', path);
  bool(c, 'tls', path);
  strings(c, 'certificateList', path);
  strOrNull(c, 'alpn', path);
  strings(c, 'alpnOffers', path);
  strOrNull(c, 'cipher', path);
  strings(c, 'cipherList', path);
  strOrNull(c, 'tlsVersion', path);
  strOrNull(c, 'sni', path);
  (client ? num : numOrNull)(c, 'timestampStart', path);
  numOrNull(c, 'timestampEnd', path);
  numOrNull(c, 'timestampTlsSetup', path);
  if (client) {
    strOrNull(c, 'mitmcert', path);
    str(c, 'proxyMode', path);
  } else {
    address(c, 'address', path, true);
    numOrNull(c, 'timestampTcpSetup', path);
    if (c.via !== null && !Array.isArray(c.via)) fail(`${path}.via`, 'a [scheme, address] pair or null', c.via);
  }
}

function message(value: unknown, path: string): Obj {
  const m = obj(value, path);
  str(m, 'httpVersion', path);
  fields(m, 'headers', path, false);
  bytesOrNull(m, 'content', path);
  fields(m, 'trailers', path, true);
  num(m, 'timestampStart', path);
  numOrNull(m, 'timestampEnd', path);
  return m;
}

const TYPES: readonly FlowType[] = ['http', 'tcp', 'udp', 'dns'];

export function validateFlowState(value: unknown): FlowState {
  const f = obj(value, 'flow');
  str(f, 'id', 'flow');
  if (!TYPES.includes(f.type as FlowType)) fail('flow.type', '"http", "tcp", "udp" or "dns"', f.type);
  if (f.error !== null) {
    const e = obj(f.error, 'flow.error');
    str(e, 'msg', 'flow.error');
    num(e, 'timestamp', 'flow.error');
  }
  connection(f.clientConn, 'flow.clientConn', true);
  connection(f.serverConn, 'flow.serverConn', false);
  bool(f, 'intercepted', 'flow');
  if (f.isReplay !== null && f.isReplay !== 'request' && f.isReplay !== 'response') {
    fail('flow.isReplay', '"request", "response" or null', f.isReplay);
  }
  str(f, 'marked', 'flow');
  obj(f.metadata, 'flow.metadata');
  str(f, 'comment', 'flow');
  num(f, 'timestampCreated', 'flow');
  if (f.type === 'http') {
    const r = message(f.request, 'flow.request');
    for (const key of ['method', 'scheme', 'host', 'path', 'authority']) str(r, key, 'flow.request');
    num(r, 'port', 'flow.request');
    if (f.response !== null) {
      const s = message(f.response, 'flow.response');
      num(s, 'statusCode', 'flow.response');
      str(s, 'reason', 'flow.response');
    }
    if (f.websocket !== null) {
      const ws = obj(f.websocket, 'flow.websocket');
      if (!Array.isArray(ws.messages)) fail('flow.websocket.messages', 'a list', ws.messages);
    }
  } else if (f.type === 'dns') {
    obj(f.request, 'flow.request');
    if (f.response !== null) obj(f.response, 'flow.response');
  } else if (!Array.isArray(f.messages)) {
    fail('flow.messages', 'a list', f.messages);
  }
  return f as unknown as FlowState;
}
