import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { createFlow, Flow, makeResponse } from '../../src/model/flow.js';
import { tflow, tstate } from '../helpers/tflow.js';

// zstd frame of "hello zstd" made with `zstd -19` (Node 20's zlib has no zstd encoder).
const ZSTD_HELLO = Buffer.from('KLUv/SQKUQAAaGVsbG8genN0ZAJ5XRU=', 'base64');

describe('Request URL parts', () => {
  test.each([
    ['http', 'example.com', 80, '/a?b=1', 'http://example.com/a?b=1'],
    ['https', 'example.com', 443, '/', 'https://example.com/'],
    ['https', 'example.com', 8443, '/x', 'https://example.com:8443/x'],
    ['http', '::1', 8080, '/', 'http://[::1]:8080/'],
    ['http', 'example.com', 80, '*', 'http://example.com'],
  ])('%s://%s:%d%s → %s', (scheme, host, port, path, url) => {
    const flow = tflow();
    Object.assign(Flow.state(flow).request!, { scheme, host, port, path });
    expect(flow.request.url).toBe(url);
  });

  test('CONNECT renders host:port', () => {
    const flow = tflow();
    Object.assign(Flow.state(flow).request!, { method: 'CONNECT', host: 'example.com', port: 443, path: '' });
    expect(flow.request.url).toBe('example.com:443');
  });

  test('setting url updates scheme, host, port, path, the Host header and a non-empty authority', () => {
    const flow = tflow();
    flow.request.url = 'https://api.test:8443/v2/items?q=%20x';
    expect([flow.request.scheme, flow.request.host, flow.request.port, flow.request.path]).toEqual(['https', 'api.test', 8443, '/v2/items?q=%20x']);
    expect(flow.request.headers.get('host')).toBe('api.test:8443');
    expect(flow.request.authority).toBe('');
    Flow.state(flow).request!.authority = 'old:1';
    flow.request.host = 'new.test';
    expect(flow.request.authority).toBe('new.test:8443');
    expect(flow.changed).toBe(true);
  });

  test('an invalid url is rejected', () => {
    expect(() => {
      tflow().request.url = 'not a url';
    }).toThrow('invalid URL: "not a url"');
  });

  test('query is a live view that rewrites the path', () => {
    const flow = tflow();
    expect(flow.request.query.get('a')).toBe('1');
    flow.request.query.set('a', 'x y');
    flow.request.query.delete('b');
    flow.request.query.append('c', '3');
    expect(flow.request.path).toBe('/path?a=x+y&c=3');
  });

  test('cookies are a live view over the Cookie header', () => {
    const flow = tflow();
    expect(flow.request.cookies.get('sid')).toBe('abc');
    flow.request.cookies.set('sid', 'REDACTED');
    expect(flow.request.headers.get('cookie')).toBe('sid=REDACTED; theme=dark');
    flow.request.cookies.delete('sid');
    flow.request.cookies.delete('theme');
    expect(flow.request.headers.has('cookie')).toBe(false);
  });
});

describe('bodies', () => {
  const text = 'grüße, 世界';
  test.each([
    ['gzip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['deflate', deflateRawSync(text)],
    ['br', brotliCompressSync(text)],
    ['identity', Buffer.from(text)],
  ])('text decodes %s', (coding, body) => {
    const flow = tflow();
    flow.response!.headers.set('content-encoding', coding);
    Flow.state(flow).response!.content = body;
    expect(flow.response!.text).toBe(text);
  });

  test('text decodes zstd', () => {
    const flow = tflow();
    flow.response!.headers.set('content-encoding', 'zstd');
    Flow.state(flow).response!.content = ZSTD_HELLO;
    expect(flow.response!.text).toBe('hello zstd');
  });

  test('setting text re-encodes with the same coding and fixes Content-Length', () => {
    const flow = tflow();
    flow.response!.text = '{"ok": true}';
    const content = flow.response!.content!;
    expect(content[0]).toBe(0x1f); // still gzip
    expect(flow.response!.headers.get('content-length')).toBe(String(content.byteLength));
    expect(flow.response!.json()).toEqual({ ok: true });
  });

  test('setting text on a zstd body stores it plainly and drops Content-Encoding', () => {
    const flow = tflow();
    flow.response!.headers.set('content-encoding', 'zstd');
    flow.response!.text = 'plain';
    expect(flow.response!.headers.has('content-encoding')).toBe(false);
    expect(Buffer.from(flow.response!.content!).toString()).toBe('plain');
  });

  test.each([
    ['text/html; charset=iso-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'café'],
    ['text/plain; charset="windows-1252"', Buffer.from([0x80]), '€'],
    ['text/plain; charset=shift_jis', Buffer.from([0x82, 0xa0]), 'あ'],
    ['application/octet-stream', Buffer.from([0xff, 0xfe]), 'ÿþ'],
  ])('charset of %s', (type, bytes, expected) => {
    const flow = tflow();
    flow.response!.headers.delete('content-encoding');
    flow.response!.headers.set('content-type', type);
    Flow.state(flow).response!.content = bytes;
    expect(flow.response!.text).toBe(expected);
  });

  test('a charset that cannot be encoded becomes utf-8 in Content-Type', () => {
    const flow = tflow();
    flow.response!.headers.delete('content-encoding');
    flow.response!.headers.set('content-type', 'text/plain; charset=shift_jis');
    flow.response!.text = 'あ';
    expect(flow.response!.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(flow.response!.text).toBe('あ');
  });

  test('a corrupt gzip body fails with a clear message', () => {
    const flow = tflow();
    Flow.state(flow).response!.content = Buffer.from('not gzip');
    expect(() => flow.response!.text).toThrow(/^body is not valid gzip data: /);
  });

  test('response cookies are parsed', () => {
    const flow = tflow();
    flow.response!.headers.add('Set-Cookie', 'sid=1; Path=/; HttpOnly');
    expect(flow.response!.cookies).toEqual([{ name: 'sid', value: '1', attributes: { Path: '/', HttpOnly: true } }]);
  });
});

describe('change tracking', () => {
  test.each<[string, (f: Flow) => void, boolean]>([
    ['reading request fields', (f) => void [f.request.url, f.request.headers.get('host'), f.response!.text, f.request.query.get('a')], false],
    ['setting a field to its value', (f) => (f.request.method = 'GET'), false],
    ['setting a field', (f) => (f.request.method = 'POST'), true],
    ['changing a header', (f) => f.response!.headers.set('x', '1'), true],
    ['changing the query', (f) => f.request.query.set('a', '2'), true],
    ['reading metadata (a mutable object)', (f) => f.metadata, false],
    ['setting a metadata key', (f) => (f.metadata.a = 1), true],
    ['setting the response', (f) => (f.response = makeResponse({ statusCode: 404 })), true],
    ['marking', (f) => (f.marked = true), true],
  ])('%s → changed=%s', (_name, act, changed) => {
    const flow = tflow();
    act(flow);
    expect(flow.changed).toBe(changed);
  });

  test('a response assigned into a flow reports later changes to that flow', () => {
    const flow = tflow({ response: false });
    const response = makeResponse({ statusCode: 200, content: 'x' });
    flow.response = response;
    expect(Flow.state(flow).response!.statusCode).toBe(200);
    response.headers.set('x', 'y');
    expect(Flow.state(flow).response!.headers).toContainEqual(['x', 'y']);
  });

  test('copy is deep, gets a new id and leaves the original alone', () => {
    const flow = tflow();
    const copy = flow.copy();
    copy.request.headers.set('host', 'other');
    expect(copy.id).not.toBe(flow.id);
    expect(flow.request.headers.get('host')).toBe('example.com');
    expect(flow.changed).toBe(false);
  });

  test.each([
    ['a Buffer (as decoders make)', (text: string): Uint8Array => Buffer.from(text)],
    ['a Uint8Array', (text: string): Uint8Array => new TextEncoder().encode(text)],
  ])('copy has body bytes of its own when the body is %s', (_kind, bytes) => {
    const state = tstate();
    state.response!.content = bytes('hello');
    const flow = new Flow(state);
    const copy = flow.copy();
    copy.response!.content![0] = 0x4a;
    expect(Buffer.from(copy.response!.content!).toString()).toBe('Jello');
    expect(Buffer.from(flow.response!.content!).toString()).toBe('hello');
  });
});

describe('createFlow', () => {
  test('fills a complete flow', () => {
    const flow = createFlow({ request: { method: 'POST', url: 'https://example.com:8443/x?y=1', content: 'body' }, response: { statusCode: 404 }, timestamp: 1 });
    expect(flow.request.url).toBe('https://example.com:8443/x?y=1');
    expect(flow.request.headers.get('host')).toBe('example.com:8443');
    expect(flow.response!.reason).toBe('Not Found');
    expect(flow.response!.headers.get('content-length')).toBe('0');
    expect(Flow.state(flow).serverConn.address).toEqual(['example.com', 8443]);
    expect(tstate().type).toBe('http');
  });
});
