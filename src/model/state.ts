// The flow's state: plain data (strings, numbers, booleans, null, arrays, objects, Uint8Array, bigint), the one
// serialisation seam between codecs and the model. Field for field it is mitmproxy's flow state (format 21)
// in camelCase. `extra` holds what a format carries that the model has no name for, so it is written back.

import type { HeaderField } from './headers.js';

/** The values with no parts: what state data holds at its leaves (bytes included). */
type StateLeaf = string | number | bigint | boolean | null | Uint8Array;

/** Anything a format may carry in metadata or `extra`: JSON plus bytes and big integers. */
export type StateValue = StateLeaf | StateValue[] | { [key: string]: StateValue };

export type Extra = Record<string, StateValue>;

/** A StateValue that may only be read. */
export type ReadonlyStateValue = StateLeaf | readonly ReadonlyStateValue[] | { readonly [key: string]: ReadonlyStateValue };

/** State as read-only views hand it out: read-only all the way down (bytes are leaves, as `content` is). */
export type ReadonlyState<T> = T extends StateLeaf | undefined
  ? T
  : T extends Extra
    ? { readonly [key: string]: ReadonlyStateValue }
    : { readonly [K in keyof T]: ReadonlyState<T[K]> };

/** An address as mitmproxy stores it: [host, port], IPv6 sometimes with flowinfo and scope id. */
export type Address = [host: string, port: number, ...rest: number[]];

export interface ConnectionState {
  id: string;
  peername: Address | null;
  sockname: Address | null;
  transportProtocol: 'tcp' | 'udp';
  error: string | null;
  tls: boolean;
  /** PEM documents of the peer's certificate chain. */
  certificateList: string[];
  alpn: string | null;
  alpnOffers: string[];
  cipher: string | null;
  cipherList: string[];
  tlsVersion: string | null;
  sni: string | null;
  timestampStart: number | null;
  timestampEnd: number | null;
  timestampTlsSetup: number | null;
  extra?: Extra;
}

export interface ClientConnState extends ConnectionState {
  mitmcert: string | null;
  proxyMode: string;
}

export interface ServerConnState extends ConnectionState {
  address: Address | null;
  timestampTcpSetup: number | null;
  via: [scheme: string, address: Address] | null;
}

export interface MessageState {
  httpVersion: string;
  headers: HeaderField[];
  /** The body as stored: content-encoding applied, no transfer framing. null = not captured. */
  content: Uint8Array | null;
  trailers: HeaderField[] | null;
  timestampStart: number;
  timestampEnd: number | null;
  extra?: Extra;
}

export interface RequestState extends MessageState {
  method: string;
  scheme: string;
  host: string;
  port: number;
  /** Path including the query string. */
  path: string;
  authority: string;
}

export interface ResponseState extends MessageState {
  statusCode: number;
  reason: string;
}

export interface FlowErrorState {
  msg: string;
  timestamp: number;
}

export interface WebSocketMessageState {
  /** 1 = text, 2 = binary. */
  type: number;
  fromClient: boolean;
  content: Uint8Array;
  timestamp: number;
  dropped: boolean;
  injected: boolean;
}

export interface WebSocketState {
  messages: WebSocketMessageState[];
  closedByClient: boolean | null;
  closeCode: number | null;
  closeReason: string | null;
  timestampEnd: number | null;
  extra?: Extra;
}

/** A TCP or UDP message. */
export interface StreamMessageState {
  fromClient: boolean;
  content: Uint8Array;
  timestamp: number;
}

export type FlowType = 'http' | 'tcp' | 'udp' | 'dns';

export interface FlowState {
  id: string;
  type: FlowType;
  error: FlowErrorState | null;
  clientConn: ClientConnState;
  serverConn: ServerConnState;
  intercepted: boolean;
  isReplay: 'request' | 'response' | null;
  marked: string;
  metadata: Record<string, StateValue>;
  comment: string;
  timestampCreated: number;
  /** An earlier state of this flow kept by mitmproxy's interactive edits; passed through untouched. */
  backup: StateValue;
  /** http and dns flows; a DNS message is kept as plain data. */
  request?: RequestState | Extra;
  response?: ResponseState | Extra | null;
  /** http flows. */
  websocket?: WebSocketState | null;
  /** tcp and udp flows. */
  messages?: StreamMessageState[];
  extra?: Extra;
}

export interface HttpFlowState extends FlowState {
  type: 'http';
  request: RequestState;
  response: ResponseState | null;
  websocket: WebSocketState | null;
}
