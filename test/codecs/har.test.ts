// The HAR codec against real HARs (browsers, Charles, Insomnia, Playwright, mitmproxy) with JSON.parse of the
// source as the oracle, mitmproxy's own HAR exports as the writer's reference, round trips both ways,
// chunk boundaries, key orders and faults with exact messages. mitmproxy's small test files are committed
// (test/fixtures/mitmproxy); the larger ones and the real captures, under ../shared, are skipped with the reason
// when absent.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import type { Codec } from '../../src/codecs/codec.js';
import { harCodec } from '../../src/codecs/har/codec.js';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { msgpackCodec } from '../../src/codecs/msgpack/codec.js';
import { codecByExtension, codecByName, sniffCodec } from '../../src/codecs/registry.js';
import { CodecError, SchemaError } from '../../src/errors.js';
import { decodeContent, parseCodings } from '../../src/model/encoding.js';
import { copyState, Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import type { HttpFlowState, MessageState } from '../../src/model/state.js';
import { CHUNK_SIZES, httpFlowState } from '../helpers/arbitrary.js';
import { corpusFile, corpusListing, haveSharedCorpus, leftOut } from '../helpers/corpus.js';
import { chunked, collectRecords, decodeUntilError, tstate } from '../helpers/tflow.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Said of a table over corpus files where the shared corpus is absent: rows of files only there are left out. */
const why = haveSharedCorpus ? '' : leftOut('files only in ../shared/corpus');
const SAMPLE = join(ROOT, 'fixtures/sample.har');

/** Every HAR of the corpus that must read: other tools' exports, mitmproxy's exports, the real captures. */
const HARS = [SAMPLE, ...corpusListing('mitmproxy/har_files', '.har'), ...corpusListing('mitmproxy/flows', '.har'), ...corpusListing('real', '.har')];
const name = (file: string): string => file.slice(file.lastIndexOf('/', file.lastIndexOf('/') - 1) + 1);

type Entry = { [key: string]: any };

const parseSource = (file: string): { log: Entry } => JSON.parse(readFileSync(file, 'utf8').replace(/^\ufeff/, ''));

async function decode(codec: Codec, bytes: Uint8Array, chunk = 65536, origin = 'in.test'): Promise<FlowRecord[]> {
  return collectRecords(codec.decode(chunked(bytes, chunk), origin));
}

function encode(codec: Codec, records: FlowRecord[], lose?: (what: string) => void): Buffer {
  const encoder = codec.encoder(lose === undefined ? {} : { lose });
  return Buffer.concat([...encoder.begin(), ...records.flatMap((r) => encoder.encode(r)), ...encoder.end()]);
}

const states = (records: FlowRecord[]): HttpFlowState[] => records.map((r) => Flow.state(r.flow) as HttpFlowState);
const bytesOf = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const hex = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array(0)).toString('hex');

// ---- the oracle: what the model must hold for a source entry (docs/formats.md, "HAR") ----------------------

/** base64 decoded; text in Latin-1 when the Content-Type says so and it fits, else UTF-8. */
function sourceBody(holder: Entry | undefined, headers: Entry[]): Buffer {
  if (holder?.text === undefined || holder.text === null) return Buffer.alloc(0);
  if (holder.encoding === 'base64') return Buffer.from(holder.text, 'base64');
  const type = headers.find((h) => (Array.isArray(h) ? h[0] : h.name).toLowerCase() === 'content-type');
  const latin1 = /charset=(iso-8859-1|latin-?1)/i.test(Array.isArray(type) ? type[1] : (type?.value ?? ''));
  return Buffer.from(holder.text, latin1 && /^[\x00-\xff]*$/.test(holder.text) ? 'latin1' : 'utf8');
}

/** Source headers as model byte strings; a Content-Encoding the HAR body no longer has goes, with Content-Length. */
function sourceHeaders(list: Entry[], body: Buffer): [string, string][] {
  const fields = list.map((h): [string, string] => (Array.isArray(h) ? [bytesOf(h[0]), bytesOf(h[1])] : [bytesOf(h.name), bytesOf(h.value)]));
  const encoded = fields.some(([n]) => n.toLowerCase() === 'content-encoding');
  if (!encoded || body.byteLength === 0 || (body[0] === 0x1f && body[1] === 0x8b)) return fields;
  return fields.filter(([n]) => n.toLowerCase() !== 'content-encoding').map(([n, v]) => [n, n.toLowerCase() === 'content-length' ? String(body.byteLength) : v]);
}

describe(`every corpus HAR reads, checked against JSON.parse of the source${why}`, () => {
  test.each(HARS.map((f) => [name(f), f]))('%s', async (_name, file) => {
    const source = parseSource(file);
    const got = states(await decode(harCodec, readFileSync(file), 65536, file));
    expect(got).toHaveLength(source.log.entries.length);
    source.log.entries.forEach((e: Entry, i: number) => {
      const flow = new Flow(got[i]!);
      expect(flow.request.method).toBe(e.request.method);
      if (e.request.method !== 'CONNECT') expect(new URL(flow.request.url).href).toBe(new URL(e.request.url).href);
      const requestBody = sourceBody(e.request.postData, e.request.headers);
      expect(hex(flow.request.content)).toBe(hex(requestBody));
      expect(flow.request.headers.fields).toEqual(sourceHeaders(e.request.headers, requestBody));
      if (e.response.status <= 0) {
        expect(flow.response).toBeNull();
        expect(flow.error?.msg ?? null).toBe(e.response._error ?? null);
        return;
      }
      const responseBody = sourceBody(e.response.content, e.response.headers);
      expect(flow.response!.statusCode).toBe(e.response.status);
      expect(hex(flow.response!.content)).toBe(hex(responseBody));
      expect(flow.response!.headers.fields).toEqual(sourceHeaders(e.response.headers, responseBody));
      const messages = flow.websocket?.messages ?? [];
      expect(messages.map((m) => hex(m.content))).toEqual(
        (e._webSocketMessages ?? []).map((m: Entry) => hex(m.opcode === 2 ? Buffer.from(m.data, 'base64') : Buffer.from(m.data, 'utf8'))),
      );
    });
  });
});

describe(`HAR → HAR is lossless${why}`, () => {
  test.each(HARS.map((f) => [name(f), f]))('%s: passed through, and decoded then rebuilt (via msgpack)', async (_name, file) => {
    const source = parseSource(file);
    const records = await decode(harCodec, readFileSync(file));
    for (const r of records) void r.flow.request.url; // decoded, unchanged: still written from its bytes
    expect(JSON.parse(encode(harCodec, records).toString())).toEqual(source);
    const viaMsgpack = await decode(msgpackCodec, encode(msgpackCodec, records));
    expect(viaMsgpack.every((r) => r.format !== 'har')).toBe(true);
    expect(JSON.parse(encode(harCodec, viaMsgpack).toString())).toEqual(source);
  });

  test('an unchanged entry is copied byte for byte; a changed one keeps its HAR-only fields and takes the change', async () => {
    const records = await decode(harCodec, readFileSync(SAMPLE));
    const [first, second] = records;
    expect(encode(harCodec, [first!]).toString()).toContain(Buffer.from(first!.raw!).toString());
    second!.flow.response!.headers.set('x-added', '1');
    const [entry0, entry1] = JSON.parse(encode(harCodec, records).toString()).log.entries;
    const source = parseSource(SAMPLE).log.entries;
    expect(entry0).toEqual(source[0]);
    expect(entry1.response.headers).toEqual([...source[1].response.headers, { name: 'x-added', value: '1' }]);
    expect(entry1.timings).toEqual(source[1].timings);
    expect(entry1._initiator).toEqual(source[1]._initiator);
    expect(entry1.response.content).toEqual(source[1].response.content);
  });

  test('extra.har is taken against the flow as read, also when first read after a change', async () => {
    const [read, changed] = [await decode(harCodec, readFileSync(SAMPLE)), await decode(harCodec, readFileSync(SAMPLE))];
    for (const r of changed) {
      r.flow.request.headers.set('x-added', '1');
      if (r.flow.response !== null) r.flow.response.text = 'changed';
    }
    expect(changed.map((r) => copyState(Flow.state(r.flow).extra))).toEqual(read.map((r) => copyState(Flow.state(r.flow).extra)));
    expect(read.map((r) => Object.keys(Flow.state(r.flow).extra!.har!))).toContainEqual(['bodyForm', 'entry', 'derived', 'absent', 'log']);
  });

  test('a changed body is written from the model, its derived sizes with it (a field the HAR lacked stays out)', async () => {
    const records = await decode(harCodec, readFileSync(SAMPLE));
    records[4]!.flow.response!.text = '{"price":"9,99 €"}';
    const entry = JSON.parse(encode(harCodec, records).toString()).log.entries[4];
    expect(entry.response.content).toEqual({ size: 20, mimeType: 'application/json', text: '{"price":"9,99 €"}' });
  });
});

describe('reading', () => {
  test.each(CHUNK_SIZES)('decodes the same at chunk size %d, with each entry at its byte offset', async (size) => {
    const bytes = readFileSync(SAMPLE);
    const records = await decode(harCodec, bytes, size);
    expect(records.map((r) => r.position!.index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of records) {
      const at = r.position!.offset;
      expect(Buffer.from(r.raw!).equals(bytes.subarray(at, at + r.raw!.byteLength))).toBe(true);
      expect(JSON.parse(Buffer.from(r.raw!).toString())).toEqual(parseSource(SAMPLE).log.entries[r.position!.index]);
    }
  });

  test('strings short and long with escaped quotes, backslashes and brackets split the same at every chunk size', async () => {
    const tricky = ['a\\', '"}', '\\"]', `${'x'.repeat(30)}\\`, `${'{'.repeat(40)}"\\\\"`, `${'y'.repeat(23)}"`];
    const source = parseSource(SAMPLE);
    source.log.entries = tricky.map((text, i) => ({ ...source.log.entries[0], comment: text, _note: { [text]: [text, i] } }));
    const bytes = Buffer.from(JSON.stringify(source));
    for (let size = 1; size <= 48; size++) {
      const records = await decode(harCodec, bytes, size);
      expect(records.map((r) => JSON.parse(Buffer.from(r.raw!).toString()).comment)).toEqual(tricky);
    }
  });

  // The splitter guesses an entry's end from the layout and falls back to scanning when JSON.parse rejects
  // the guess; a misleading layout must read the same as a plain one.
  const relaid = (indent: string, newline: string, entryText: (e: Entry, i: number) => string): string => {
    const doc = parseSource(SAMPLE);
    const entries = doc.log.entries.map((e: Entry, i: number) => `${indent}${entryText(e, i)}`).join(`,${newline}`);
    doc.log.entries = [];
    return JSON.stringify(doc).replace('"entries":[]', `"entries":[${newline}${entries}${newline}]`);
  };
  const pretty = (indent: string, newline: string) => (e: Entry): string => JSON.stringify(e, null, '  ').replaceAll('\n', `${newline}${indent}`);
  test.each<[string, () => string]>([
    ['pretty-printed, as browsers write', () => relaid('      ', '\n', pretty('      ', '\n'))],
    ['pretty-printed with tabs and CRLF', () => relaid('\t\t', '\r\n', pretty('\t\t', '\r\n'))],
    ['one entry per line, as flowtx writes', () => relaid('', '\n', (e) => JSON.stringify(e))],
    ['an inner "}" at the entry\'s indentation', () => relaid('  ', '\n', (e, i) => pretty('  ', '\n')(e).replace('\n    }', i === 1 ? '\n  }' : '\n    }'))],
    ['a line holding the end of one entry and the start of the next', () => relaid('  ', '\n', (e) => pretty('  ', '\n')(e)).replaceAll('\n  },\n  {', '\n  }, {')],
  ])('reads every entry whatever the layout: %s', async (_layout, make) => {
    const bytes = Buffer.from(make());
    for (const size of [7, bytes.byteLength]) {
      const records = await decode(harCodec, bytes, size);
      expect(records.map((r) => JSON.parse(Buffer.from(r.raw!).toString()))).toEqual(parseSource(SAMPLE).log.entries);
      for (const r of records) expect(bytes[r.position!.offset]).toBe(0x7b);
    }
  });

  test('a UTF-8 byte-order mark is accepted, also when split across chunks', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(SAMPLE)]);
    expect(sniffCodec(bytes.subarray(0, 64))).toBe(codecByName('har'));
    expect(await decode(harCodec, bytes, 1)).toHaveLength(6);
  });

  test('is detected by content and by extension', () => {
    expect(sniffCodec(readFileSync(SAMPLE).subarray(0, 64))).toBe(codecByName('har'));
    expect(codecByExtension('x.har.gz')).toBe(codecByName('har'));
  });

  test('whatever the key order of log: envelope fields before the entries ride on the first flow, later ones on the last', async () => {
    const source = parseSource(SAMPLE); // version, entries, creator, pages
    const reordered = { log: { pages: source.log.pages, creator: source.log.creator, entries: source.log.entries, comment: 'late', version: '1.2' } };
    for (const doc of [source, reordered]) {
      const records = await decode(harCodec, Buffer.from(JSON.stringify(doc)), 5);
      const extras = states(records).map((s) => s.extra!.har as Entry);
      const before = Object.keys(doc.log).slice(0, Object.keys(doc.log).indexOf('entries'));
      expect(Object.keys(extras[0]!.log ?? {})).toEqual(before);
      expect(Object.keys(extras[5]!.log).sort()).toEqual(Object.keys(doc.log).filter((k) => k !== 'entries' && !before.includes(k)).sort());
      // Pages known before the entries also ride on each flow that refers to them.
      expect(extras.every((x) => (before.includes('pages') ? x.page?.id === 'page_1' : x.page === undefined))).toBe(true);
      expect(JSON.parse(encode(harCodec, await decode(msgpackCodec, encode(msgpackCodec, records))).toString())).toEqual(doc);
    }
  });

  test('yields entries while the input is still arriving: the document is never held whole', async () => {
    const entry = JSON.stringify(parseSource(SAMPLE).log.entries[4]);
    let produced = 0;
    async function* endless(): AsyncIterable<Uint8Array> {
      yield Buffer.from('{"log":{"version":"1.2","entries":[');
      for (;;) {
        produced++;
        yield Buffer.from(`${produced > 1 ? ',' : ''}${entry}`);
      }
    }
    let seen = 0;
    for await (const batch of harCodec.decode(endless(), 'endless')) {
      seen += batch.length;
      if (seen >= 2000) break;
    }
    expect(produced).toBeLessThan(2005);
  });

  test('maps browser details as documented: HTTP versions, decoded bodies, blocked requests, WebSocket, pages', async () => {
    const [page, image, login, blocked, prices, socket] = states(await decode(harCodec, readFileSync(SAMPLE))).map((s) => new Flow(s));
    expect(page!.request.httpVersion).toBe('HTTP/2.0');
    expect(page!.request.headers.get(':authority')).toBe('shop.example.com'); // pseudo-headers stay, as in mitmproxy
    expect(page!.response!.headers.has('content-encoding')).toBe(false);
    expect(page!.response!.headers.get('content-length')).toBe(String(page!.response!.content!.byteLength));
    expect(page!.response!.text).toContain('<h1>Welcome</h1>');
    expect(image!.response!.content![0]).toBe(0x89);
    expect(login!.request.text).toBe('user=ada&password=hunter2+secret');
    expect(blocked!.response).toBeNull();
    expect(blocked!.error!.msg).toBe('net::ERR_BLOCKED_BY_CLIENT');
    expect(prices!.response!.json()).toEqual({ price: '12,50 €' });
    expect(socket!.websocket!.messages.map((m) => [m.type, m.fromClient, hex(m.content)])).toEqual([
      [1, true, hex(Buffer.from('{"subscribe":"prices"}'))],
      [2, false, '000102ff'],
    ]);
    expect(page!.request.timestampStart).toBe(1732406430);
    expect(page!.request.timestampEnd).toBeCloseTo(1732406430.00025, 6);
    expect(page!.response!.timestampEnd).toBeCloseTo(1732406430.04100, 6);
  });

  test('postData with params and no text is a urlencoded body; written back, the entry is the same', async () => {
    const doc = parseSource(SAMPLE);
    delete doc.log.entries[2].request.postData.text;
    const records = await decode(harCodec, Buffer.from(JSON.stringify(doc)));
    expect(Buffer.from(states(records)[2]!.request.content!).toString()).toBe('user=ada&password=hunter2%2Bsecret');
    expect(JSON.parse(encode(harCodec, await decode(msgpackCodec, encode(msgpackCodec, records))).toString())).toEqual(doc);
  });

  test('Latin-1 text is stored in Latin-1; text a declared charset cannot hold is stored as UTF-8 and declared so', async () => {
    const har = (type: string, text: string): Buffer =>
      Buffer.from(JSON.stringify({ log: { version: '1.2', entries: [{ startedDateTime: '2024-01-01T00:00:00Z', time: 1, request: { method: 'GET', url: 'http://a.test/', httpVersion: 'HTTP/1.1', headers: [] }, response: { status: 200, httpVersion: 'HTTP/1.1', headers: [{ name: 'Content-Type', value: type }], content: { text } } }] } }));
    const [latin] = states(await decode(harCodec, har('text/html; charset=iso-8859-1', 'café')));
    expect(hex(latin!.response!.content)).toBe(hex(Buffer.from('café', 'latin1')));
    const [sjis] = states(await decode(harCodec, har('text/plain; charset=shift_jis', '日本')));
    expect(hex(sjis!.response!.content)).toBe(hex(Buffer.from('日本')));
    expect(sjis!.response!.headers).toEqual([['Content-Type', 'text/plain; charset=utf-8']]);
  });
});

describe('faults', () => {
  test.each([
    ['corrupted_har/brokenfile.har', 'flow #0 at byte 8: not a HAR: "log" is a list, expected an object'],
    // Members beside "log" are allowed (real-world.test.ts); a document without "log" fails where it ends.
    ['corrupted_har/broken_headers.json', 'flow #0 at byte 64: not a HAR: no "log" object at the top level (its keys: "headers")'],
    ['har_extractor.har', 'flow #0 at byte 2744: not a HAR: no "log" object at the top level (its keys: "test_response")'],
  ])('%s fails with file, entry index and byte offset', async (path, message) => {
    const file = corpusFile(`mitmproxy/${path}`);
    const error = await decode(harCodec, readFileSync(file), 7, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as Error).message).toBe(`${file}: ${message}`);
  });

  const sample = readFileSync(SAMPLE, 'utf8');
  test.each<[string, () => string, string, number]>([
    ['the input ends inside an entry', () => sample.slice(0, sample.indexOf('pixel.gif') + 5), 'truncated HAR: the input ends inside entry #3', 3],
    ['the input ends after the entries', () => sample.slice(0, sample.length - 10), 'truncated HAR: the input ends before the document is complete', 6],
    ['an entry that is not JSON', () => sample.replace(/("_priority"): ("High",\s*"_resourceType": "image")/, '$1 $2'), 'entry is not valid JSON', 1],
    ['an entry that is not an object', () => sample.replace('"entries": [', '"entries": [ 42,'), 'entry is not a JSON object (starts with "4")', 0],
    ['no comma between entries', () => sample.replace(/\},(\s*\{\s*"_initiator": \{\s*"type": "parser")/, '}$1'), 'expected "," or "]" after an entry', 1],
    ['data after the document', () => `${sample}{}`, 'unexpected data after the HAR document', 6],
  ])('%s: a CodecError with the entry index and offset, after every complete entry before it', async (_what, make, reason, index) => {
    const bytes = Buffer.from(make());
    const { records, error } = await decodeUntilError(harCodec, bytes, 13);
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).reason.startsWith(reason)).toBe(true);
    expect((error as CodecError).position.index).toBe(index);
    expect(records).toHaveLength(index);
    if (reason.startsWith('truncated HAR: the input ends inside') || reason.startsWith('entry is not valid')) {
      const intact = await decode(harCodec, readFileSync(SAMPLE));
      expect((error as CodecError).position.offset).toBe(intact[index]!.position!.offset);
    }
  });

  test.each([
    ['a header given as a one-element list (mitmproxy\'s broken_headers.json)', (e: Entry) => (e.request.headers = [['Content-Type']]), 'entry.request.headers[0] is ["Content-Type"], expected {"name": …, "value": …} or ["name", "value"]'],
    ['no request', (e: Entry) => delete e.request, 'entry.request is missing, expected an object'],
    ['a date that is not ISO 8601', (e: Entry) => (e.startedDateTime = 'yesterday'), 'entry.startedDateTime "yesterday" is not an ISO 8601 date-time'],
    ['a URL that is not http(s)', (e: Entry) => (e.request.url = 'data:text/plain,hi'), 'entry.request.url "data:text/plain,hi" is not an absolute http(s) URL'],
  ])('%s: a SchemaError naming the field', async (_what, damage, message) => {
    const doc = parseSource(SAMPLE);
    damage(doc.log.entries[2]);
    const { records, error } = await decodeUntilError(harCodec, Buffer.from(JSON.stringify(doc)));
    expect(records).toHaveLength(2);
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as Error).message).toMatch(new RegExp(`^in\\.test: flow #2 at byte \\d+: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  prop.prop([fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 0, max: 255 })], { numRuns: 200 })('a mutated HAR decodes or raises a typed error', async (at, byte) => {
    const bytes = Buffer.from(readFileSync(SAMPLE));
    bytes[at % bytes.byteLength] = byte;
    const { error } = await decodeUntilError(harCodec, bytes, 7);
    if (error !== undefined) expect(error instanceof CodecError || error instanceof SchemaError).toBe(true);
  });
});

// ---- writing ---------------------------------------------------------------------------------------------

/** Our export against mitmproxy's, with the documented differences taken out. */
function withoutDocumentedDifferences(har: { log: Entry }): { log: Entry } {
  const copy = structuredClone(har);
  delete copy.log.creator;
  for (const e of copy.log.entries) {
    for (const m of [e.request, e.response]) delete m.headersSize; // mitmproxy writes the length of a Python repr
    // A flow without a response gets content with the size and mimeType HAR 1.2 requires; mitmproxy writes {}.
    if ('_error' in e.response) e.response.content = {};
    // A response body not captured (null) has no text, which reads back as absent; mitmproxy writes "".
    else if (!('text' in e.response.content)) e.response.content.text = '';
    // Bodies that text would not give back exactly are base64 here; mitmproxy writes them as Latin-1 text.
    for (const holder of [e.request.postData, e.response.content]) {
      if (holder?.encoding === 'base64' && holder.text !== '') {
        holder.text = Buffer.from(holder.text, 'base64').toString('latin1');
        delete holder.encoding;
      }
    }
  }
  return copy;
}

describe(`the writer gives mitmproxy's savehar output for its own flows${why}`, () => {
  test.each(corpusListing('mitmproxy/flows', '.mitm').map((f) => [name(f), f]))('%s', async (_name, file) => {
    const records = await decode(mitmproxyCodec, readFileSync(file));
    const ours = JSON.parse(encode(harCodec, records).toString());
    const theirs = JSON.parse(readFileSync(file.replace(/\.mitm$/, '.har'), 'utf8'));
    expect(withoutDocumentedDifferences(ours)).toEqual(withoutDocumentedDifferences(theirs));
  });

  test('headersSize is the HTTP/1 header block size on the wire, -1 for HTTP/2 and later', async () => {
    const records = await decode(msgpackCodec, readFileSync(join(ROOT, 'fixtures/sample.ftx')));
    const [first] = JSON.parse(encode(harCodec, records).toString()).log.entries;
    const request = 'GET /v1/users?page=1&api_key=sk_live_123 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nAuthorization: Bearer eyJhbGciOi.secret\r\n\r\n';
    expect(first.request.headersSize).toBe(request.length);
    const h2 = states(records)[0]!;
    h2.request.httpVersion = 'HTTP/2.0';
    expect(JSON.parse(encode(harCodec, [FlowRecord.of(new Flow(h2))]).toString()).log.entries[0].request.headersSize).toBe(-1);
  });

  /** The entry flowtx writes for tstate() reshaped by `change`. */
  const entryOf = (change: (s: HttpFlowState) => void): Entry => {
    const s = tstate();
    change(s);
    return JSON.parse(encode(harCodec, [FlowRecord.of(new Flow(s))]).toString()).log.entries[0];
  };

  test.each<[string, (s: HttpFlowState) => void, string]>([
    ['a space and braces in the path', (s) => ((s.request.path = '/a b/{x}?q=|'), s.request.headers.splice(0)), 'http://example.com/a%20b/%7Bx%7D?q=%7C'],
    ['valid escapes kept, a lone % escaped', (s) => (s.request.path = '/%41%zz?%2F'), 'http://example.com/%41%25zz?%2F'],
    ['non-ASCII bytes as bytes', (s) => (s.request.path = '/\xc3\xa9'), 'http://example.com/%C3%A9'],
    ['a "#" (the fragment a HAR URL had, kept in the path as mitmproxy keeps it)', (s) => (s.request.path = '/a#b'), 'http://example.com/a#b'],
    ['a second "#" (escaped inside the fragment)', (s) => (s.request.path = '/a?q#b c#d'), 'http://example.com/a?q#b%20c%23d'],
    ['a path without "/"', (s) => (s.request.path = 'a'), 'http://example.com/a'],
    ['a host with bytes a URI cannot hold', (s) => (s.request.headers = [['Host', 'ex ample:b']]), 'http://ex%20ample%3Ab/path?a=1&b=2'],
    ['an IPv6 host', (s) => (s.request.headers = [['Host', '[::1]:8080']]), 'http://[::1]/path?a=1&b=2'],
    ['an empty host', (s) => ((s.request.host = ''), (s.request.headers = [])), 'http:///path?a=1&b=2'],
  ])('request.url is a URI: %s', (_what, change, url) => {
    expect(entryOf(change).request.url).toBe(url);
  });

  test.each<[string, [string, number] | null, string | undefined]>([
    ['an IPv4 peer', ['10.0.0.1', 80], '10.0.0.1'],
    ['an IPv6 peer', ['::1', 80], '::1'],
    ['a peer known by name', ['example.com', 80], undefined],
    ['no peer', null, undefined],
  ])('serverIPAddress for %s', (_what, peer, written) => {
    expect(entryOf((s) => (s.serverConn.peername = peer)).serverIPAddress).toBe(written);
  });

  test('timestamps out of order give timings of 0, and time is their sum', () => {
    const entry = entryOf((s) => {
      const t = s.request.timestampStart;
      Object.assign(s.serverConn, { id: 'out-of-order', timestampStart: t, timestampTcpSetup: t - 1, timestampTlsSetup: t - 2 });
      Object.assign(s.request, { timestampEnd: t - 1 });
      Object.assign(s.response!, { timestampStart: t - 2, timestampEnd: t - 3 });
    });
    expect(entry.timings).toEqual({ connect: 0, ssl: 0, send: 0, wait: 0, receive: 0 });
    expect(entry.time).toBe(0);
  });

  test('a request body that was not captured has no postData; an empty one has an empty text', () => {
    expect(entryOf((s) => Object.assign(s.request, { method: 'POST', content: null })).request.postData).toBeUndefined();
    expect(entryOf((s) => (s.request.method = 'POST')).request.postData).toEqual({ mimeType: '', text: '', params: [] });
  });

  test('a flow without a response has the content HAR 1.2 requires', () => {
    expect(entryOf((s) => (s.response = null)).response.content).toEqual({ size: 0, mimeType: '' });
  });

  test('what a HAR cannot carry is counted by name; TCP flows are left out', async () => {
    const records = await decode(msgpackCodec, readFileSync(join(ROOT, 'fixtures/sample.ftx')));
    const withTrailers = states(records)[1]!;
    withTrailers.response!.trailers = [['x-checksum', 'abc']];
    const lost: string[] = [];
    const har = JSON.parse(encode(harCodec, records, (what) => lost.push(what)).toString());
    expect(har.log.entries).toHaveLength(9);
    const counts = Object.fromEntries([...new Set(lost)].map((w) => [w, lost.filter((x) => x === w).length]));
    expect(counts).toEqual({
      'TLS details': 8,
      'content-encoded body bytes (HAR holds the decoded body)': 2,
      trailers: 1,
      'an error beside a response': 1,
      'WebSocket close details and message flags': 1,
      'TCP flows (left out)': 1,
    });
  });

  test('each entry is handed out as its flow is encoded: the writer holds no entries', async () => {
    const records = await decode(msgpackCodec, readFileSync(join(ROOT, 'fixtures/sample.ftx')));
    const encoder = harCodec.encoder();
    const written = records.map((r) => Buffer.concat(encoder.encode(r)).toString());
    expect(written.filter((w) => w.includes('"startedDateTime"'))).toHaveLength(9);
    expect(Buffer.concat(encoder.end()).toString()).toBe('\n],"pages":[]}}\n');
  });

  test('an empty run still writes a valid HAR', () => {
    expect(JSON.parse(encode(harCodec, []).toString())).toEqual({ log: { version: '1.2', creator: expect.any(Object), entries: [], pages: [] } });
  });

  test('log.creator is the program the encoder is told of (the pipeline tells it flowtx at its version)', () => {
    const creator = (options = {}): unknown => {
      const encoder = harCodec.encoder(options);
      return JSON.parse(Buffer.concat([...encoder.begin(), ...encoder.end()]).toString()).log.creator;
    };
    expect(creator({ creator: { name: 'other', version: '9.1' } })).toEqual({ name: 'other', version: '9.1', comment: '' });
    expect(creator()).toEqual({ name: 'flowtx', version: '', comment: '' });
  });
});

// ---- flows → HAR → flows -----------------------------------------------------------------------------------

/** The body as a HAR shows it: decoded, or as stored when its coding cannot be undone. */
function shown(m: MessageState): string {
  const content = m.content ?? new Uint8Array(0);
  try {
    return hex(decodeContent(content, parseCodings(m.headers.find(([n]) => n.toLowerCase() === 'content-encoding')?.[1])));
  } catch {
    return hex(content);
  }
}

/** Headers less the ones a decoded body changes (`original` had a Content-Encoding: it goes, Content-Length follows). */
const plainHeaders = (m: MessageState, original: MessageState): [string, string][] =>
  original.headers.some(([n]) => n.toLowerCase() === 'content-encoding')
    ? m.headers.filter(([n]) => !['content-encoding', 'content-length'].includes(n.toLowerCase()))
    : m.headers;

function expectKept(before: HttpFlowState, after: HttpFlowState): void {
  const [a, b] = [new Flow(before), new Flow(after)];
  expect(b.request.method).toBe(a.request.method);
  // The URL the client asked for (mitmproxy's pretty_url: Host header or authority), as HAR holds it.
  if (a.request.method !== 'CONNECT') a.request.host = a.request.prettyHost;
  expect(b.request.url).toBe(a.request.url);
  expect(plainHeaders(after.request, before.request)).toEqual(plainHeaders(before.request, before.request));
  expect(shown(after.request)).toBe(shown(before.request));
  expect(after.request.timestampStart).toBeCloseTo(before.request.timestampStart, 5);
  if (before.request.timestampEnd !== null) expect(after.request.timestampEnd).toBeCloseTo(before.request.timestampEnd, 5);
  expect(after.response === null).toBe(before.response === null);
  if (before.response !== null) {
    expect(after.response!.statusCode).toBe(before.response.statusCode);
    expect(plainHeaders(after.response!, before.response)).toEqual(plainHeaders(before.response, before.response));
    expect(shown(after.response!)).toBe(shown(before.response));
    if (before.request.timestampEnd !== null) expect(after.response!.timestampStart).toBeCloseTo(before.response.timestampStart, 5);
    if (before.request.timestampEnd !== null && before.response.timestampEnd !== null) expect(after.response!.timestampEnd).toBeCloseTo(before.response.timestampEnd, 5);
  } else {
    expect(after.error?.msg ?? null).toBe(before.error?.msg ?? null);
  }
  expect((after.websocket?.messages ?? []).map((m) => [m.type, m.fromClient, hex(m.content), m.timestamp])).toEqual(
    (before.websocket?.messages ?? []).map((m) => [m.type, m.fromClient, hex(m.content), m.timestamp]),
  );
}

describe(`flows → HAR → flows keeps method, URL, headers, bodies, status and timestamps${why}`, () => {
  const files = [join(ROOT, 'fixtures/sample.ftx'), ...corpusListing('mitmproxy/flows', '.mitm'), ...corpusListing('real', '.flows')];
  test.each(files.map((f) => [name(f), f]))('%s', async (_name, file) => {
    const bytes = readFileSync(file);
    const codec = sniffCodec(bytes.subarray(0, 64))!;
    const http = states(await decode(codec, bytes)).filter((s) => s.type === 'http');
    const back = states(await decode(harCodec, encode(harCodec, http.map((s) => FlowRecord.of(new Flow(copyState(s)))))));
    expect(back).toHaveLength(http.length);
    http.forEach((s, i) => expectKept(s, back[i]!));
  });

  // Generated flows, shaped to what a URI and HAR text can spell (ASCII header bytes, text frames that are text;
  // other path bytes are percent-encoded in request.url, and read back as written).
  const ascii = (s: string): string => s.replace(/[^\x20-\x7e]/g, '_');
  const representable = httpFlowState.chain((s) =>
    fc.record({ host: fc.constantFrom('example.com', 'a.test', '127.0.0.1'), path: fc.stringMatching(/^\/(?:[-\w.~!$&'()*+,;=:@/?]|%[0-9A-F]{2}){0,20}$/), gaps: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }) }).map(({ host, path, gaps }) => {
      const t0 = Math.round(s.request.timestampStart * 1e6) / 1e6;
      const fix = (fields: [string, string][]): [string, string][] =>
        fields.map(([n, v]): [string, string] => [ascii(n) || 'x', ascii(v)]).filter(([n]) => !['host', 'content-encoding', 'content-type'].includes(n.toLowerCase()));
      s.request = { ...s.request, host, path, authority: '', headers: fix(s.request.headers), timestampStart: t0, timestampEnd: t0 + gaps[0]! };
      if (s.response !== null) s.response = { ...s.response, headers: fix(s.response.headers), reason: ascii(s.response.reason), timestampStart: t0 + gaps[0]! + gaps[1]!, timestampEnd: t0 + gaps[0]! + gaps[1]! + gaps[2]! };
      if (s.websocket !== null) for (const m of s.websocket.messages) if (m.type === 1) m.content = Buffer.from(Buffer.from(m.content).toString('utf8'));
      return s as HttpFlowState;
    }),
  );
  // fast-check seed 243245082, shrunk: the request starts and ends at the epoch, the response 5 µs later. A
  // request end of 0 was taken for a missing one (as savehar does), so send and wait were written as 0.
  test('a request that ends at timestamp 0 keeps its response times (seed 243245082)', async () => {
    const s = tstate();
    s.request = { ...s.request, method: 'POST', httpVersion: 'HTTP/2.0', content: Uint8Array.from([6, 191, 117]), timestampStart: 0, timestampEnd: 0 };
    s.response = { ...s.response!, httpVersion: 'HTTP/3', statusCode: 418, reason: '0', timestampStart: 0.0000049999999999999996, timestampEnd: 0.0000049999999999999996 };
    const entry = JSON.parse(encode(harCodec, [FlowRecord.of(new Flow(copyState(s)))]).toString()).log.entries[0];
    expect(entry.startedDateTime).toBe('1970-01-01T00:00:00+00:00');
    expect(entry.timings).toMatchObject({ send: 0, wait: 1000 * 0.0000049999999999999996, receive: 0 });
    const [back] = states(await decode(harCodec, encode(harCodec, [FlowRecord.of(new Flow(copyState(s)))])));
    expectKept(s, back!);
  });

  prop.prop([fc.array(representable, { maxLength: 3 })], { numRuns: 100 })('generated flows', async (generated) => {
    const back = states(await decode(harCodec, encode(harCodec, generated.map((s) => FlowRecord.of(new Flow(structuredClone(s)))))));
    generated.forEach((s, i) => expectKept(s, back[i]!));
  });
});

