// The Flow: one HTTP exchange (or a TCP/UDP/DNS flow passed through untouched), as mitmproxy models it.
//
// Terminology used across flowtx:
//   origin — where a flow came from (a file path, "-" for stdin);
//   index  — 0-based position of a flow within its origin;
//   offset — 0-based byte position of a flow's record within its origin.

import { randomUUID } from 'node:crypto';
import { ChangeMark } from './change.js';
import { check, checkFields, DOMAINS, type Domain } from './domains.js';
import { newClientConn, newServerConn } from './connection.js';
import { Headers, type HeadersInit } from './headers.js';
import { headerValue, newHttpFlowState } from './http.js';
import { Request, Response } from './message.js';
import type {
  ClientConnState,
  Extra,
  FlowErrorState,
  FlowState,
  FlowType,
  HttpFlowState,
  RequestState,
  ResponseState,
  ServerConnState,
  StateValue,
  StreamMessageState,
  WebSocketState,
} from './state.js';
import { parseUrl } from './url.js';
import { setOwn } from './own.js';
import { Tracker, untracked } from './tracked.js';

export type FlowError = FlowErrorState;

const RESPONSE: Domain = { expected: 'a Response (makeResponse(…)) or null', accepts: (v) => v === null || v instanceof Response };
const WEBSOCKET: Domain = { expected: 'an object or null', accepts: (v) => v === null || (typeof v === 'object' && !Array.isArray(v)) };

export class Flow {
  readonly #state: FlowState;
  readonly #mark: ChangeMark;
  // Made on first use: a codec may decode parts of a flow only when they are asked for.
  #request: Request | undefined;
  #response: Response | null | undefined;
  // FlowView.of's memo (model/view.ts) and the change version it was made at.
  #view: object | undefined;
  #viewAt = -1;
  #tracker: Tracker | undefined;

  /** @internal Codecs build flows from state; scripts use createFlow() or flow.copy(). */
  constructor(state: FlowState, mark: ChangeMark = new ChangeMark()) {
    this.#state = state;
    this.#mark = mark;
  }

  /** The tracking proxy of a plain part of the state (model/tracked.ts); made on first use. */
  #track<T>(part: T): T {
    return (this.#tracker ??= new Tracker(this.#mark)).wrap(part);
  }

  #set<K extends 'marked' | 'comment' | 'timestampCreated' | 'isReplay' | 'intercepted'>(key: K, value: FlowState[K], domain: Domain): void {
    check(`flow.${key}`, domain, value);
    if (this.#state[key] === value) return;
    this.#state[key] = value;
    this.#mark.touch();
  }

  /** UUID of the flow. */
  get id(): string {
    return this.#state.id;
  }

  /** "http", or "tcp", "udp", "dns" for flows that pass through scripts untouched. */
  get type(): FlowType {
    return this.#state.type;
  }

  /** The request. Always present on HTTP flows (the only flows scripts see). */
  get request(): Request {
    if (this.#state.type !== 'http') throw new TypeError(`a ${this.#state.type} flow has no HTTP request`);
    this.#request ??= new Request((this.#state as HttpFlowState).request, this.#mark);
    return this.#request;
  }

  /** The response, or null when the flow has none. Setting one makes the `response` event run. */
  get response(): Response | null {
    if (this.#response === undefined) {
      const response = this.#state.type === 'http' ? (this.#state as HttpFlowState).response : null;
      this.#response = response === null ? null : new Response(response, this.#mark);
    }
    return this.#response;
  }
  set response(value: Response | null) {
    check('flow.response', RESPONSE, value);
    this.#response = value;
    (this.#state as HttpFlowState).response = value === null ? null : Response.state(value);
    if (value !== null) Response.adopt(value, this.#mark);
    this.#mark.touch();
  }

  /** A connection or protocol error (not an HTTP error status), or null. */
  get error(): FlowError | null {
    return this.#track(this.#state.error);
  }
  set error(value: FlowError | null) {
    check('flow.error', DOMAINS.error, value);
    this.#state.error = value === null ? null : { msg: value.msg, timestamp: value.timestamp };
    this.#mark.touch();
  }

  /** The client↔proxy connection (plain data; a change at any depth marks the flow changed). */
  get clientConn(): ClientConnState {
    return this.#track(this.#state.clientConn);
  }

  /** The proxy↔server connection (plain data; a change at any depth marks the flow changed). */
  get serverConn(): ServerConnState {
    return this.#track(this.#state.serverConn);
  }

  /** WebSocket messages and close details, or null. */
  get websocket(): WebSocketState | null {
    return this.#track(this.#state.websocket ?? null);
  }
  set websocket(value: WebSocketState | null) {
    check('flow.websocket', WEBSOCKET, value);
    this.#state.websocket = untracked(value);
    this.#mark.touch();
  }

  /** TCP and UDP flows: their messages. */
  get messages(): StreamMessageState[] | undefined {
    return this.#track(this.#state.messages);
  }

  /** "" when not marked; otherwise the marker (":default:", an emoji name or one character). */
  get marked(): string {
    return this.#state.marked;
  }
  set marked(value: string | boolean) {
    check('flow.marked', DOMAINS.marked, value);
    this.#set('marked', value === true ? ':default:' : value === false ? '' : value, DOMAINS.string);
  }

  get comment(): string {
    return this.#state.comment;
  }
  set comment(value: string) {
    this.#set('comment', value, DOMAINS.string);
  }

  /** Free-form data kept with the flow (mitmproxy's flow.metadata). A change at any depth marks the flow. */
  get metadata(): Record<string, StateValue> {
    return this.#track(this.#state.metadata);
  }

  get timestampCreated(): number {
    return this.#state.timestampCreated;
  }
  set timestampCreated(value: number) {
    this.#set('timestampCreated', value, DOMAINS.timestamp);
  }

  /** "request" or "response" when the flow was replayed, else null. */
  get isReplay(): 'request' | 'response' | null {
    return this.#state.isReplay;
  }
  set isReplay(value: 'request' | 'response' | null) {
    this.#set('isReplay', value, DOMAINS.isReplay);
  }

  get intercepted(): boolean {
    return this.#state.intercepted;
  }
  set intercepted(value: boolean) {
    this.#set('intercepted', value, DOMAINS.boolean);
  }

  /** Fields the source format carried that the model has no name for. A change at any depth marks the flow. */
  get extra(): Extra {
    this.#state.extra ??= {};
    return this.#track(this.#state.extra);
  }

  /** True once anything in the flow was changed since it was read. */
  get changed(): boolean {
    return this.#mark.changed;
  }

  /** A deep copy with a new id (and new connection ids left as they are), ready for ctx.emit(). */
  copy(): Flow {
    const state = copyState(this.#state);
    state.id = randomUUID();
    const copy = new Flow(state);
    copy.#mark.touch();
    return copy;
  }

  /** @internal The backing state, for codecs. Not for scripts: it bypasses change tracking. */
  static state(flow: Flow): FlowState {
    return flow.#state;
  }

  /**
   * @internal The slot behind FlowView.of: `make`'s view of the state, made again once the flow has changed.
   * Generic so that this file need not import view.ts, which imports it.
   */
  static memo<T extends object>(flow: Flow, make: (state: FlowState) => T): T {
    if (flow.#viewAt !== flow.#mark.version) {
      flow.#view = make(flow.#state);
      flow.#viewAt = flow.#mark.version;
    }
    return flow.#view as T;
  }

  toJSON(): object {
    return {
      id: this.id,
      type: this.type,
      request: this.type === 'http' ? this.request.line : undefined,
      status: this.response?.statusCode,
      error: this.#state.error?.msg,
    };
  }
}

/**
 * A deep copy of a flow state (or any plain data) made through property reads: a codec may hand out objects
 * decoded on use (Proxies), which structuredClone does not take.
 */
export function copyState<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyState) as T;
  // Uint8Array's slice copies; a Buffer's own slice() is a view of the same bytes.
  if (value instanceof Uint8Array) return Uint8Array.prototype.slice.call(value) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(out, key, copyState((value as Record<string, unknown>)[key]));
  return out as T;
}

export interface MessageInit {
  headers?: HeadersInit;
  /** The body: a string is encoded as UTF-8. */
  content?: Uint8Array | string | null;
  httpVersion?: string;
  timestampStart?: number;
  timestampEnd?: number | null;
}

export interface RequestInit extends MessageInit {
  method?: string;
  url: string;
}

export interface ResponseInit extends MessageInit {
  statusCode?: number;
  reason?: string;
}

export interface FlowInit {
  request: RequestInit;
  response?: ResponseInit | null;
  error?: FlowError | null;
  timestamp?: number;
}

const BODY: Domain = { expected: 'bytes, a string (stored as UTF-8) or null', accepts: (v) => v == null || typeof v === 'string' || v instanceof Uint8Array };

function bodyBytes(content: Uint8Array | string | null | undefined, side: string): Uint8Array | null {
  check(`${side}.content`, BODY, content);
  if (content === null) return null;
  if (content === undefined) return new Uint8Array(0);
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** A response in the state form, e.g. `flow.response = makeResponse({ statusCode: 404, content: 'gone' })`. */
export function makeResponse(init: ResponseInit = {}, now = Date.now() / 1000): Response {
  const statusCode = init.statusCode ?? 200;
  const content = bodyBytes(init.content, 'response');
  const headers = Headers.storage(new Headers(init.headers));
  if (content !== null && headerValue(headers, 'content-length') === undefined) {
    headers.push(['content-length', String(content.byteLength)]);
  }
  const state: ResponseState = {
    httpVersion: init.httpVersion ?? 'HTTP/1.1',
    statusCode,
    reason: init.reason ?? REASONS[statusCode] ?? '',
    headers,
    content,
    trailers: null,
    timestampStart: init.timestampStart ?? now,
    timestampEnd: init.timestampEnd === undefined ? now : init.timestampEnd,
  };
  checkFields('response', state);
  return new Response(state);
}

/** A new HTTP flow, e.g. for ctx.emit(). Connection data gets sensible defaults. */
export function createFlow(init: FlowInit): Flow {
  const now = init.timestamp ?? Date.now() / 1000;
  const { scheme, host, port, path } = parseUrl(init.request.url);
  const headers = Headers.storage(new Headers(init.request.headers));
  if (headerValue(headers, 'host') === undefined) {
    headers.unshift(['Host', new URL(init.request.url).host]);
  }
  const request: RequestState = {
    httpVersion: init.request.httpVersion ?? 'HTTP/1.1',
    method: init.request.method ?? 'GET',
    scheme,
    host,
    port,
    path,
    authority: '',
    headers,
    content: bodyBytes(init.request.content, 'request'),
    trailers: null,
    timestampStart: init.request.timestampStart ?? now,
    timestampEnd: init.request.timestampEnd === undefined ? now : init.request.timestampEnd,
  };
  checkFields('request', request);
  const response = init.response ? Response.state(makeResponse(init.response, now)) : null;
  const state = newHttpFlowState({
    request,
    response,
    error: check('flow.error', DOMAINS.error, init.error ?? null),
    websocket: null,
    clientConn: newClientConn(now),
    serverConn: newServerConn([host, port]),
    timestampCreated: now,
  });
  return new Flow(state);
}
