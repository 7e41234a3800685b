// mitmproxy's flow-format migration chain: a record of any version mitmproxy reads (0.11 … 21) is upgraded
// one step at a time to version 21, as mitmproxy/io/compat.py does (specified in
// ../shared/docs/mitmproxy-format.md §4.3). The format version is not the release version: it changes
// whenever the state changes shape.
//
// Two steps need state across the records of one file (conn ids invented at 4→5, WebSocket flows merged into
// their handshake at 11→12): that state lives in a Migration, one per input.

import { randomUUID } from 'node:crypto';
import { lenientUtf8 } from '../../model/utf8.js';
import { FormatError } from '../fault.js';
import { PyFloat, type TValue } from './tnetstring.js';

export const LATEST = 21;

export type Dict = { [key: string]: TValue };

/**
 * Values that only versions before 20 have (a connection's `state`, a server `sni` of `true`), saved when
 * the migration drops them so that writing the flow back at its old version restores them. Kept under a
 * symbol: invisible to other formats and never written at version 20 or later.
 */
export const LEGACY = Symbol('mitmproxy legacy values');
export interface Legacy {
  clientState?: TValue;
  serverState?: TValue;
  serverSniTrue?: boolean;
}

export function legacyOf(d: object): Legacy | undefined {
  return (d as { [LEGACY]?: Legacy })[LEGACY];
}

export function setLegacy(d: object, legacy: Legacy | undefined): void {
  if (legacy !== undefined) Object.defineProperty(d, LEGACY, { value: legacy, enumerable: false, configurable: true });
}

const text = (v: TValue): TValue => (v instanceof Uint8Array ? lenientUtf8.decode(v) : v);
export const isDict = (v: TValue | undefined): v is Dict =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

/**
 * Python's truth test, which the converters apply to values (`[alpn] if alpn else None`): empty bytes,
 * text, lists and dicts are false as well as null, false and 0 (in JavaScript an empty Uint8Array is true).
 */
function truthy(v: TValue | undefined): boolean {
  if (v instanceof Uint8Array || typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return Boolean(v) && !(v instanceof PyFloat && v.value === 0);
}

function dict(v: TValue | undefined, what: string): Dict {
  if (!isDict(v)) throw new FormatError(`${what} is missing or not a dict`);
  return v;
}

/** "0.11" for the old tuple versions, the integer otherwise. */
export function versionOf(state: Dict): number | string {
  const v = state.version;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length >= 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return `${v[0]}.${v[1]}`;
  if (v === undefined) throw new FormatError('record has no "version"');
  throw new FormatError(`record has an invalid version ${JSON.stringify(v instanceof Uint8Array ? lenientUtf8.decode(v) : v)}`);
}

/** A deep copy that keeps PyFloat (structuredClone would turn it into a plain object). */
function clone(v: TValue): TValue {
  if (Array.isArray(v)) return v.map(clone);
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

function rename(d: Dict, from: string, to: string): void {
  if (from in d) {
    d[to] = d[from]!;
    delete d[from];
  }
}

/** The server connection and, while it existed (< 19), the upstream proxy connection nested in `via`. */
function serverConns(state: Dict): Dict[] {
  const server = dict(state.server_conn, 'server_conn');
  return isDict(server.via) ? [server, server.via] : [server];
}

function conns(state: Dict): Dict[] {
  return [dict(state.client_conn, 'client_conn'), ...serverConns(state)];
}

/** Turns bytes into text where Python 3 mitmproxy expects text (the 0.17 → 1.0 "unicode" steps). */
function convertUnicode(state: Dict): void {
  for (const key of ['type', 'id']) if (key in state) state[key] = text(state[key]!);
  if (isDict(state.request) && 'first_line_format' in state.request) state.request.first_line_format = text(state.request.first_line_format!);
  if (isDict(state.error) && 'msg' in state.error) state.error.msg = text(state.error.msg!);
}

function addressOnly(value: TValue | undefined): TValue {
  return isDict(value) ? (value.address ?? null) : (value ?? null);
}

export class Migration {
  readonly #clientIds = new Map<string, string>();
  readonly #serverIds = new Map<string, string>();
  readonly #handshakes = new Map<string, Dict>();

  /** Upgrades `state` in place (or replaces it, for the WebSocket merge) to version 21. */
  upgrade(input: Dict): Dict {
    let state = input;
    for (;;) {
      const version = versionOf(state);
      if (version === LATEST) return state;
      const step = this.#steps[String(version)];
      if (step === undefined) {
        const newer = typeof version === 'number' && version > LATEST;
        throw new FormatError(
          `cannot read flow format version ${typeof version === 'number' ? version : `(${version.replace('.', ', ')})`}${newer ? ': it is newer than this flowtx knows (21); please update flowtx' : ' (mitmproxy 0.10 and older files cannot be read)'}`,
        );
      }
      state = step(state) ?? state;
    }
  }

  readonly #steps: Record<string, (s: Dict) => Dict | void> = {
    '0.11': (s) => void (s.version = [0, 12]),
    '0.12': (s) => void (s.version = [0, 13]),
    '0.13': (s) => {
      const request = dict(s.request, 'request');
      const response = isDict(s.response) ? s.response : undefined;
      rename(request, 'form_in', 'first_line_format');
      const httpVersion = (v: TValue | undefined): Uint8Array => Buffer.from(`HTTP/${Array.isArray(v) ? v.join('.') : '1.1'}`);
      request.http_version = httpVersion(request.httpversion);
      delete request.httpversion;
      if (response !== undefined) {
        response.http_version = httpVersion(response.httpversion);
        delete response.httpversion;
        rename(response, 'code', 'status_code');
        rename(response, 'content', 'body');
      }
      const server = dict(s.server_conn, 'server_conn');
      delete server.state;
      server.via = null;
      s.version = [0, 14];
    },
    '0.14': (s) => void (s.version = [0, 15]),
    '0.15': (s) => {
      for (const key of ['request', 'response']) if (isDict(s[key])) rename(s[key] as Dict, 'body', 'content');
      if (isDict(s.response)) rename(s.response, 'msg', 'reason');
      if (isDict(s.request)) delete s.request.form_out;
      s.version = [0, 16];
    },
    '0.16': (s) => {
      dict(s.server_conn, 'server_conn').peer_address = null;
      s.version = [0, 17];
    },
    '0.17': (s) => {
      convertUnicode(s);
      const server = dict(s.server_conn, 'server_conn');
      server.ip_address = server.peer_address ?? null;
      delete server.peer_address;
      s.marked = false;
      s.version = [0, 18];
    },
    '0.18': (s) => {
      convertUnicode(s);
      if (isDict(s.request)) {
        delete s.request.stickyauth;
        delete s.request.stickycookie;
      }
      const client = dict(s.client_conn, 'client_conn');
      Object.assign(client, { sni: null, alpn_proto_negotiated: null, cipher_name: null, tls_version: null });
      for (const server of serverConns(s)) server.alpn_proto_negotiated = null;
      s.mode = 'regular';
      s.metadata = {};
      s.version = [0, 19];
    },
    '0.19': (s) => {
      convertUnicode(s);
      s.version = [1, 0, 0];
    },
    '1.0': (s) => {
      const client = dict(s.client_conn, 'client_conn');
      client.address = addressOnly(client.address);
      for (const server of serverConns(s)) {
        server.address = addressOnly(server.address);
        server.source_address = addressOnly(server.source_address);
        if (server.ip_address) server.ip_address = addressOnly(server.ip_address);
      }
      s.version = [2, 0, 0];
    },
    '2.0': (s) => {
      dict(s.client_conn, 'client_conn').mitmcert = null;
      for (const server of serverConns(s)) server.tls_version = null;
      s.version = [3, 0, 0];
    },
    '3.0': (s) => void (s.version = 4),
    4: (s) => {
      // Old files had no connection ids; one id per distinct (start time, address), shared across this input.
      const idFor = (ids: Map<string, string>, conn: Dict, address: TValue | undefined): string => {
        const key = JSON.stringify([conn.timestamp_start ?? null, address ?? null], (_k, v) => (v instanceof Uint8Array ? lenientUtf8.decode(v) : v));
        let id = ids.get(key);
        if (id === undefined) ids.set(key, (id = randomUUID()));
        return id;
      };
      const client = dict(s.client_conn, 'client_conn');
      client.id = idFor(this.#clientIds, client, client.address);
      for (const server of serverConns(s)) server.id = idFor(this.#serverIds, server, server.source_address);
      s.version = 5;
    },
    5: (s) => {
      for (const conn of conns(s)) {
        rename(conn, 'ssl_established', 'tls_established');
        rename(conn, 'timestamp_ssl_setup', 'timestamp_tls_setup');
      }
      s.version = 6;
    },
    6: (s) => {
      dict(s.client_conn, 'client_conn').tls_extensions = null;
      s.version = 7;
    },
    7: (s) => {
      if (isDict(s.request)) s.request.trailers = null;
      if (isDict(s.response)) s.response.trailers = null;
      s.version = 8;
    },
    8: (s) => {
      let replay: TValue = null;
      if (isDict(s.request)) {
        delete s.request.first_line_format;
        s.request.authority = new Uint8Array(0);
        if (s.request.is_replay) replay = 'request';
        delete s.request.is_replay;
      }
      if (isDict(s.response)) {
        if (replay === null && s.response.is_replay) replay = 'response';
        delete s.response.is_replay;
      }
      s.is_replay = replay;
      s.version = 9;
    },
    9: (s) => {
      const common = (conn: Dict): void => {
        conn.state = 0;
        conn.error = null;
        conn.tls = conn.tls_established ?? false;
        conn.alpn_offers = truthy(conn.alpn_proto_negotiated) ? [conn.alpn_proto_negotiated!] : null;
        conn.cipher_list = truthy(conn.cipher_name) ? [conn.cipher_name!] : null;
      };
      const client = dict(s.client_conn, 'client_conn');
      client.sockname = ['', 0];
      client.certificate_list = truthy(client.clientcert) ? [client.clientcert!] : [];
      delete client.clientcert;
      common(client);
      for (const server of serverConns(s)) {
        server.certificate_list = truthy(server.cert) ? [server.cert!] : [];
        delete server.cert;
        server.cipher_name = null;
        server.via2 = null;
        common(server);
      }
      s.version = 10;
    },
    10: (s) => {
      for (const conn of conns(s)) {
        if (conn.sni instanceof Uint8Array) conn.sni = Buffer.from(conn.sni).toString('ascii');
        rename(conn, 'alpn_proto_negotiated', 'alpn');
        if (!('alpn' in conn)) conn.alpn = null;
        conn.alpn_offers = conn.alpn_offers ?? [];
        conn.cipher_list = conn.cipher_list ?? [];
      }
      s.version = 11;
    },
    11: (s) => {
      const metadata = isDict(s.metadata) ? s.metadata : {};
      if ('websocket' in metadata) this.#handshakes.set(String(s.id), s);
      if (!('websocket_handshake' in metadata)) {
        s.websocket = null;
        s.version = 12;
        return s;
      }
      // An old WebSocket flow becomes a copy of its handshake flow carrying the messages.
      const ws = s;
      const handshakeId = String(text(metadata.websocket_handshake!));
      let merged = this.#handshakes.get(handshakeId);
      this.#handshakes.delete(handshakeId);
      if (merged === undefined) {
        merged = {
          client_conn: ws.client_conn!, error: ws.error ?? null, id: ws.id!, intercepted: ws.intercepted ?? false,
          is_replay: ws.is_replay ?? null, marked: ws.marked ?? false, metadata: {}, mode: 'transparent',
          request: {
            authority: new Uint8Array(0), content: null, headers: [], host: Buffer.from('unknown'), http_version: Buffer.from('HTTP/1.1'),
            method: Buffer.from('GET'), path: Buffer.from('/'), port: 80, scheme: Buffer.from('http'), timestamp_end: 0,
            timestamp_start: 0, trailers: null,
          },
          response: null, server_conn: ws.server_conn!, type: 'http', version: 12,
        };
      } else {
        merged = clone(merged) as Dict;
      }
      (merged.metadata as Dict).duplicated =
        'This WebSocket flow has been migrated from an old file format version and may appear duplicated.';
      const server = isDict(merged.server_conn) ? merged.server_conn : {};
      merged.websocket = {
        messages: ws.messages ?? [],
        closed_by_client: text(ws.close_sender ?? null) === 'client',
        close_code: ws.close_code ?? null,
        close_reason: ws.close_reason ?? null,
        timestamp_end: server.timestamp_end ?? null,
      };
      merged.version = 12;
      return merged;
    },
    12: (s) => {
      s.marked = s.marked ? ':default:' : '';
      s.version = 13;
    },
    13: (s) => {
      s.comment = '';
      if (isDict(s.response) && s.response.timestamp_start === null && isDict(s.request)) {
        const end = s.request.timestamp_end!;
        s.response.timestamp_start = end;
        s.response.timestamp_end = end instanceof PyFloat ? new PyFloat(end.value + 1) : (end as number) + 1;
      }
      s.version = 14;
    },
    14: (s) => {
      if (isDict(s.websocket) && Array.isArray(s.websocket.messages)) {
        s.websocket.messages = s.websocket.messages.map((m) => (Array.isArray(m) ? [...m, false] : m));
      }
      s.version = 15;
    },
    15: (s) => {
      const source = isDict(s.request) ? s.request : dict(s.client_conn, 'client_conn');
      s.timestamp_created = source.timestamp_start ?? 0;
      s.version = 16;
    },
    16: (s) => {
      delete s.mode;
      s.version = 17;
    },
    17: (s) => {
      dict(s.client_conn, 'client_conn').proxy_mode = 'regular';
      s.version = 18;
    },
    18: (s) => {
      const client = dict(s.client_conn, 'client_conn');
      const server = dict(s.server_conn, 'server_conn');
      rename(client, 'address', 'peername');
      if (client.timestamp_start === null) client.timestamp_start = 0;
      delete client.tls_extensions;
      rename(server, 'ip_address', 'peername');
      rename(server, 'source_address', 'sockname');
      server.via = server.via2 ?? null;
      delete server.via2;
      const host = (a: TValue | undefined): TValue =>
        Array.isArray(a) && a[0] instanceof Uint8Array ? [lenientUtf8.decode(a[0]), ...a.slice(1)] : (a ?? null);
      for (const conn of [client, server]) {
        delete conn.tls_established;
        rename(conn, 'cipher_name', 'cipher');
        if (!('cipher' in conn)) conn.cipher = null;
        if (!('transport_protocol' in conn)) conn.transport_protocol = 'tcp';
        for (const key of ['peername', 'sockname', 'address']) if (key in conn) conn[key] = host(conn[key]);
      }
      if (server.sni === true) {
        server.sni = Array.isArray(server.address) ? text(server.address[0]!) : null;
        setLegacy(s, { ...legacyOf(s), serverSniTrue: true });
      }
      s.version = 19;
    },
    19: (s) => {
      const client = dict(s.client_conn, 'client_conn');
      const server = dict(s.server_conn, 'server_conn');
      setLegacy(s, { ...legacyOf(s), clientState: client.state, serverState: server.state });
      for (const conn of conns(s)) delete conn.state;
      s.version = 20;
    },
    20: (s) => {
      for (const conn of conns(s)) if (conn.tls_version === 'QUIC') conn.tls_version = 'QUICv1';
      s.version = 21;
    },
  };
}
