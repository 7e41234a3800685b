// Request and Response: views over a flow's message state that scripts read and change. Every change marks
// the owning flow as changed, so unchanged flows can be written back byte-identically.

import { BodyLimitError } from '../errors.js';
import { ChangeMark } from './change.js';
import { check, DOMAINS, type Domain } from './domains.js';
import { parseCookieHeader, formatCookieHeader, parseSetCookie, type SetCookie } from './cookies.js';
import { canEncode, charsetOf, decodeText, encodeContent, encodeText, parseCodings } from './encoding.js';
import { Headers, type HeaderField } from './headers.js';
import { decodedBody, hostPort, prettyHost, requestUrl } from './http.js';
import { MultiDictView, type Pair } from './multidict.js';
import type { Extra, MessageState, RequestState, ResponseState } from './state.js';
import { Tracker } from './tracked.js';
import { parseUrl, queryOf, withQuery } from './url.js';

const HEADERS: Domain = { expected: 'a Headers (new Headers(…) from flowtx, or another message\'s headers)', accepts: (v) => v instanceof Headers };
const TRAILERS: Domain = { expected: `${HEADERS.expected} or null`, accepts: (v) => v === null || v instanceof Headers };

abstract class Message<S extends MessageState> {
  protected readonly state: S;
  /** "request" or "response": how messages name this message's fields and body. */
  readonly #side: string;
  protected mark: ChangeMark;
  #headers: Headers;
  #trailers: Headers | null;
  #tracker: Tracker | undefined;

  protected constructor(side: string, state: S, mark: ChangeMark) {
    this.#side = side;
    this.state = state;
    this.mark = mark;
    this.#headers = Headers.wrap(state.headers, mark);
    this.#trailers = state.trailers === null ? null : Headers.wrap(state.trailers, mark);
  }

  /** @internal The backing state, for codecs and for moving a message into a flow. */
  static state<T extends MessageState>(message: Message<T>): T {
    return message.state;
  }

  /** @internal Rebinds a message assigned into a flow to that flow's change mark. */
  static adopt(message: Message<MessageState>, mark: ChangeMark): void {
    message.mark = mark;
    Headers.adopt(message.#headers, mark);
    if (message.#trailers !== null) Headers.adopt(message.#trailers, mark);
  }

  /** Sets a field after checking `value` against its domain (checked even when unchanged: the script is wrong either way). */
  protected change<K extends keyof S & string>(key: K, value: S[K], domain: Domain): void {
    check(`${this.#side}.${key}`, domain, value);
    if (this.state[key] === value) return;
    this.state[key] = value;
    this.mark.touch();
  }

  /** "HTTP/1.1", "HTTP/2.0", … */
  get httpVersion(): string {
    return this.state.httpVersion;
  }
  set httpVersion(value: string) {
    this.change('httpVersion', value, DOMAINS.httpVersion);
  }

  get headers(): Headers {
    return this.#headers;
  }
  set headers(value: Headers) {
    check(`${this.#side}.headers`, HEADERS, value);
    Headers.adopt(value, this.mark);
    this.#headers = value;
    this.state.headers = Headers.storage(value);
    this.mark.touch();
  }

  /** HTTP trailers, or null when the message had none. */
  get trailers(): Headers | null {
    return this.#trailers;
  }
  set trailers(value: Headers | null) {
    check(`${this.#side}.trailers`, TRAILERS, value);
    if (value !== null) Headers.adopt(value, this.mark);
    this.#trailers = value;
    this.state.trailers = value === null ? null : Headers.storage(value);
    this.mark.touch();
  }

  get timestampStart(): number {
    return this.state.timestampStart;
  }
  set timestampStart(value: number) {
    this.change('timestampStart', value, DOMAINS.timestamp);
  }

  get timestampEnd(): number | null {
    return this.state.timestampEnd;
  }
  set timestampEnd(value: number | null) {
    this.change('timestampEnd', value, DOMAINS.timestampOrNull);
  }

  /**
   * The body as stored: content-encoding (gzip, br, …) still applied, no transfer framing. null means the
   * body was not captured. Setting it updates Content-Length when that header is present.
   */
  get content(): Uint8Array | null {
    return this.state.content;
  }
  set content(value: Uint8Array | null) {
    check(`${this.#side}.content`, DOMAINS.content, value);
    this.state.content = value;
    this.mark.touch();
    if (value !== null && this.#headers.has('content-length')) {
      this.#headers.set('Content-Length', String(value.byteLength));
    }
  }

  /**
   * The body with its content-encoding undone; a BodyError when it does not decode, or would decode to more
   * than --max-body-size. Setting it re-applies the message's content-encoding.
   */
  get decodedContent(): Uint8Array | null {
    try {
      return decodedBody(this.state, 'strict');
    } catch (err) {
      // Named here, where the part is known: a script's failure then says which body was too large.
      if (err instanceof BodyLimitError) throw new BodyLimitError(err.limit, err.reason, this.#side, { cause: err });
      throw err;
    }
  }
  set decodedContent(value: Uint8Array | null) {
    if (value === null) {
      this.content = null;
      return;
    }
    const codings = parseCodings(this.#headers.get('content-encoding'));
    if (canEncode(codings)) {
      this.content = encodeContent(value, codings);
    } else {
      // zstd (or an unknown coding) cannot be re-applied here: store the body plainly and say so in the headers.
      this.#headers.delete('content-encoding');
      this.content = value;
    }
  }

  /**
   * The body as text: content-encoding undone, then decoded with the Content-Type charset (UTF-8 when none
   * is given and the bytes are UTF-8, else latin1). undefined when the body was not captured.
   */
  get text(): string | undefined {
    const decoded = this.decodedContent;
    if (decoded === null) return undefined;
    return decodeText(decoded, charsetOf(this.#headers.get('content-type')));
  }
  set text(value: string | undefined) {
    if (value === undefined) {
      this.decodedContent = null;
      return;
    }
    const declared = charsetOf(this.#headers.get('content-type'));
    const { bytes, charset } = encodeText(value, declared);
    if (charset !== declared && charset !== undefined) {
      const type = this.#headers.get('content-type')!;
      this.#headers.set('Content-Type', type.replace(/charset\s*=\s*"?[^";\s]+"?/i, `charset=${charset}`));
    }
    this.decodedContent = bytes;
  }

  /** The body parsed as JSON (throws SyntaxError when it is not JSON). */
  json(): unknown {
    const text = this.text;
    if (text === undefined) throw new SyntaxError('no body captured');
    return JSON.parse(text);
  }

  /** Fields the source format carried that the model has no name for. A change at any depth marks the flow. */
  get extra(): Extra {
    this.state.extra ??= {};
    // Touches through `this.mark`, which adopt() rebinds when the message moves into a flow.
    this.#tracker ??= new Tracker({ touch: () => this.mark.touch() });
    return this.#tracker.wrap(this.state.extra);
  }
}

const URL_STRING: Domain = { expected: 'an absolute URL string (scheme://host[:port]/path)', accepts: (v) => typeof v === 'string' };

export class Request extends Message<RequestState> {

  /** @internal Use Flow / createFlow to make flows. */
  constructor(state: RequestState, mark: ChangeMark = new ChangeMark()) {
    super('request', state, mark);
  }

  /** As received; mitmproxy upper-cases on access, we keep what the capture holds. */
  get method(): string {
    return this.state.method;
  }
  set method(value: string) {
    this.change('method', value, DOMAINS.method);
  }

  get scheme(): string {
    return this.state.scheme;
  }
  set scheme(value: string) {
    this.change('scheme', value, DOMAINS.scheme);
  }

  /** The target host (not necessarily the Host header). Setting it also updates Host and authority. */
  get host(): string {
    return this.state.host;
  }
  set host(value: string) {
    this.change('host', value, DOMAINS.host);
    this.#syncHostFields();
  }

  get port(): number {
    return this.state.port;
  }
  set port(value: number) {
    this.change('port', value, DOMAINS.port);
    this.#syncHostFields();
  }

  /** Path including the query string. */
  get path(): string {
    return this.state.path;
  }
  set path(value: string) {
    this.change('path', value, DOMAINS.path);
  }

  /** HTTP/2 `:authority` or the HTTP/1 absolute-form authority; "" for origin-form requests. */
  get authority(): string {
    return this.state.authority;
  }
  set authority(value: string) {
    this.change('authority', value, DOMAINS.authority);
  }

  /** scheme://host[:port]/path — the port is left out when it is the scheme's default. */
  get url(): string {
    return requestUrl(this.state);
  }
  set url(value: string) {
    const parts = parseUrl(check('request.url', URL_STRING, value));
    // Every part is checked before any is set, so that a bad URL leaves the request as it was.
    for (const key of ['scheme', 'host', 'port', 'path'] as const) check(`request.url's ${key}`, DOMAINS[key], parts[key]);
    this.change('scheme', parts.scheme, DOMAINS.scheme);
    this.change('host', parts.host, DOMAINS.host);
    this.change('port', parts.port, DOMAINS.port);
    this.change('path', parts.path, DOMAINS.path);
    this.#syncHostFields();
  }

  /**
   * The host the client asked for: the Host header (HTTP/1) or authority (HTTP/2+), else `host`. As in
   * mitmproxy (and `~d`), a malformed authority such as `example.com:99999` is given whole.
   */
  get prettyHost(): string {
    return prettyHost(this.state);
  }

  /** The query string as a live multi-value view; changes rewrite `path`. */
  get query(): MultiDictView {
    return new MultiDictView(
      () => [...new URLSearchParams(queryOf(this.state.path))] as Pair[],
      (pairs) => {
        this.path = withQuery(this.state.path, new URLSearchParams(pairs).toString());
      },
    );
  }

  /** Cookies from the Cookie header(s) as a live view; changes rewrite a single Cookie header. */
  get cookies(): MultiDictView {
    return new MultiDictView(
      () => this.headers.getAll('cookie').flatMap(parseCookieHeader),
      (pairs) => {
        if (pairs.length === 0) this.headers.delete('cookie');
        else this.headers.set('Cookie', formatCookieHeader(pairs));
      },
    );
  }

  /** "GET https://example.com/path HTTP/1.1", for messages and listings. */
  get line(): string {
    return `${this.state.method} ${this.url} ${this.state.httpVersion}`;
  }

  #syncHostFields(): void {
    const hp = hostPort(this.state.scheme, this.state.host, this.state.port);
    if (this.headers.has('host')) this.headers.set('Host', hp);
    if (this.state.authority !== '') this.change('authority', hp, DOMAINS.authority);
  }
}

export class Response extends Message<ResponseState> {

  /** @internal Use Flow / createFlow to make flows. */
  constructor(state: ResponseState, mark: ChangeMark = new ChangeMark()) {
    super('response', state, mark);
  }

  get statusCode(): number {
    return this.state.statusCode;
  }
  set statusCode(value: number) {
    this.change('statusCode', value, DOMAINS.statusCode);
  }

  /** Reason phrase; "" for HTTP/2 and HTTP/3. */
  get reason(): string {
    return this.state.reason;
  }
  set reason(value: string) {
    this.change('reason', value, DOMAINS.reason);
  }

  /** The Set-Cookie headers, parsed. Read-only: change cookies through `headers`. */
  get cookies(): SetCookie[] {
    return this.headers.getAll('set-cookie').map(parseSetCookie);
  }
}

export type { HeaderField };
