// Flow → HAR entry, field for field as mitmproxy's savehar addon writes it (mitmproxy/addons/savehar.py),
// except where docs/formats.md says otherwise (headersSize, bodies text cannot hold, request bodies of any
// method, and what HAR 1.2 requires that savehar breaks: content of a missing response, URI-safe URLs,
// serverIPAddress, timings, postData text). Pure: the only state is the set of server connections already
// seen (connect/ssl timings go to the first flow of each connection, as in mitmproxy).

import { isIP } from 'node:net';
import type { BodyError } from '../../errors.js';
import { parseSetCookie } from '../../model/cookies.js';
import type { HeaderField } from '../../model/headers.js';
import { Request, Response } from '../../model/message.js';
import { byteText, isAscii } from '../../model/byte-string.js';
import { isUtf8 } from '../../model/encoding.js';
import { decodedBody, defaultPort, headerValue, headerValues } from '../../model/http.js';
import type { HttpFlowState, MessageState } from '../../model/state.js';
import { bodyToHar, type BodyForm } from './body-text.js';
import { harUrl } from './har-url.js';
import { formatIsoTime } from './iso-time.js';
import type { Json, JsonObject } from './json-patch.js';

/** Server connections whose connect time was written. Bounded: a connection reused after this many others
 *  gets its connect time again (mitmproxy keeps them all; flowtx keeps memory flat). */
export class ServersSeen {
  static readonly LIMIT = 100_000;
  readonly #ids = new Set<string>();

  /** True the first time `id` is offered. */
  first(id: string): boolean {
    if (this.#ids.has(id)) return false;
    if (this.#ids.size >= ServersSeen.LIMIT) this.#ids.delete(this.#ids.values().next().value!);
    this.#ids.add(id);
    return true;
  }
}

const nameValue = ([name, value]: readonly [string, string]): JsonObject => ({ name: byteText(name), value: byteText(value) });

/** HAR's headersSize: the bytes of the start line and header block on the wire; unknown (-1) past HTTP/1. */
function headersSize(startLine: string, m: MessageState): number {
  if (!m.httpVersion.toUpperCase().startsWith('HTTP/1')) return -1;
  let size = startLine.length + 2 + 2;
  for (const [name, value] of m.headers) size += name.length + 2 + value.length + 2;
  return size;
}

/** The body forms a HAR reader recorded (extra.har.bodyForm), so a HAR body is written back as it was. */
function formsOf(state: HttpFlowState): { request?: BodyForm; response?: BodyForm } {
  const har = state.extra?.har as { bodyForm?: { request?: BodyForm; response?: BodyForm } } | undefined;
  return har?.bodyForm ?? {};
}

function responseCookies(response: Response): JsonObject[] {
  return response.headers.getAll('set-cookie').map((line) => {
    const { name, value, attributes } = parseSetCookie(line);
    const attr = (key: string): string | true | undefined => {
      const found = Object.keys(attributes).find((k) => k.toLowerCase() === key);
      return found === undefined ? undefined : attributes[found];
    };
    const text = (v: string | true | undefined, fallback: string): string => (typeof v === 'string' ? byteText(v) : fallback);
    const cookie: JsonObject = {
      name: byteText(name),
      value: byteText(value),
      path: text(attr('path'), '/'),
      domain: text(attr('domain'), ''),
      httpOnly: attr('httponly') !== undefined,
      secure: attr('secure') !== undefined,
    };
    const sameSite = attr('samesite');
    if (sameSite !== undefined) cookie.sameSite = sameSite === true ? null : byteText(sameSite);
    return cookie;
  });
}

/**
 * savehar's timings, with two differences: a time is missing only when null (mitmproxy tests truthiness, so
 * a message that ends at 0, the epoch, lost its send and wait, and the response its place in time), and no
 * phase is negative.
 */
function timings(state: HttpFlowState, servers: ServersSeen): { connect: number; ssl: number; send: number; receive: number; wait: number } {
  const { request, response, serverConn: server } = state;
  // Timestamps out of order (clocks that stepped back) would give negative phases, which HAR has no room
  // for (-1 means "does not apply"): such a phase is written as taking no time.
  const ms = (from: number, to: number): number => Math.max(0, 1000 * (to - from));
  let connect = -1;
  let ssl = -1;
  if (server.timestampTcpSetup !== null && server.timestampStart !== null && servers.first(server.id)) {
    connect = ms(server.timestampStart, server.timestampTcpSetup);
    if (server.timestampTlsSetup !== null) ssl = ms(server.timestampTcpSetup, server.timestampTlsSetup);
  }
  const requestEnd = request.timestampEnd;
  const send = requestEnd !== null ? ms(request.timestampStart, requestEnd) : 0;
  const wait = response !== null && requestEnd !== null ? ms(requestEnd, response.timestampStart) : 0;
  const receive = response !== null && response.timestampEnd !== null ? ms(response.timestampStart, response.timestampEnd) : 0;
  return { connect, ssl, send, receive, wait };
}

/** What the HAR reader made a flow's bodies from: their forms, and the texts when the writer would write those. */
export interface ReadBodies {
  forms: { request?: BodyForm; response?: BodyForm };
  sources: { request?: string | undefined; response?: string | undefined };
}

/**
 * The Content-Type whose charset says how a body becomes text: the first field, as the reader takes it
 * (Chrome's HTTP/2 HARs list it twice, and the joined value's charset would read "utf-8,").
 */
const bodyType = (fields: HttpFlowState['request']['headers']): string | undefined => headerValues(fields, 'content-type')[0];

/** Methods savehar writes postData for even with an empty body. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Hears of a body written as stored because it would not decode (decodedBody's 'fallback'). */
export type KeptBody = (part: 'request' | 'response', why: BodyError) => void;

function requestEntry(state: HttpFlowState, form: BodyForm | undefined, source: string | undefined, kept: KeptBody | undefined): JsonObject {
  const request = new Request(state.request);
  const fields = state.request.headers;
  const url = request.method.toUpperCase() === 'CONNECT' ? harUrl('https', request.host, request.port, '/') : prettyUrl(request);
  const target = request.method.toUpperCase() === 'CONNECT' ? request.url : request.path;
  const entry: JsonObject = {
    method: byteText(request.method),
    url,
    httpVersion: byteText(request.httpVersion),
    cookies: headerValue(fields, 'cookie') === undefined ? [] : [...request.cookies].map(nameValue),
    headers: fields.map(nameValue),
    queryString: request.path.includes('?') ? [...request.query].map(nameValue) : [],
    headersSize: headersSize(`${request.method} ${target} ${request.httpVersion}`, state.request),
    bodySize: request.content?.byteLength ?? 0,
  };
  const content = request.content;
  // A body that was not captured (null) has no postData: HAR 1.2 requires its text (mitmproxy writes null).
  if (content !== null && (BODY_METHODS.has(request.method) || content.byteLength > 0)) {
    const contentType = headerValue(fields, 'content-type');
    const body = bodyToHar(decodedBody(state.request, 'fallback', (why) => kept?.('request', why)) ?? content, bodyType(fields), form, source);
    const postData: JsonObject = { mimeType: byteText(contentType ?? ''), text: body.text };
    if (body.base64) postData.encoding = 'base64';
    postData.params =
      contentType?.toLowerCase().includes('application/x-www-form-urlencoded') && !body.base64
        ? [...new URLSearchParams(body.text)].map(([name, value]) => ({ name, value }))
        : [];
    entry.postData = postData;
  }
  return entry;
}

/** mitmproxy's pretty_url (the host the client asked for: Host header or authority), made a valid URI. */
function prettyUrl(request: Request): string {
  const port = defaultPort(request.scheme) === request.port ? null : request.port;
  return harUrl(request.scheme, request.prettyHost, port, request.path === '*' ? '' : request.path);
}

function responseEntry(state: HttpFlowState, form: BodyForm | undefined, source: string | undefined, kept: KeptBody | undefined): JsonObject {
  if (state.response === null) {
    return {
      status: 0, statusText: '', httpVersion: '', headers: [], cookies: [], content: { size: 0, mimeType: '' }, redirectURL: '',
      headersSize: -1, bodySize: -1, _transferSize: 0, _error: state.error?.msg ?? null,
    };
  }
  const response = new Response(state.response);
  const fields = state.response.headers;
  const stored = response.content?.byteLength ?? 0;
  const decoded = decodedBody(state.response, 'fallback', (why) => kept?.('response', why));
  const contentType = headerValue(fields, 'content-type');
  const content: JsonObject = { size: stored, compression: (decoded?.byteLength ?? 0) - stored, mimeType: byteText(contentType ?? '') };
  // A body not captured (null) gets no `text` (HAR 1.2 makes it optional), which the reader takes back as
  // absent; an empty text would claim an empty body.
  if (response.content !== null) {
    const body = bodyToHar(decoded ?? new Uint8Array(0), bodyType(fields), form, source);
    content.text = body.text;
    if (body.base64) content.encoding = 'base64';
  }
  return {
    status: response.statusCode,
    statusText: byteText(response.reason),
    httpVersion: byteText(response.httpVersion),
    cookies: responseCookies(response),
    headers: fields.map(nameValue),
    content,
    redirectURL: byteText(headerValue(fields, 'location') ?? ''),
    headersSize: headersSize(`${response.httpVersion} ${response.statusCode} ${response.reason}`, state.response),
    bodySize: stored,
  };
}

function webSocketMessages(state: HttpFlowState): Json[] {
  return state.websocket!.messages.map((m) => ({
    type: m.fromClient ? 'send' : 'receive',
    time: m.timestamp,
    opcode: m.type,
    data: m.type === 1 ? Buffer.from(m.content).toString('utf8') : Buffer.from(m.content).toString('base64'),
  }));
}

/**
 * The HAR entry for an HTTP flow, before the fields kept from a HAR it was read from are put back. `read`
 * (from the HAR reader, for a flow just read) stands for the body forms the flow carries in extra.har.
 * `kept` hears of each body written as stored because it would not decode.
 */
export function flowToEntry(state: HttpFlowState, servers: ServersSeen, read?: ReadBodies, kept?: KeptBody): JsonObject {
  const forms = read?.forms ?? formsOf(state);
  const sources = read?.sources ?? {};
  const t = timings(state, servers);
  const entry: JsonObject = {
    startedDateTime: formatIsoTime(state.request.timestampStart),
    time: [t.connect, t.ssl, t.send, t.receive, t.wait].reduce((sum, v) => (v >= 0 ? sum + v : sum), 0),
    request: requestEntry(state, forms.request, sources.request, kept),
    response: responseEntry(state, forms.response, sources.response, kept),
    cache: {},
    timings: t,
  };
  const peer = state.serverConn.peername;
  // HAR's serverIPAddress is an IP address; a peer known only by name has none to give.
  if (peer !== null && isIP(String(peer[0])) !== 0) entry.serverIPAddress = String(peer[0]);
  if (state.websocket !== null) {
    entry._resourceType = 'websocket';
    entry._webSocketMessages = webSocketMessages(state);
  }
  return entry;
}

/** Names of what an HTTP flow holds that its HAR entry cannot carry (each named once per flow). */
export function httpLosses(state: HttpFlowState): string[] {
  const lost: string[] = [];
  const { request, response } = state;
  if (request.trailers?.length || response?.trailers?.length) lost.push('trailers');
  // A request without postData reads back as an empty body: HAR has no way to say "not captured" there.
  if (request.content === null) lost.push('request bodies not captured (read back as empty)');
  if (state.error !== null && response !== null) lost.push('an error beside a response');
  const encoded = (m: MessageState | null): boolean => m !== null && m.content !== null && m.content.byteLength > 0 && headerValue(m.headers, 'content-encoding') !== undefined;
  if (encoded(request) || encoded(response)) lost.push('content-encoded body bytes (HAR holds the decoded body)');
  const fields = [...request.headers, ...(response?.headers ?? [])];
  const notUtf8 = (s: string): boolean => !isAscii(s) && !isUtf8(Buffer.from(s, 'latin1'));
  if (fields.some(([n, v]) => notUtf8(n) || notUtf8(v))) lost.push('header bytes that are not UTF-8');
  if (state.clientConn.tls || state.serverConn.tls) lost.push('TLS details');
  if (state.websocket !== null && (state.websocket.closeCode !== null || state.websocket.messages.some((m) => m.dropped || m.injected))) {
    lost.push('WebSocket close details and message flags');
  }
  if (state.marked !== '' || state.comment !== '' || Object.keys(state.metadata).length > 0) lost.push('marks, comments and metadata');
  const foreign = Object.keys(state.extra ?? {}).filter((k) => k !== 'har');
  if (foreign.length > 0) lost.push(`fields from other formats (${foreign.join(', ')})`);
  return lost;
}

