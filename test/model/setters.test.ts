// Values a script sets are checked when written: a value outside a field's domain is refused with a
// FieldError naming the field and saying what it expects, and the flow is left as it was.

import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { FieldError } from '../../src/errors.js';
import { DOMAINS } from '../../src/model/domains.js';
import { createFlow, Flow, makeResponse } from '../../src/model/flow.js';
import { Headers } from '../../src/model/headers.js';
import { tflow } from '../helpers/tflow.js';

type Target = 'flow' | 'request' | 'response';

function target(flow: Flow, of: Target): Record<string, unknown> {
  if (of === 'flow') return flow as unknown as Record<string, unknown>;
  return (of === 'request' ? flow.request : flow.response!) as unknown as Record<string, unknown>;
}

/** Sets `field` on a fresh flow; the error it throws, or undefined. Checks that a refused flow was not touched. */
function attempt(of: Target, field: string, value: unknown): unknown {
  const flow = tflow({ response: true });
  const before = JSON.stringify(Flow.state(flow));
  try {
    target(flow, of)[field] = value;
    return undefined;
  } catch (err) {
    expect(flow.changed).toBe(false);
    expect(JSON.stringify(Flow.state(flow))).toBe(before);
    return err;
  }
}

const REFUSED: [Target, string, unknown, string][] = [
  ['response', 'statusCode', 'abc', 'response.statusCode is "abc", expected an integer from 100 to 999'],
  ['response', 'statusCode', NaN, 'response.statusCode is NaN, expected an integer from 100 to 999'],
  ['response', 'statusCode', 200.5, 'response.statusCode is 200.5, expected an integer from 100 to 999'],
  ['response', 'statusCode', 99, 'response.statusCode is 99, expected an integer from 100 to 999'],
  ['response', 'statusCode', 1000, 'response.statusCode is 1000, expected an integer from 100 to 999'],
  ['response', 'content', 'a string', 'response.content is "a string", expected bytes (a Uint8Array or Buffer) or null; set `text` to store a string'],
  ['response', 'content', 5, 'response.content is 5, expected bytes (a Uint8Array or Buffer) or null; set `text` to store a string'],
  ['response', 'content', { a: 1 }, 'response.content is an object, expected bytes (a Uint8Array or Buffer) or null; set `text` to store a string'],
  ['response', 'content', [1, 2], 'response.content is a list, expected bytes (a Uint8Array or Buffer) or null; set `text` to store a string'],
  ['request', 'content', undefined, 'request.content is undefined, expected bytes (a Uint8Array or Buffer) or null; set `text` to store a string'],
  ['request', 'port', 'eighty', 'request.port is "eighty", expected an integer from 1 to 65535'],
  ['request', 'port', -1, 'request.port is -1, expected an integer from 1 to 65535'],
  ['request', 'port', 0, 'request.port is 0, expected an integer from 1 to 65535'],
  ['request', 'port', 70000, 'request.port is 70000, expected an integer from 1 to 65535'],
  ['request', 'method', 'GE\0T', `request.method is "GE\\u0000T", expected ${DOMAINS.method.expected}`],
  ['request', 'method', 'GET /x HTTP/1.1\r\nX: y', `request.method is "GET /x HTTP/1.1\\r\\nX: y", expected ${DOMAINS.method.expected}`],
  ['request', 'method', '', `request.method is "", expected ${DOMAINS.method.expected}`],
  ['request', 'host', 'exa\0mple.com', `request.host is "exa\\u0000mple.com", expected ${DOMAINS.host.expected}`],
  ['request', 'host', 'a.test/evil', `request.host is "a.test/evil", expected ${DOMAINS.host.expected}`],
  ['request', 'host', '', `request.host is "", expected ${DOMAINS.host.expected}`],
  ['request', 'scheme', 'ftp', 'request.scheme is "ftp", expected "http" or "https"'],
  ['request', 'path', '/a b', `request.path is "/a b", expected ${DOMAINS.path.expected}`],
  ['request', 'path', '/a\r\nX: y', `request.path is "/a\\r\\nX: y", expected ${DOMAINS.path.expected}`],
  ['request', 'path', '/日本', `request.path is "/日本", expected ${DOMAINS.path.expected}`],
  ['request', 'authority', 'a b', `request.authority is "a b", expected ${DOMAINS.authority.expected}`],
  ['request', 'httpVersion', 'HTTP/1.1\r\n', `request.httpVersion is "HTTP/1.1\\r\\n", expected ${DOMAINS.httpVersion.expected}`],
  ['request', 'url', 'ftp://a.test:21/', `request.url's scheme is "ftp", expected "http" or "https"`],
  ['request', 'url', 'http://a.test:0/', `request.url's port is 0, expected an integer from 1 to 65535`],
  ['request', 'url', 42, 'request.url is 42, expected an absolute URL string (scheme://host[:port]/path)'],
  ['request', 'timestampStart', Infinity, 'request.timestampStart is Infinity, expected a finite number (seconds since the epoch)'],
  ['response', 'timestampEnd', '1', 'response.timestampEnd is "1", expected a finite number (seconds since the epoch) or null'],
  ['response', 'reason', 'OK\r\nSet-Cookie: a=1', `response.reason is "OK\\r\\nSet-Cookie: a=1", expected ${DOMAINS.reason.expected}`],
  ['response', 'headers', { a: 'b' }, "response.headers is an object, expected a Headers (new Headers(…) from flowtx, or another message's headers)"],
  ['request', 'trailers', [], "request.trailers is a list, expected a Headers (new Headers(…) from flowtx, or another message's headers) or null"],
  ['flow', 'response', { statusCode: 200 }, 'flow.response is an object, expected a Response (makeResponse(…)) or null'],
  ['flow', 'error', { msg: 'x' }, 'flow.error is an object, expected null or { msg: string, timestamp: finite number }'],
  ['flow', 'error', 'boom', 'flow.error is "boom", expected null or { msg: string, timestamp: finite number }'],
  ['flow', 'websocket', [], 'flow.websocket is a list, expected an object or null'],
  ['flow', 'comment', 5, 'flow.comment is 5, expected a string'],
  ['flow', 'marked', 1, 'flow.marked is 1, expected a string ("" for none) or a boolean'],
  ['flow', 'timestampCreated', NaN, 'flow.timestampCreated is NaN, expected a finite number (seconds since the epoch)'],
  ['flow', 'isReplay', 'yes', 'flow.isReplay is "yes", expected "request", "response" or null'],
  ['flow', 'intercepted', 'no', 'flow.intercepted is "no", expected a boolean'],
];

describe('setters refuse values outside their field\'s domain', () => {
  test.each(REFUSED)('%s.%s = %o', (of, field, value, message) => {
    const err = attempt(of, field, value);
    expect(err).toBeInstanceOf(FieldError);
    expect((err as FieldError).message).toBe(message);
    expect((err as FieldError).code).toBe('FLOWTX_FIELD');
  });
});

const ACCEPTED: [Target, string, unknown][] = [
  ['response', 'statusCode', 100],
  ['response', 'statusCode', 999],
  ['response', 'content', new Uint8Array([1])],
  ['response', 'content', Buffer.from('x')],
  ['response', 'content', null],
  ['request', 'port', 1],
  ['request', 'port', 65535],
  ['request', 'method', 'M-SEARCH'],
  ['request', 'host', '::1'],
  ['request', 'host', 'caf\xe9.test'],
  ['request', 'path', '*'],
  ['request', 'path', ''],
  ['request', 'path', '/caf\xe9?q=%20'],
  ['request', 'authority', ''],
  ['request', 'httpVersion', 'HTTP/2.0'],
  ['request', 'httpVersion', 'HTTP/3'],
  ['request', 'timestampEnd', null],
  ['response', 'reason', 'Not\tFound \xe9'],
  ['response', 'trailers', null],
  ['flow', 'marked', true],
  ['flow', 'marked', ':star:'],
  ['flow', 'error', { msg: 'reset', timestamp: 1 }],
  ['flow', 'response', null],
  ['flow', 'isReplay', null],
];

test.each(ACCEPTED)('%s.%s = %o is taken and read back', (of, field, value) => {
  const flow = tflow({ response: true });
  target(flow, of)[field] = value;
  const back = target(flow, of)[field];
  if (field === 'marked' && value === true) expect(back).toBe(':default:');
  else if (field === 'error') expect(back).toEqual(value);
  else expect(back).toBe(value);
});

describe('headers', () => {
  test.each([
    [(h: Headers) => h.set('x', 5 as never), 'header "x" is 5, expected a string or a list of strings'],
    [(h: Headers) => h.set('x', [5] as never), `header "x" is 5, expected ${DOMAINS.headerValue.expected}`],
    [(h: Headers) => h.set('x', 'a\r\nSet-Cookie: s=1'), `header "x" is "a\\r\\nSet-Cookie: s=1", expected ${DOMAINS.headerValue.expected}`],
    [(h: Headers) => h.set('x', 'a\0'), `header "x" is "a\\u0000", expected ${DOMAINS.headerValue.expected}`],
    [(h: Headers) => h.set('x', '€'), `header "x" is "€", expected ${DOMAINS.headerValue.expected}`],
    [(h: Headers) => h.set('a b', 'v'), `header name is "a b", expected ${DOMAINS.headerName.expected}`],
    [(h: Headers) => h.add('X-A\r\nInjected', 'v'), `header name is "X-A\\r\\nInjected", expected ${DOMAINS.headerName.expected}`],
    [(h: Headers) => h.add('', 'v'), `header name is "", expected ${DOMAINS.headerName.expected}`],
    [(h: Headers) => h.add('x', undefined as never), `header "x" is undefined, expected ${DOMAINS.headerValue.expected}`],
  ])('%s', (change, message) => {
    const flow = tflow({ response: true });
    const before = flow.response!.headers.fields;
    expect(() => change(flow.response!.headers)).toThrow(FieldError);
    expect(() => change(flow.response!.headers)).toThrow(message);
    expect(flow.response!.headers.fields).toEqual(before);
    expect(flow.changed).toBe(false);
  });

  test('new Headers(…) checks its fields', () => {
    expect(() => new Headers({ 'x-a': ['ok', 'bad\n'] })).toThrow(`header "x-a" is "bad\\n", expected ${DOMAINS.headerValue.expected}`);
    expect(() => new Headers([['x:y', 'v']])).toThrow(`header name is "x:y"`);
  });

  test('tab, obs-text and an empty value are field values', () => {
    const flow = tflow();
    flow.request.headers.set('X-A', ['a\tb', 'caf\xe9', '']);
    expect(flow.request.headers.getAll('x-a')).toEqual(['a\tb', 'caf\xe9', '']);
  });
});

describe('flows made from a script\'s values', () => {
  test.each([
    [() => makeResponse({ statusCode: 'abc' as never }), 'response.statusCode is "abc", expected an integer from 100 to 999'],
    [() => makeResponse({ content: 5 as never }), 'response.content is 5, expected bytes, a string (stored as UTF-8) or null'],
    [() => makeResponse({ reason: 'OK\n' }), `response.reason is "OK\\n", expected ${DOMAINS.reason.expected}`],
    [() => makeResponse({ headers: { 'a\n': 'b' } }), 'header name is "a\\n"'],
    [() => createFlow({ request: { url: 'http://a.test/', method: 'G T' } }), `request.method is "G T", expected ${DOMAINS.method.expected}`],
    [() => createFlow({ request: { url: 'http://a.test/', httpVersion: 'h2' } }), `request.httpVersion is "h2"`],
    [() => createFlow({ request: { url: 'http://a.test/' }, error: { msg: 1 } as never }), 'flow.error is an object, expected null or { msg: string, timestamp: finite number }'],
  ])('%s', (make, message) => {
    expect(make).toThrow(message);
  });
});

// Any value at all: either the field's domain takes it and it reads back, or the setter refuses it with a
// FieldError naming the field, and the flow stays as it was.
const anything = fc.oneof(
  fc.anything(),
  fc.double(),
  fc.integer({ min: -70000, max: 70000 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x2ff }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
);
const FIELDS: [Target, string][] = [
  ['request', 'method'], ['request', 'scheme'], ['request', 'host'], ['request', 'port'], ['request', 'path'],
  ['request', 'authority'], ['request', 'httpVersion'], ['request', 'content'], ['request', 'timestampStart'],
  ['response', 'statusCode'], ['response', 'reason'], ['response', 'content'], ['response', 'timestampEnd'],
  ['flow', 'comment'], ['flow', 'timestampCreated'], ['flow', 'intercepted'], ['flow', 'isReplay'],
];

prop.prop([fc.constantFrom(...FIELDS), anything], { numRuns: 500 })('a set value is in its domain or refused, naming the field', ([of, field], value) => {
  const err = attempt(of, field, value);
  if (err === undefined) {
    const flow = tflow({ response: true });
    target(flow, of)[field] = value;
    expect(target(flow, of)[field]).toBe(value);
  } else {
    expect(err).toBeInstanceOf(FieldError);
    expect((err as FieldError).field).toBe(`${of}.${field}`);
  }
});

prop.prop([fc.string({ unit: fc.integer({ min: 0, max: 0x17f }).map((c) => String.fromCharCode(c)), maxLength: 8 })], { numRuns: 300 })(
  'a header value that is taken holds no CR, LF or NUL',
  (value) => {
    const headers = new Headers();
    let taken = true;
    try {
      headers.set('x', value);
    } catch (err) {
      expect(err).toBeInstanceOf(FieldError);
      taken = false;
    }
    expect(taken).toBe(!/[\0-\x08\n-\x1f\x7f\u0100-\uffff]/.test(value));
  },
);
