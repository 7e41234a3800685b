// FlowView: a flow as code that only looks at it sees it (filters, listings, detectors). It reads the flow's
// state directly, so reading never marks the flow changed, and on a lazily decoded flow only what is read
// gets decoded. What it derives the way mitmproxy does (header blocks, pretty URL, decoded bodies, metadata
// and DNS text) is computed on first use and kept until the flow changes.

import { binary, byteText } from './byte-string.js';
import { dnsText } from './dns-text.js';
import { Flow } from './flow.js';
import type { HeaderField } from './headers.js';
import { decodedBody, messageHeaderValues, prettyHost, prettyUrl, requestUrl } from './http.js';
import { pyStr } from './py-str.js';
import type {
  Address,
  ClientConnState,
  Extra,
  FlowErrorState,
  FlowState,
  HttpFlowState,
  MessageState,
  ReadonlyState,
  RequestState,
  ResponseState,
  ServerConnState,
  StateValue,
  StreamMessageState,
  WebSocketState,
} from './state.js';

/** mitmproxy's `bytes(headers)`: `Name: value\r\n` per field, names as stored. */
function headerBlock(fields: ReadonlyState<HeaderField[]>): string {
  let out = '';
  for (const [name, value] of fields) out += `${name}: ${value}\r\n`;
  return out;
}

function address(value: Readonly<Address> | null): string | undefined {
  return value === null ? undefined : `${value[0]}:${value[1]}`;
}

type Side = 'request' | 'response';

/** What is derived from one side of a flow, each on first use. */
interface SideMemo {
  headerBlock?: string | null;
  contentTypes?: readonly string[];
  body?: string | null;
  dnsText?: string | null;
}

const newView = (state: FlowState): FlowView => new FlowView(state);

/**
 * One flow, read-only. Values are derived on first use and kept in plain fields (a filter runs once per flow
 * of an archive: a Map and key strings per flow cost more than most operators). Byte strings are as the model
 * holds them (one character per byte), except where a member says it gives text.
 */
export class FlowView {
  readonly #state: FlowState;
  #type: FlowState['type'] | undefined;
  #request: RequestState | undefined;
  #response: ResponseState | Extra | null | undefined;
  #websocket: WebSocketState | null | undefined;
  #prettyHost: string | undefined;
  #prettyUrl: string | undefined;
  #metadataText: string | undefined;
  #requestSide: SideMemo | undefined;
  #responseSide: SideMemo | undefined;

  /** The view of `flow`: the same object (with what it derived) until the flow changes, then a new one. */
  static of(flow: Flow): FlowView {
    return Flow.memo(flow, newView);
  }

  /** @internal Use FlowView.of(flow). */
  constructor(state: FlowState) {
    this.#state = state;
  }

  get id(): string {
    return this.#state.id;
  }

  get type(): FlowState['type'] {
    return (this.#type ??= this.#state.type);
  }

  get isHttp(): boolean {
    return this.type === 'http';
  }

  /** HTTP flows: the request. */
  get request(): ReadonlyState<RequestState> {
    return (this.#request ??= (this.#state as HttpFlowState).request);
  }

  /** HTTP and DNS flows: the response, or null. */
  get response(): ReadonlyState<ResponseState | Extra> | null {
    if (this.#response === undefined) this.#response = this.#state.response ?? null;
    return this.#response;
  }

  /** HTTP flows: the response, or null. */
  get httpResponse(): ReadonlyState<ResponseState> | null {
    return this.isHttp ? (this.response as ResponseState | null) : null;
  }

  get websocket(): ReadonlyState<WebSocketState> | null {
    if (this.#websocket === undefined) this.#websocket = this.isHttp ? (this.#state.websocket ?? null) : null;
    return this.#websocket;
  }

  /** TCP and UDP flows: their messages ([] for other flows). */
  get messages(): ReadonlyState<StreamMessageState[]> {
    return this.#state.messages ?? [];
  }

  get error(): ReadonlyState<FlowErrorState> | null {
    return this.#state.error;
  }

  get clientConn(): ReadonlyState<ClientConnState> {
    return this.#state.clientConn;
  }

  get serverConn(): ReadonlyState<ServerConnState> {
    return this.#state.serverConn;
  }

  get marked(): string {
    return this.#state.marked;
  }

  get comment(): string {
    return this.#state.comment;
  }

  get metadata(): ReadonlyState<Record<string, StateValue>> {
    return this.#state.metadata;
  }

  get timestampCreated(): number {
    return this.#state.timestampCreated;
  }

  get isReplay(): 'request' | 'response' | null {
    return this.#state.isReplay;
  }

  get intercepted(): boolean {
    return this.#state.intercepted;
  }

  /** Fields the source format carried that the model has no name for ({} when none). */
  get extra(): ReadonlyState<Extra> {
    return this.#state.extra ?? {};
  }

  #side(side: Side): SideMemo {
    return side === 'request' ? (this.#requestSide ??= {}) : (this.#responseSide ??= {});
  }

  /** An HTTP message of one side, or null (also on flows of other types). */
  #message(side: Side): ReadonlyState<MessageState> | null {
    return side === 'response' ? this.httpResponse : this.isHttp ? this.request : null;
  }

  /** The header fields of one side of an HTTP flow as `Name: value\r\n` lines; null without that side. */
  headerBlock(side: Side): string | null {
    const memo = this.#side(side);
    if (memo.headerBlock === undefined) {
      const message = this.#message(side);
      memo.headerBlock = message === null ? null : headerBlock(message.headers);
    }
    return memo.headerBlock;
  }

  /** The Content-Type values of one side of an HTTP flow (every field named content-type, any case). */
  contentTypes(side: Side): readonly string[] {
    const memo = this.#side(side);
    if (memo.contentTypes === undefined) {
      const message = this.#message(side);
      memo.contentTypes = message === null ? [] : messageHeaderValues(message, 'content-type');
    }
    return memo.contentTypes;
  }

  /**
   * The body of one side of an HTTP flow as mitmproxy's filters search it (content-encoding undone leniently,
   * model/http.ts), as a byte string; null when not captured or absent.
   */
  body(side: Side): string | null {
    const memo = this.#side(side);
    if (memo.body === undefined) {
      const message = this.#message(side);
      const decoded = message === null ? null : decodedBody(message, 'lenient');
      memo.body = decoded === null ? null : binary(decoded);
    }
    return memo.body;
  }

  /** DNS flows: the text of one side (the byte string of its UTF-8), or null when absent. */
  dnsText(side: Side): string | null {
    const memo = this.#side(side);
    if (memo.dnsText === undefined) {
      const message = side === 'request' ? this.#state.request : this.#state.response;
      memo.dnsText = message === null || message === undefined ? null : dnsText(message as Extra);
    }
    return memo.dnsText;
  }

  /** HTTP flows: the request's URL as the model shows it (flow.request.url). */
  get url(): string {
    return requestUrl(this.request);
  }

  /** HTTP flows: mitmproxy's pretty_host, as text (flow.request.prettyHost holds the byte string). */
  get prettyHost(): string {
    return (this.#prettyHost ??= prettyHost(this.request, byteText));
  }

  /** HTTP flows: mitmproxy's pretty_url, as text. */
  get prettyUrl(): string {
    return (this.#prettyUrl ??= prettyUrl(this.request, byteText));
  }

  /** DNS flows: the name of the first question. */
  get firstQuestion(): string | undefined {
    const questions = (this.#state.request as Extra | undefined)?.questions;
    return Array.isArray(questions) && questions.length > 0 ? String((questions[0] as Extra).name) : undefined;
  }

  /** The client's address as "host:port". */
  get source(): string | undefined {
    return address(this.#state.clientConn.peername);
  }

  /** The server connection's address as "host:port". */
  get destination(): string | undefined {
    return address(this.#state.serverConn.address);
  }

  /** Metadata as `key: value` lines, values as Python's str() shows them. */
  get metadataText(): string {
    return (this.#metadataText ??= Object.entries(this.#state.metadata)
      .map(([key, value]) => `${key}: ${pyStr(value)}`)
      .join('\n'));
  }
}
