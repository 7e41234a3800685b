// Reading a flow never marks it changed; changing it in place, at any depth, does. One row per public getter
// of every model class a script can reach (found by reflection: a getter without a row fails), each read
// deeply on every flow of every fixture format, so lazily decoded flows are covered. Then rows that change
// each tracked part at depth, and the state behind the tracking proxies staying plain.

import { readFileSync } from 'node:fs';
import { types } from 'node:util';
import { describe, expect, test } from 'vitest';
import { codecByName } from '../../src/codecs/registry.js';
import { BodyError } from '../../src/errors.js';
import { Flow } from '../../src/model/flow.js';
import { Headers } from '../../src/model/headers.js';
import { Request, Response } from '../../src/model/message.js';
import { MultiDictView } from '../../src/model/multidict.js';
import type { FlowRecord } from '../../src/model/record.js';
import type { StateValue } from '../../src/model/state.js';
import { FlowView } from '../../src/model/view.js';
import { chunked, collectRecords, tflow } from '../helpers/tflow.js';

const FIXTURES: [format: string, file: string][] = [
  ['mitmproxy', 'sample.flows'],
  ['msgpack', 'sample.ftx'],
  ['ndjson', 'sample.ndjson'],
  ['har', 'sample.har'],
];

async function decode(format: string, file: string): Promise<FlowRecord[]> {
  const bytes = readFileSync(new URL(`../../fixtures/${file}`, import.meta.url));
  return collectRecords(codecByName(format).decode(chunked(bytes, 4096), file));
}

/** Reads `value` all the way down: every key, every item of anything iterable, and its JSON. */
function readDeep(value: unknown): void {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  if (Symbol.iterator in value) for (const item of value as Iterable<unknown>) readDeep(item);
  for (const key of Object.keys(value)) readDeep((value as Record<string, unknown>)[key]);
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** A read of a part a flow may lack: skipped (undefined) on flows without it. */
const http = <T>(read: (f: Flow) => T) => (f: Flow): T | undefined => (f.type === 'http' ? read(f) : undefined);
const withResponse = <T>(read: (r: Response) => T) => (f: Flow): T | undefined => (f.type === 'http' && f.response !== null ? read(f.response) : undefined);
const messages = <T>(read: (m: Request | Response) => T) => (f: Flow): unknown =>
  f.type === 'http' ? [read(f.request), f.response === null ? undefined : read(f.response)] : undefined;
/** A body read: a body that is not valid for its content-encoding throws BodyError, which is a read too. */
const body = (read: (m: Request | Response) => unknown) => messages((m) => {
  try {
    return read(m);
  } catch (error) {
    if (error instanceof BodyError) return undefined;
    throw error;
  }
});

type Row = (flow: Flow) => unknown;

/** Every getter (by class), plus the read-only methods, each read the way a script would. */
const READS: Record<string, { prototype: object; getters: Record<string, Row>; methods?: Record<string, Row> }> = {
  Flow: {
    prototype: Flow.prototype,
    getters: {
      id: (f) => f.id,
      type: (f) => f.type,
      request: http((f) => f.request),
      response: http((f) => f.response),
      error: (f) => f.error,
      clientConn: (f) => f.clientConn,
      serverConn: (f) => f.serverConn,
      websocket: http((f) => f.websocket),
      messages: (f) => f.messages,
      marked: (f) => f.marked,
      comment: (f) => f.comment,
      metadata: (f) => f.metadata,
      timestampCreated: (f) => f.timestampCreated,
      isReplay: (f) => f.isReplay,
      intercepted: (f) => f.intercepted,
      extra: (f) => f.extra,
      changed: (f) => f.changed,
    },
    methods: { toJSON: (f) => f.toJSON(), copy: (f) => (f.type === 'http' ? f.copy() : undefined) },
  },
  // Message, the base both extend: read on the request and the response.
  Message: {
    prototype: Object.getPrototypeOf(Request.prototype) as object,
    getters: {
      httpVersion: messages((m) => m.httpVersion),
      headers: messages((m) => m.headers),
      trailers: messages((m) => m.trailers),
      timestampStart: messages((m) => m.timestampStart),
      timestampEnd: messages((m) => m.timestampEnd),
      content: messages((m) => m.content),
      decodedContent: body((m) => m.decodedContent),
      text: body((m) => m.text),
      extra: messages((m) => m.extra),
    },
    methods: { json: body((m) => { try { return m.json(); } catch (e) { if (e instanceof SyntaxError) return undefined; throw e; } }) },
  },
  Request: {
    prototype: Request.prototype,
    getters: {
      method: http((f) => f.request.method),
      scheme: http((f) => f.request.scheme),
      host: http((f) => f.request.host),
      port: http((f) => f.request.port),
      path: http((f) => f.request.path),
      authority: http((f) => f.request.authority),
      url: http((f) => f.request.url),
      prettyHost: http((f) => f.request.prettyHost),
      query: http((f) => f.request.query),
      cookies: http((f) => f.request.cookies),
      line: http((f) => f.request.line),
    },
  },
  Response: {
    prototype: Response.prototype,
    getters: {
      statusCode: withResponse((r) => r.statusCode),
      reason: withResponse((r) => r.reason),
      cookies: withResponse((r) => r.cookies),
    },
  },
  Headers: {
    prototype: Headers.prototype,
    getters: {
      fields: messages((m) => m.headers.fields),
      size: messages((m) => m.headers.size),
    },
    methods: {
      get: messages((m) => m.headers.get('content-type')),
      getAll: messages((m) => m.headers.getAll('set-cookie')),
      has: messages((m) => m.headers.has('host')),
      names: messages((m) => m.headers.names()),
      entries: messages((m) => [...m.headers.entries()]),
      toJSON: messages((m) => m.headers.toJSON()),
    },
  },
  MultiDictView: {
    prototype: MultiDictView.prototype,
    getters: { size: http((f) => [f.request.query.size, f.request.cookies.size]) },
    methods: {
      get: http((f) => f.request.query.get('a')),
      getAll: http((f) => f.request.cookies.getAll('sid')),
      has: http((f) => f.request.query.has('a')),
      entries: http((f) => [...f.request.query]),
    },
  },
  FlowView: {
    prototype: FlowView.prototype,
    getters: Object.fromEntries(
      ['id', 'type', 'isHttp', 'request', 'response', 'httpResponse', 'websocket', 'messages', 'error', 'clientConn', 'serverConn',
        'marked', 'comment', 'metadata', 'timestampCreated', 'isReplay', 'intercepted', 'extra', 'firstQuestion', 'source',
        'destination', 'metadataText']
        .map((name): [string, Row] => [name, (f) => FlowView.of(f)[name as keyof FlowView]])
        .concat(['url', 'prettyHost', 'prettyUrl'].map((name): [string, Row] => [name, http((f) => FlowView.of(f)[name as keyof FlowView])])),
    ),
    methods: Object.fromEntries(
      (['headerBlock', 'contentTypes', 'body', 'dnsText'] as const).map((name): [string, Row] => [
        name,
        (f) => (['request', 'response'] as const).map((side) => FlowView.of(f)[name](side)),
      ]),
    ),
  },
};

/** The getters a class's prototype defines (not those of its base). */
function gettersOf(prototype: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(prototype))
    .filter(([, d]) => d.get !== undefined)
    .map(([name]) => name);
}

test.each(Object.entries(READS))('%s: every public getter has a read row', (_name, { prototype, getters }) => {
  expect(Object.keys(getters).sort()).toEqual(gettersOf(prototype).sort());
});

const ROWS = Object.entries(READS).flatMap(([cls, { getters, methods = {} }]) =>
  [...Object.entries(getters), ...Object.entries(methods)].map(([name, read]): [string, Row] => [`${cls}.${name}`, read]),
);

describe.each(FIXTURES)('reading a flow decoded from %s (%s) leaves it unchanged', (format, file) => {
  test.each(ROWS)('%s', async (_name, read) => {
    const records = await decode(format, file);
    for (const record of records) {
      readDeep(read(record.flow));
      readDeep(read(record.flow)); // and again, through what the first read made and kept
      expect(record.flow.changed).toBe(false);
      expect(record.pristine).toBe(true);
    }
  });
});

/** A flow whose tracked parts are all present and nested, seeded through the state (which marks nothing). */
function seeded(): Flow {
  const flow = tflow({ error: true });
  const state = Flow.state(flow);
  state.metadata = { a: { b: 1, list: [1, 2] } };
  state.extra = { format: { nested: { x: 'y' } } };
  state.request!.extra = { har: { entry: { a: 1 } } };
  state.websocket = {
    messages: [{ type: 1, fromClient: true, content: new Uint8Array([104, 105]), timestamp: 1, dropped: false, injected: false }],
    closedByClient: null, closeCode: null, closeReason: null, timestampEnd: null,
  };
  state.messages = [{ fromClient: true, content: new Uint8Array([1]), timestamp: 1 }];
  return flow;
}

const message = { type: 2, fromClient: false, content: new Uint8Array([0]), timestamp: 2, dropped: false, injected: false };

const CHANGES: [name: string, change: (f: Flow) => void][] = [
  ['clientConn.peername[1] = 5', (f) => (f.clientConn.peername![1] = 5)],
  ['clientConn.alpnOffers.push()', (f) => f.clientConn.alpnOffers.push('h2')],
  ['serverConn.address = […]', (f) => (f.serverConn.address = ['example.org', 8080])],
  ['serverConn.certificateList.push()', (f) => void f.serverConn.certificateList.push('PEM')],
  ['error.msg = …', (f) => (f.error!.msg = 'changed')],
  ['websocket.messages.push(…)', (f) => f.websocket!.messages.push(message)],
  ['websocket.messages[0].dropped = true', (f) => (f.websocket!.messages[0]!.dropped = true)],
  ['websocket.messages.unshift(…)', (f) => void f.websocket!.messages.unshift(message)],
  ['websocket.closeCode = 1000', (f) => (f.websocket!.closeCode = 1000)],
  ['messages[0].content = …', (f) => (f.messages![0]!.content = new Uint8Array([2]))],
  ['messages.splice(0, 1)', (f) => void f.messages!.splice(0, 1)],
  ['metadata.a.b = 2', (f) => ((f.metadata.a as Record<string, StateValue>).b = 2)],
  ['metadata.a.list.push(3)', (f) => void ((f.metadata.a as Record<string, StateValue[]>).list!.push(3))],
  ['metadata.c = {…}', (f) => (f.metadata.c = { d: true })],
  ['delete metadata.a', (f) => delete f.metadata.a],
  ['Object.defineProperty(metadata, …)', (f) => Object.defineProperty(f.metadata, 'k', { value: 1, enumerable: true })],
  ['extra.format.nested.x = …', (f) => (((f.extra.format as Record<string, StateValue>).nested as Record<string, StateValue>).x = 'z')],
  ['request.extra.har.entry.a = 2', (f) => ((((f.request.extra.har as Record<string, StateValue>).entry) as Record<string, StateValue>).a = 2)],
  ['response.extra.added = 1', (f) => (f.response!.extra.added = 1)],
];

describe('a change at any depth of a tracked part marks the flow', () => {
  test.each(CHANGES)('%s', (_name, change) => {
    const flow = seeded();
    change(flow);
    expect(flow.changed).toBe(true);
  });

  test.each([
    ['the same number', (f: Flow) => (f.clientConn.peername![1] = 50000)],
    ['an absent key deleted', (f: Flow) => delete f.metadata.nothing],
  ])('setting %s marks nothing (nothing changed)', (_name, change) => {
    const flow = seeded();
    change(flow);
    expect(flow.changed).toBe(false);
  });

  test.each(FIXTURES)('on a flow decoded from %s, and the change is written', async (format, file) => {
    const records = await decode(format, file);
    const record = records.find((r) => r.flow.type === 'http' && r.flow.clientConn.peername !== null)!;
    record.flow.clientConn.peername![1] = 5;
    (record.flow.metadata as Record<string, StateValue>).seen = { by: 'test' };
    expect(record.pristine).toBe(false);
    const codec = codecByName(format);
    const encoder = codec.encoder();
    const bytes = Buffer.concat([...encoder.begin(), ...encoder.encode(record), ...encoder.end()]);
    const [again] = await collectRecords(codec.decode(chunked(bytes, 4096), 'again'));
    // HAR has no client address or metadata to write them to; the other formats must carry both.
    if (format !== 'har') {
      expect(Flow.state(again!.flow).clientConn.peername![1]).toBe(5);
      expect(Flow.state(again!.flow).metadata.seen).toEqual({ by: 'test' });
    }
  });
});

describe('tracking proxies', () => {
  test('are the same object on every read', () => {
    const flow = seeded();
    expect(flow.metadata).toBe(flow.metadata);
    expect(flow.clientConn.peername).toBe(flow.clientConn.peername);
    expect(flow.websocket!.messages[0]).toBe(flow.websocket!.messages[0]);
    expect(flow.request.extra).toBe(flow.request.extra);
  });

  test('never reach the state: what is set through them is stored plain, at any depth', () => {
    const flow = seeded();
    flow.metadata.conn = flow.clientConn as unknown as StateValue;
    flow.metadata.nested = { list: [flow.metadata.a!] };
    flow.websocket = flow.websocket;
    const state = Flow.state(flow);
    const proxies: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
      if (types.isProxy(value)) proxies.push(path);
      for (const key of Object.keys(value)) walk((value as Record<string, unknown>)[key], `${path}.${key}`);
    };
    walk(state, 'state');
    expect(proxies).toEqual([]);
    expect(state.metadata.conn).toBe(state.clientConn);
  });
});
