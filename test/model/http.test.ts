// model/http.ts, the one home of flowtx's HTTP semantics: its named variants side by side, and the cases
// where earlier copies of these rules disagreed, as rows. Expected values for mitmproxy's rules are what
// Debian's mitmproxy 8.1.1 gives (`Request.pretty_host`, `pretty_url`, `~d`).

import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { BodyError } from '../../src/errors.js';
import { compileFilter } from '../../src/filter/compile.js';
import { newClientConn, newServerConn } from '../../src/model/connection.js';
import { Flow } from '../../src/model/flow.js';
import type { HeaderField } from '../../src/model/headers.js';
import {
  decodedBody,
  defaultPort,
  headerValue,
  headerValues,
  hostPort,
  newHttpFlowState,
  prettyHost,
  prettyUrl,
  requestUrl,
  type BodyRule,
  type UrlRule,
} from '../../src/model/http.js';
import type { MessageState, RequestState } from '../../src/model/state.js';
import { FlowView } from '../../src/model/view.js';
import { tstate } from '../helpers/tflow.js';

describe('defaultPort and hostPort', () => {
  test.each<[scheme: string, rule: UrlRule, port: number | undefined]>([
    ['http', 'url', 80],
    ['https', 'url', 443],
    ['ws', 'url', 80],
    ['WSS', 'url', 443],
    ['ftp', 'url', undefined],
    ['http', 'mitmproxy', 80],
    ['https', 'mitmproxy', 443],
    // mitmproxy's url.default_port knows http and https only, as spelled.
    ['ws', 'mitmproxy', undefined],
    ['HTTP', 'mitmproxy', undefined],
  ])('defaultPort(%j, %j) is %j', (scheme, rule, port) => {
    expect(defaultPort(scheme, rule)).toBe(port);
  });

  test.each<[scheme: string, host: string, port: number, rule: UrlRule, expected: string]>([
    ['http', 'example.com', 80, 'url', 'example.com'],
    ['http', 'example.com', 8080, 'url', 'example.com:8080'],
    ['https', '::1', 443, 'url', '[::1]'],
    ['https', '::1', 8443, 'url', '[::1]:8443'],
    ['https', '[::1]', 8443, 'url', '[::1]:8443'],
    ['wss', 'example.com', 443, 'url', 'example.com'],
    // The former filter copy: no brackets, no ws defaults (mitmproxy's url.hostport).
    ['https', '::1', 8443, 'mitmproxy', '::1:8443'],
    ['ws', 'example.com', 80, 'mitmproxy', 'example.com:80'],
    ['http', 'example.com', 80, 'mitmproxy', 'example.com'],
  ])('hostPort(%j, %j, %j, %j) is %j', (scheme, host, port, rule, expected) => {
    expect(hostPort(scheme, host, port, rule)).toBe(expected);
  });
});

function request(change: Partial<RequestState>): RequestState {
  return { ...tstate().request, ...change };
}

/** The model's byte strings are latin1 text: UTF-8 text as the model holds it. */
const utf8Bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

describe('the host the client asked for: flow.request.prettyHost, FlowView and ~d agree (mitmproxy pretty_host)', () => {
  test.each<[name: string, change: Partial<RequestState>, expected: string, url: string]>([
    // Formerly flow.request.prettyHost gave "example.com" (it stripped any :digits) and ~d "example.com:99999".
    ['an out-of-range port', { headers: [['Host', 'example.com:99999']] }, 'example.com:99999', 'http://example.com:99999/path?a=1&b=2'],
    ['a port', { headers: [['Host', 'example.com:8080']] }, 'example.com', 'http://example.com:8080/path?a=1&b=2'],
    ['no Host header', { host: '10.0.0.1', headers: [] }, '10.0.0.1', 'http://10.0.0.1/path?a=1&b=2'],
    ['an empty Host header', { headers: [['Host', '']] }, 'example.com', 'http://example.com/path?a=1&b=2'],
    ['a bracketed IPv6 host and port', { headers: [['Host', '[::1]:8080']] }, '::1', 'http://::1:8080/path?a=1&b=2'],
    ['a bracketed IPv6 host', { headers: [['Host', '[2001:db8::1]']] }, '2001:db8::1', 'http://2001:db8::1/path?a=1&b=2'],
    // Formerly flow.request.prettyHost gave "::" (":1" read as a port).
    ['an unbracketed IPv6 host (malformed: given whole)', { headers: [['Host', '::1']] }, '::1', 'http://::1/path?a=1&b=2'],
    ['HTTP/2: the :authority', { httpVersion: 'HTTP/2.0', authority: 'api.example.com:443', headers: [] }, 'api.example.com', 'http://api.example.com:443/path?a=1&b=2'],
    ['HTTP/2 without :authority: the Host header', { httpVersion: 'HTTP/2.0', authority: '', headers: [['host', 'h2.example.com']] }, 'h2.example.com', 'http://h2.example.com/path?a=1&b=2'],
  ])('%s', (_name, change, expected, url) => {
    const state = { ...tstate(), request: request(change) };
    const flow = new Flow(state);
    expect(flow.request.prettyHost).toBe(expected);
    expect(FlowView.of(flow).prettyHost).toBe(expected);
    expect(compileFilter(`~d '^${expected.replace(/[.[\]]/g, '\\$&')}$'`)(flow)).toBe(true);
    expect(prettyUrl(state.request)).toBe(url);
    expect(flow.changed).toBe(false);
  });

  test('a UTF-8 host: the model keeps the byte string, the view (and ~d) read it as text', () => {
    const req = request({ headers: [['Host', utf8Bytes('bücher.example:81')]] });
    expect(prettyHost(req)).toBe(utf8Bytes('bücher.example'));
    expect(FlowView.of(new Flow({ ...tstate(), request: req })).prettyHost).toBe('bücher.example');
  });
});

describe('requestUrl', () => {
  test.each<[name: string, change: Partial<RequestState>, url: string]>([
    ['the default port left out', {}, 'http://example.com/path?a=1&b=2'],
    ['an IPv6 host in brackets', { host: '::1', port: 8080 }, 'http://[::1]:8080/path?a=1&b=2'],
    ['OPTIONS *', { method: 'OPTIONS', path: '*' }, 'http://example.com'],
    ['CONNECT: host:port', { method: 'CONNECT', host: 'example.com', port: 443, path: '' }, 'example.com:443'],
  ])('%s', (_name, change, url) => {
    expect(requestUrl(request(change))).toBe(url);
  });
});

describe('header lookup', () => {
  const fields: HeaderField[] = [['Accept', 'a'], ['X-Dup', '1'], ['x-dup', '2'], ['X-DUP-LONGER', 'no']];
  test.each<[name: string, values: string[], joined: string | undefined]>([
    ['accept', ['a'], 'a'],
    ['x-dup', ['1', '2'], '1, 2'],
    ['absent', [], undefined],
  ])('%j', (name, values, joined) => {
    expect(headerValues(fields, name)).toEqual(values);
    expect(headerValue(fields, name)).toBe(joined);
  });
});

describe('decodedBody: the three rules', () => {
  const text = Buffer.from('hello');
  const message = (coding: string | undefined, content: Uint8Array | null): MessageState => ({
    httpVersion: 'HTTP/1.1',
    headers: coding === undefined ? [] : [['Content-Encoding', coding]],
    content,
    trailers: null,
    timestampStart: 0,
    timestampEnd: 0,
  });
  const gzipped = gzipSync(text);
  const both = brotliCompressSync(gzipped);
  const zlib = deflateSync(text);
  const broken = Buffer.from('not gzip');
  const THROWS = 'BodyError';
  test.each<[name: string, coding: string | undefined, body: Uint8Array | null, strict: Uint8Array | null | typeof THROWS, lenient: Uint8Array | null, fallback: Uint8Array | null]>([
    ['gzip', 'gzip', gzipped, text, text, text],
    ['no coding', undefined, text, text, text, text],
    ['not captured', 'gzip', null, null, null, null],
    // mitmproxy decodes one coding named by the whole value: "gzip, br" stays as stored.
    ['two codings', 'gzip, br', both, text, both, text],
    ['x-gzip', 'x-gzip', gzipped, text, gzipped, text],
    // mitmproxy's gzip decoder takes zlib streams too.
    ['a zlib stream under gzip', 'gzip', zlib, THROWS, text, zlib],
    ['invalid gzip', 'gzip', broken, THROWS, broken, broken],
    ['an unknown coding', 'compress', text, THROWS, text, text],
  ])('%s', (_name, coding, body, strict, lenient, fallback) => {
    const m = message(coding, body);
    const expectRule = (rule: BodyRule, expected: Uint8Array | null): void => {
      const got = decodedBody(m, rule);
      expect(got === null ? null : Buffer.from(got)).toEqual(expected === null ? null : Buffer.from(expected));
    };
    if (strict === THROWS) expect(() => decodedBody(m, 'strict')).toThrow(BodyError);
    else expectRule('strict', strict);
    expectRule('lenient', lenient);
    expectRule('fallback', fallback);
  });
});

describe('newHttpFlowState', () => {
  test('takes the connections it is given (a live proxy has real peers), and starts unmarked', () => {
    const clientConn = { ...newClientConn(5), peername: ['10.1.2.3', 51234] as [string, number] };
    const serverConn = newServerConn(['example.com', 443]);
    const { request: req } = tstate();
    const state = newHttpFlowState({ request: req, response: null, error: null, websocket: null, clientConn, serverConn, timestampCreated: 5 });
    expect(state.clientConn).toBe(clientConn);
    expect(state.serverConn).toBe(serverConn);
    expect(state).toMatchObject({ type: 'http', request: req, response: null, marked: '', metadata: {}, timestampCreated: 5, backup: null });
    expect(state.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
