// HAR entry → flow state, as mitmproxy's HAR reader maps it (mitmproxy/io/har.py) where that keeps the data
// whole, and docs/formats.md says where it does not. What the entry holds beyond what the model derives is
// kept in extra.har as a patch against this codec's own writer (flow-to-entry.ts), so an unchanged flow is
// written back as the entry it was read from. Pure; throws ShapeError for entries that are not HTTP.

import { textBytes } from '../../model/byte-string.js';
import { newClientConn, newServerConn } from '../../model/connection.js';
import { parseCodings } from '../../model/encoding.js';
import { headerValues, newHttpFlowState } from '../../model/http.js';
import type { HeaderField } from '../../model/headers.js';
import { expectShape, ShapeError, showKind } from '../../model/shape.js';
import type { Extra, HttpFlowState, RequestState, ResponseState, StateValue, WebSocketState } from '../../model/state.js';
import { parseUrl } from '../../model/url.js';
import { harTextToBytes, isWellFormed, type BodyForm } from './body-text.js';
import { lazyObject } from './lazy-object.js';
import { flowToEntry, ServersSeen, type ReadBodies } from './flow-to-entry.js';
import { parseIsoTime } from './iso-time.js';
import { diff, isEmptyPatch, isObject, type Json, type JsonObject } from './json-patch.js';

/**
 * Envelope parts a flow carries: `log` fields and the top-level members beside `log` (on the first and last
 * flow of a file), and its page.
 */
export interface EntryContext {
  log?: JsonObject;
  root?: JsonObject;
  page?: JsonObject;
}

/** JSON values, as HAR holds them. */
const describe = showKind('an object');
const expect = <T>(ok: boolean, value: unknown, path: string, what: string): T => expectShape(ok, value, path, what, describe);

const object = (o: JsonObject, key: string, path: string): JsonObject => expect(isObject(o[key]), o[key], `${path}.${key}`, 'an object');
const string = (o: JsonObject, key: string, path: string): string => expect(typeof o[key] === 'string', o[key], `${path}.${key}`, 'a string');
const number = (o: JsonObject, key: string, path: string, fallback?: number): number =>
  fallback !== undefined && o[key] === undefined ? fallback : expect(typeof o[key] === 'number', o[key], `${path}.${key}`, 'a number');

/** `{name, value}` objects, or `[name, value]` pairs (Slack's exports), as mitmproxy accepts both. */
function headerFields(o: JsonObject, key: string, path: string): HeaderField[] {
  const list = expect<Json[]>(Array.isArray(o[key]), o[key], `${path}.${key}`, 'a list');
  const fields = new Array<HeaderField>(list.length);
  for (let i = 0; i < list.length; i++) {
    const h = list[i]!;
    if (isObject(h) && typeof h.name === 'string' && typeof h.value === 'string') fields[i] = [textBytes(h.name), textBytes(h.value)];
    else if (Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string') fields[i] = [textBytes(h[0]), textBytes(h[1])];
    else throw new ShapeError(`${path}.${key}[${i}]`, '{"name": …, "value": …} or ["name", "value"]', JSON.stringify(h));
  }
  return fields;
}

/** HTTP versions as mitmproxy's live capture stores them ("HTTP/2.0", "HTTP/3"); browsers spell them variously. */
export function httpVersion(v: string): string {
  const upper = v.toUpperCase();
  if (upper === 'H2' || upper === 'HTTP/2' || upper === 'HTTP/2.0') return 'HTTP/2.0';
  if (upper === 'H3' || upper.startsWith('HTTP/3')) return 'HTTP/3';
  if (upper === '' || upper === 'UNKNOWN') return 'HTTP/1.1';
  return upper;
}

/** Declares `charset` in the Content-Type (the HAR text could not be stored in the declared one). */
function redeclareCharset(fields: HeaderField[], charset: string): void {
  for (const field of fields) {
    if (field[0].toLowerCase() === 'content-type') field[1] = field[1].replace(/charset\s*=\s*"?[^";\s]+"?/i, `charset=${charset}`);
  }
}

/** Whether `body` starts like data in `coding` (brotli has no signature, so a br body never does). */
function looksEncoded(body: Uint8Array, coding: string): boolean {
  if (coding === 'gzip' || coding === 'x-gzip') return body[0] === 0x1f && body[1] === 0x8b;
  if (coding === 'zstd') return body[0] === 0x28 && body[1] === 0xb5 && body[2] === 0x2f && body[3] === 0xfd;
  if (coding === 'deflate') return body.byteLength > 1 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
  return false;
}

/**
 * HAR holds decoded bodies, yet keeps the Content-Encoding header of the wire (browsers do). A body given as
 * text, or as bytes that do not start like data in that coding, is stored decoded: the header goes and
 * Content-Length follows the body, so that scripts and mitmproxy see the body as it is. Bytes that do (a
 * tool that kept the wire bytes) are kept with their header.
 */
function settleEncoding(fields: HeaderField[], body: Uint8Array, form: BodyForm): HeaderField[] {
  // Here and in body(): the first field of a header (browsers send one), where mitmproxy would join them.
  const codings = parseCodings(headerValues(fields, 'content-encoding')[0]);
  if (codings.length === 0 || body.byteLength === 0) return fields;
  if (form === 'base64' && looksEncoded(body, codings[codings.length - 1]!)) return fields;
  return fields
    .filter(([n]) => n.toLowerCase() !== 'content-encoding')
    .map(([n, v]): HeaderField => (n.toLowerCase() === 'content-length' ? [n, String(body.byteLength)] : [n, v]));
}

interface Body {
  bytes: Uint8Array;
  form: BodyForm;
  fields: HeaderField[];
  /** The text the bytes were made from, when the writer would make exactly that text of them. */
  source?: string;
}

/**
 * A HAR body (`text`, maybe base64) as bytes, the form it was in, and the headers that describe it. The
 * charset is the Content-Type header's, as the writer reads it (not postData.mimeType).
 */
function body(holder: JsonObject | undefined, path: string, fields: HeaderField[]): Body {
  const text = holder?.text;
  if (text === undefined || text === null) return { bytes: new Uint8Array(0), form: 'text', fields };
  expect(typeof text === 'string', text, `${path}.text`, 'a string');
  if (holder!.encoding === 'base64') {
    const bytes = Buffer.from(text as string, 'base64');
    return { bytes, form: 'base64', fields: settleEncoding(fields, bytes, 'base64') };
  }
  const { bytes, charset } = harTextToBytes(text as string, headerValues(fields, 'content-type')[0]);
  if (charset !== undefined) redeclareCharset(fields, charset);
  return { bytes, form: 'text', fields: settleEncoding(fields, bytes, 'text'), ...(isWellFormed(text as string) ? { source: text as string } : {}) };
}

/** A urlencoded body from postData.params (HAR allows params without text for form posts). */
function paramsBody(postData: JsonObject): string | undefined {
  if (!Array.isArray(postData.params) || typeof postData.text === 'string') return undefined;
  if (!String(postData.mimeType ?? '').toLowerCase().includes('application/x-www-form-urlencoded')) return undefined;
  const pairs = postData.params.filter(isObject).map((p): [string, string] => [String(p.name ?? ''), String(p.value ?? '')]);
  return new URLSearchParams(pairs).toString();
}

interface Times {
  start: number;
  requestEnd: number;
  responseStart: number;
  responseEnd: number;
}

/** Message times from startedDateTime and the send/wait/receive phases (the inverse of the writer's timings). */
function times(entry: JsonObject): Times {
  const start = parseIsoTime(string(entry, 'startedDateTime', 'entry'));
  if (start === undefined) {
    const shown = JSON.stringify(entry.startedDateTime);
    throw new ShapeError('entry.startedDateTime', 'an ISO 8601 date-time', shown, `entry.startedDateTime ${shown} is not an ISO 8601 date-time`);
  }
  const total = number(entry, 'time', 'entry', 0);
  const t = isObject(entry.timings) ? entry.timings : undefined;
  const phase = (key: string): number => (typeof t?.[key] === 'number' && (t[key] as number) > 0 ? (t[key] as number) : 0);
  const [send, wait, receive] = t === undefined ? [0, Math.max(total, 0), 0] : [phase('send'), phase('wait'), phase('receive')];
  const requestEnd = start + send / 1000;
  const responseStart = requestEnd + wait / 1000;
  return { start, requestEnd, responseStart, responseEnd: responseStart + receive / 1000 };
}

function requestFrom(entry: JsonObject, at: Times): { request: RequestState; body: Body } {
  const r = object(entry, 'request', 'entry');
  const url = string(r, 'url', 'entry.request');
  let parts;
  try {
    parts = parseUrl(url);
    // mitmproxy's reader (url.parse) keeps a fragment in the path, dropping an empty one; so does flowtx.
    const hash = url.indexOf('#');
    if (hash >= 0 && hash < url.length - 1) parts.path += url.slice(hash);
  } catch {
    throw new ShapeError('entry.request.url', 'an absolute http(s) URL', JSON.stringify(url), `entry.request.url ${JSON.stringify(url)} is not an absolute http(s) URL`);
  }
  const postData = isObject(r.postData) ? r.postData : undefined;
  const fields = headerFields(r, 'headers', 'entry.request');
  const fromParams = postData === undefined ? undefined : paramsBody(postData);
  const content: Body = fromParams === undefined ? body(postData, 'entry.request.postData', fields) : { bytes: Buffer.from(fromParams), form: 'text', fields };
  return {
    request: {
      httpVersion: httpVersion(string(r, 'httpVersion', 'entry.request')),
      method: textBytes(string(r, 'method', 'entry.request')),
      scheme: parts.scheme,
      host: textBytes(parts.host),
      port: parts.port,
      path: textBytes(parts.path),
      authority: '',
      headers: content.fields,
      content: content.bytes,
      trailers: null,
      timestampStart: at.start,
      timestampEnd: at.requestEnd,
    },
    body: content,
  };
}

/** The response, or null for an entry that got none (status 0 or less: a failed or blocked request). */
function responseFrom(entry: JsonObject, at: Times): { response: ResponseState | null; body?: Body; error?: string } {
  const r = object(entry, 'response', 'entry');
  const status = number(r, 'status', 'entry.response');
  if (status <= 0) return { response: null, ...(typeof r._error === 'string' ? { error: r._error } : {}) };
  const fields = headerFields(r, 'headers', 'entry.response');
  const holder = isObject(r.content) ? r.content : undefined;
  const content = body(holder, 'entry.response.content', fields);
  // No `text`: the HAR did not record the body (Firefox leaves out images, tools drop large bodies). It is
  // absent (mitmproxy's None), not empty, and its headers stay as the wire had them; mitmproxy's reader
  // makes it b"", an empty body still claiming its Content-Encoding and Content-Length.
  const recorded = holder?.text !== undefined && holder.text !== null;
  return {
    response: {
      httpVersion: httpVersion(typeof r.httpVersion === 'string' ? r.httpVersion : ''),
      statusCode: status,
      reason: textBytes(typeof r.statusText === 'string' ? r.statusText : ''),
      headers: content.fields,
      content: recorded ? content.bytes : null,
      trailers: null,
      timestampStart: at.responseStart,
      timestampEnd: at.responseEnd,
    },
    body: content,
  };
}

/** Chrome's `_webSocketMessages`: text frames hold text, binary frames base64. */
function websocketFrom(entry: JsonObject): WebSocketState | null {
  const list = entry._webSocketMessages;
  if (list === undefined) return null;
  const messages = expect<Json[]>(Array.isArray(list), list, 'entry._webSocketMessages', 'a list').map((m, i) => {
    const path = `entry._webSocketMessages[${i}]`;
    const message = expect<JsonObject>(isObject(m), m, path, 'an object');
    const opcode = number(message, 'opcode', path);
    const data = string(message, 'data', path);
    return {
      type: opcode,
      fromClient: string(message, 'type', path) === 'send',
      content: opcode === 2 ? Buffer.from(data, 'base64') : Buffer.from(data, 'utf8'),
      timestamp: number(message, 'time', path),
      dropped: false,
      injected: false,
    };
  });
  return { messages, closedByClient: null, closeCode: null, closeReason: null, timestampEnd: null };
}

/** An entry mapped to the model, with what its bodies were read from (the writer's hints to write them back). */
function mapEntry(value: unknown): { state: HttpFlowState; read: ReadBodies } {
  const entry = expect<JsonObject>(isObject(value), value, 'entry', 'an object');
  const at = times(entry);
  const { request, body: requestBody } = requestFrom(entry, at);
  const { response, body: responseBody, error } = responseFrom(entry, at);
  const server = newServerConn([request.host, request.port]);
  if (typeof entry.serverIPAddress === 'string' && entry.serverIPAddress !== '') server.peername = [entry.serverIPAddress, request.port];
  const state = newHttpFlowState({
    request,
    response,
    error: error === undefined ? null : { msg: error, timestamp: at.responseEnd },
    websocket: websocketFrom(entry),
    clientConn: newClientConn(at.start),
    serverConn: server,
    timestampCreated: at.start,
  });
  const forms = responseBody === undefined ? { request: requestBody.form } : { request: requestBody.form, response: responseBody.form };
  return { state, read: { forms, sources: { request: requestBody.source, response: responseBody?.source } } };
}

/** extra.har of a flow read from `entry`: `state` is the flow as read (the patch is taken against it). */
function harExtra(state: HttpFlowState, read: ReadBodies, entry: JsonObject, context: EntryContext): Extra {
  const har: Extra = { bodyForm: read.forms };
  const patch = diff(flowToEntry(state, new ServersSeen(), read), entry);
  if (!isEmptyPatch(patch)) {
    if (Object.keys(patch.entry).length > 0) har.entry = patch.entry as StateValue;
    if (Object.keys(patch.derived).length > 0) har.derived = patch.derived as StateValue;
    if (patch.absent.length > 0) har.absent = patch.absent;
  }
  if (context.log !== undefined) har.log = context.log;
  if (context.root !== undefined) har.root = context.root;
  if (context.page !== undefined) har.page = context.page;
  return har;
}

/**
 * One HAR entry (parsed JSON) as a flow state. Its extra.har is worked out on first read (most runs write
 * formats that never read it): from the state itself while `unchanged()` says the flow is as read, else
 * from the entry mapped again, so the patch is always taken against the flow as read.
 */
export function entryToState(value: unknown, context: EntryContext = {}, unchanged: () => boolean = () => false): HttpFlowState {
  const { state, read } = mapEntry(value);
  const entry = value as JsonObject;
  state.extra = { har: lazyObject(() => harExtra(unchanged() ? state : mapEntry(entry).state, read, entry, context)) };
  return state;
}
