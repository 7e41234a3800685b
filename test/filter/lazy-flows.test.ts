// The filter's cheap reads of lazily decoded mitmproxy flows (a header looked up in the record's bytes, plain
// memo fields, `&`/`|` folded into pairs) give exactly the answers the general path gives on the same flow
// decoded plainly: a table of expressions over a table of odd requests, both ways. Evaluating leaves the
// record pristine and writes it back byte for byte.

import { describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { fieldRead } from '../../src/codecs/mitmproxy/lazy-fields.js';
import { toMitmproxy } from '../../src/codecs/mitmproxy/state.js';
import { encodeToBuffer, type TValue } from '../../src/codecs/mitmproxy/tnetstring.js';
import { atVersion } from '../../src/codecs/mitmproxy/versions.js';
import { SchemaError } from '../../src/errors.js';
import { compileFilter } from '../../src/filter/compile.js';
import { copyState, Flow } from '../../src/model/flow.js';
import type { HttpFlowState, RequestState } from '../../src/model/state.js';
import { collectRecords, chunked, encodeAll, tstate } from '../helpers/tflow.js';

/** The model's byte strings are latin1 text: a UTF-8 name as the model holds it. */
const utf8Bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

type Change = Partial<RequestState> & { status?: number; noResponse?: boolean; error?: boolean };
const CASES: [name: string, change: Change][] = [
  ['a Host header', {}],
  ['no Host header', { headers: [['Accept', '*/*']] }],
  ['a Host header with a port', { headers: [['Host', 'example.com:8080']], port: 8080 }],
  ['an IPv6 Host header', { headers: [['Host', '[::1]:8080']], host: '::1', port: 8080 }],
  ['several Host headers, in odd cases', { headers: [['host', 'a.example.com'], ['Accept', '*/*'], ['HOST', 'b.example.org']] }],
  ['a Host header that differs from the host', { host: '10.0.0.1', headers: [['hOsT', 'api.example.org']] }],
  ['an empty Host header', { headers: [['Host', '']] }],
  ['a header name with a latin1 letter', { headers: [['H\xd2st', 'evil.test'], ['Host', 'example.com']] }],
  ['a latin1 Host value', { headers: [['Host', 'ex\xe4mple.com']] }],
  ['a UTF-8 Host value', { headers: [['Host', utf8Bytes('bücher.example')]] }],
  ['HTTP/2 with an :authority', { httpVersion: 'HTTP/2.0', authority: 'api.example.com:443', scheme: 'https', port: 443, headers: [['accept', '*/*']] }],
  ['HTTP/2 without an :authority', { httpVersion: 'HTTP/2.0', authority: '', headers: [['host', 'h2.example.com']] }],
  ['a lower-case method', { method: 'get' }],
  ['a mixed-case POST to /login', { method: 'PoSt', path: '/login?next=/', headers: [['Host', 'example.com'], ['Content-Type', 'application/json']] }],
  ['CONNECT', { method: 'CONNECT', authority: 'example.com:443', path: '', port: 443, headers: [['Host', 'example.com:443']] }],
  ['no response', { noResponse: true }],
  ['a 404 with an error', { status: 404, error: true }],
];

const EXPRESSIONS = [
  '~d example.com & ~m GET',
  '~d example.com | ~m POST',
  '~m GET',
  '~m POST',
  '~m get',
  '~m "^CONNECT$"',
  '~d api',
  '~d example',
  '~d "^example\\.com$"',
  '~d ä',
  '~d bücher',
  '~d "::1"',
  '~d 10.0.0.1',
  '~u /login',
  '~u example.com:8080',
  '~u "^https://api"',
  '~c 200',
  '~c 404',
  '~h "Host: x"',
  '~hq "^host: example"',
  '~hs "content-type"',
  '~q',
  '~s',
  '!~e',
  '~t json',
  '~tq json',
  '~ts text',
  '~b hello',
  '~d example.com & ~m GET & !~e & ~s',
];

function stateOf(change: Change): HttpFlowState {
  const { status, noResponse, error, ...request } = change;
  const state = tstate({ response: !noResponse, error });
  Object.assign(state.request, request);
  if (status !== undefined) state.response!.statusCode = status;
  return state;
}

async function decoded(bytes: Uint8Array) {
  return collectRecords(mitmproxyCodec.decode(chunked(bytes, 4096), 'in.test'));
}

describe('filters over lazily decoded flows answer as over plainly decoded ones', async () => {
  const states = CASES.map(([, change]) => stateOf(change));
  const bytes = encodeAll(mitmproxyCodec, states);
  // The same records twice: one set is read lazily by the filters, the other decoded whole for the reference.
  const [lazy, reference] = [await decoded(bytes), await decoded(bytes)];
  const plain = reference.map((r) => new Flow(copyState(Flow.state(r.flow))));

  test.each(EXPRESSIONS)('%s', (expression) => {
    const filter = compileFilter(expression);
    const got = lazy.map((r) => filter(r.flow));
    const want = plain.map((flow) => filter(flow));
    expect(Object.fromEntries(CASES.map(([name], i) => [name, got[i]]))).toEqual(Object.fromEntries(CASES.map(([name], i) => [name, want[i]])));
  });

  test('the records read by every filter are pristine and written back byte for byte', () => {
    expect(lazy.every((r) => r.pristine)).toBe(true);
    const encoder = mitmproxyCodec.encoder();
    expect(Buffer.concat(lazy.flatMap((r) => encoder.encode(r)))).toEqual(bytes);
  });
});

test('~d looks the Host header up in the record: the request headers are not decoded', async () => {
  const [record] = await decoded(encodeAll(mitmproxyCodec, [stateOf({ headers: [['Accept', '*/*'], ['Host', 'example.com']] })]));
  expect(compileFilter('~d example.com & ~m GET')(record!.flow)).toBe(true);
  const request = Flow.state(record!.flow).request as object;
  expect([fieldRead(request, 'headers'), fieldRead(request, 'method')]).toEqual([false, true]);
});

test('a header list the cheap lookup does not read (text, not bytes) is read by the general path', async () => {
  const dict = atVersion(toMitmproxy(stateOf({})), 21);
  (dict.request as Record<string, TValue>).headers = [['Host', 'text.example.com']];
  const [record] = await decoded(encodeToBuffer(dict));
  expect(compileFilter('~d text.example')(record!.flow)).toBe(true);
});

test('a header list that is not one makes ~d fail as reading the headers fails', async () => {
  const dict = atVersion(toMitmproxy(stateOf({})), 21);
  (dict.request as Record<string, TValue>).headers = [[new Uint8Array([0x48]), 7]];
  const [record] = await decoded(encodeToBuffer(dict));
  // The request's host does not match, so ~d goes on to the Host header.
  expect(() => compileFilter('~d nowhere')(record!.flow)).toThrow(SchemaError);
  expect(() => (Flow.state(record!.flow) as HttpFlowState).request.headers).toThrow(SchemaError);
});
