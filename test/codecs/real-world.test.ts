// Shapes met in public captures (checked against mitmproxy 12.2.3's own reader), each on a small fixture of
// test/fixtures/real-world (its README says what each shows): HAR envelopes with more than `log`, `pages`
// and empty HARs, duplicate Content-Type, bodies a HAR did not record, URL fragments, old flow files'
// empty ALPN, backups written from other formats, what version 17 changes, and HAR → HAR against the listing.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import type { Codec } from '../../src/codecs/codec.js';
import { harCodec } from '../../src/codecs/har/codec.js';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { parse } from '../../src/codecs/mitmproxy/tnetstring.js';
import { msgpackCodec } from '../../src/codecs/msgpack/codec.js';
import { ndjsonCodec } from '../../src/codecs/ndjson/codec.js';
import { Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import type { HttpFlowState } from '../../src/model/state.js';
import { CHUNK_SIZES } from '../helpers/arbitrary.js';
import { harProblems } from '../helpers/har-schema.js';
import { flowtxInProcess } from '../helpers/in-process.js';
import { tmp } from '../helpers/cli.js';
import { chunked, collectRecords, tstate } from '../helpers/tflow.js';

const ROOT = resolve(import.meta.dirname, '../..');
const fixture = (name: string): string => join(ROOT, 'test/fixtures/real-world', name);
const read = (name: string): Buffer => readFileSync(fixture(name));

type Doc = { [key: string]: any };

async function decode(codec: Codec, bytes: Uint8Array, chunk = 65536): Promise<FlowRecord[]> {
  return collectRecords(codec.decode(chunked(bytes, chunk), 'in.test'));
}

/** `records` encoded by `codec`; `envelope` is what the pipeline hands the encoder's end(). */
function encode(codec: Codec, records: FlowRecord[], options: { lose?: (what: string) => void; flowVersion?: number; envelope?: unknown } = {}): Buffer {
  const encoder = codec.encoder({ ...(options.lose ? { lose: options.lose } : {}), ...(options.flowVersion ? { flowVersion: options.flowVersion } : {}) });
  const pieces = [...encoder.begin(), ...records.flatMap((r) => encoder.encode(r))];
  return Buffer.concat([...pieces, ...encoder.end(options.envelope === undefined ? undefined : { format: 'har', document: options.envelope })]);
}

/** The HAR decoded whole, with the envelope its decoder reported. */
async function decodeHar(bytes: Uint8Array, chunk = 65536): Promise<{ records: FlowRecord[]; envelope: unknown }> {
  let envelope: unknown;
  const records = await collectRecords(harCodec.decode(chunked(bytes, chunk), 'in.test', undefined, (e) => (envelope = e.document)));
  return { records, envelope };
}

/** Records decoded, changed (so nothing is copied from the source bytes) and written to `via`, then read back. */
async function through(via: Codec, records: FlowRecord[]): Promise<FlowRecord[]> {
  return decode(via, encode(via, records));
}

const states = (records: FlowRecord[]): HttpFlowState[] => records.map((r) => Flow.state(r.flow) as HttpFlowState);
const json = (b: Buffer): Doc => JSON.parse(b.toString('utf8'));
const withoutEntries = (doc: Doc): Doc => ({ ...doc, log: { ...doc.log, entries: undefined } });
/** Every format a HAR's flows go through and come back from: HAR itself, NDJSON, msgpack. */
const VIA: [string, Codec | null][] = [['HAR → HAR', null], ['HAR → NDJSON → HAR', ndjsonCodec], ['HAR → msgpack → HAR', msgpackCodec]];

/** The HAR `name` written back, directly or through `via`. */
async function roundTrip(name: string, via: Codec | null, chunk?: number): Promise<Doc> {
  const { records, envelope } = await decodeHar(read(name), chunk);
  return json(encode(harCodec, via === null ? records : await through(via, records), { envelope }));
}

describe('the HAR envelope', () => {
  test.each(VIA)('members beside "log" are read and kept: %s', async (_how, via) => {
    const source = json(read('annotated.har'));
    const out = await roundTrip('annotated.har', via);
    expect(out).toEqual(source);
  });

  test('a HAR that starts with a member other than "log" is recognised as HAR', async () => {
    const { sniffCodec } = await import('../../src/codecs/registry.js');
    expect(sniffCodec(read('annotated.har').subarray(0, 64))?.name).toBe('har');
    expect(sniffCodec(Buffer.from('{"flowtx":1,"id":"x"}'))?.name).toBe('ndjson');
  });

  prop.prop([fc.constantFrom(...CHUNK_SIZES)])('members beside "log" are kept at any chunk size', async (chunk) => {
    expect(await roundTrip('annotated.har', null, chunk)).toEqual(json(read('annotated.har')));
  });

  test.each(VIA)('"pages": [] after the entries is kept as written: %s', async (_how, via) => {
    const out = await roundTrip('pages-after-entries.har', via);
    expect(out.log.pages).toEqual([]);
    expect(out).toEqual(json(read('pages-after-entries.har')));
  });

  test('a HAR with no entries keeps its whole envelope on HAR → HAR and gains nothing', async () => {
    const { records, envelope } = await decodeHar(read('no-entries.har'));
    expect(records).toHaveLength(0);
    expect(json(encode(harCodec, [], { envelope }))).toEqual(json(read('no-entries.har')));
  });

  test('an output with no flows and no HAR envelope is flowtx\'s own, as before', () => {
    const out = json(encode(harCodec, []));
    expect(out.log).toEqual({ version: '1.2', creator: { name: 'flowtx', version: '', comment: '' }, entries: [], pages: [] });
  });

  test('the command keeps the envelope when a filter lets no entry through', async () => {
    const dir = tmp();
    const out = join(dir, 'out.har');
    const ran = await flowtxInProcess([fixture('annotated.har'), out, '~d nothing.test']);
    expect(ran.code).toBe(0);
    expect(withoutEntries(json(readFileSync(out)))).toEqual(withoutEntries(json(read('annotated.har'))));
    expect(json(readFileSync(out)).log.entries).toEqual([]);
  });
});

describe('bodies', () => {
  test.each([...VIA, ['HAR → mitmproxy → HAR', mitmproxyCodec] as [string, Codec]])(
    'a text body stays text with Content-Type listed twice: %s',
    async (_how, via) => {
      const source = json(read('duplicate-content-type.har')).log.entries[0];
      const entry = (await roundTrip('duplicate-content-type.har', via)).log.entries[0];
      expect(entry.request.postData.text).toBe(source.request.postData.text);
      expect(entry.request.postData.encoding).toBeUndefined();
      expect(entry.response.content.text).toBe(source.response.content.text);
      expect(entry.response.content.encoding).toBeUndefined();
    },
  );

  test('a response without content.text has an absent body and the headers of the wire', async () => {
    const [state] = states(await decode(harCodec, read('no-response-text.har')));
    expect(state!.response!.content).toBeNull();
    expect(state!.response!.headers).toEqual([['Content-Type', 'image/png'], ['Content-Encoding', 'gzip'], ['Content-Length', '5120']]);
  });

  test.each(VIA)('an absent response body stays absent and its content as it was: %s', async (_how, via) => {
    const entry = (await roundTrip('no-response-text.har', via)).log.entries[0];
    expect(entry.response.content).toEqual(json(read('no-response-text.har')).log.entries[0].response.content);
  });

  test('HAR → mitmproxy → HAR: an absent response body stays absent (the sizes HAR gave are not in flow files)', async () => {
    const entry = (await roundTrip('no-response-text.har', mitmproxyCodec)).log.entries[0];
    expect(entry.response.content).toEqual({ size: 0, compression: 0, mimeType: 'image/png' });
    expect(entry.response.headers).toEqual(json(read('no-response-text.har')).log.entries[0].response.headers);
  });

  test('flows → HAR → flows: an absent response body stays absent, an empty one empty', async () => {
    const absent = tstate();
    absent.response!.content = null;
    const empty = tstate({ id: '00000000-0000-4000-8000-000000000002' });
    empty.response!.content = new Uint8Array(0);
    const back = states(await through(harCodec, [FlowRecord.of(new Flow(absent)), FlowRecord.of(new Flow(empty))]));
    expect(back.map((s) => s.response!.content?.byteLength ?? null)).toEqual([null, 0]);
  });

  test('flows → HAR: a request body not captured is reported lost (HAR reads it back as empty)', () => {
    const s = tstate();
    s.request.content = null;
    const lost: string[] = [];
    encode(harCodec, [FlowRecord.of(new Flow(s))], { lose: (what) => lost.push(what) });
    expect(lost).toContain('request bodies not captured (read back as empty)');
  });
});

describe('URLs', () => {
  // Paths as mitmproxy's HAR reader (mitmproxy.net.http.url.parse, 8.1.1 and 12.2.3 alike) makes them.
  const MITMPROXY_PATHS = ['/app#/users?id=1', '/a?x=1#top', '/#s', '/p'];

  test('a fragment is kept in the path as mitmproxy\'s reader keeps it', async () => {
    expect(states(await decode(harCodec, read('fragments.har'))).map((s) => s.request.path)).toEqual(MITMPROXY_PATHS);
  });

  test.each(VIA)('URLs with fragments come back as written: %s', async (_how, via) => {
    const urls = (await roundTrip('fragments.har', via)).log.entries.map((e: Doc) => e.request.url);
    expect(urls).toEqual(json(read('fragments.har')).log.entries.map((e: Doc) => e.request.url));
  });

  test('HAR → mitmproxy → HAR: URLs come back as the paths mitmproxy keeps make them', async () => {
    const urls = (await roundTrip('fragments.har', mitmproxyCodec)).log.entries.map((e: Doc) => e.request.url);
    expect(urls).toEqual(MITMPROXY_PATHS.map((p) => `https://example.com${p}`));
  });

  test('flows → HAR → flows keeps a path with a fragment', async () => {
    const s = tstate();
    s.request.path = '/a?q=1#/route';
    const [back] = states(await through(harCodec, [FlowRecord.of(new Flow(s))]));
    expect(back!.request.path).toBe('/a?q=1#/route');
  });
});

describe('mitmproxy flow files', () => {
  test('an empty alpn_proto_negotiated of version 9 becomes alpn_offers [] (convert_9_10), not [b""]', async () => {
    const [state] = states(await decode(mitmproxyCodec, read('v9-empty-alpn.mitm')));
    expect(state!.clientConn.alpnOffers).toEqual([]);
    expect(state!.serverConn.alpnOffers).toEqual([]);
    expect(Buffer.from(state!.clientConn.alpn!)).toHaveLength(0);
  });

  const FIXTURE = join(ROOT, 'test/fixtures/mitmproxy/generated/v21-mitmproxy-13.0.0dev-fixture-flows.mitm');

  /** Paths of the integers in a tnetstring value (typed by the tag it was read with). */
  function integers(v: unknown, path: string, out: string[]): string[] {
    if (typeof v === 'number' || typeof v === 'bigint') out.push(path);
    else if (Array.isArray(v)) v.forEach((x, i) => integers(x, `${path}[${i}]`, out));
    else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && v.constructor === Object) {
      for (const [k, x] of Object.entries(v)) integers(x, `${path}.${k}`, out);
    }
    return out;
  }

  /** Floats are read as PyFloat objects, so only integers are numbers. */
  const backupOf = (bytes: Uint8Array): Doc => (parse(bytes, 0, bytes.byteLength, { floats: 'pyfloat' }) as Doc).backup;

  test.each([['NDJSON', ndjsonCodec], ['msgpack', msgpackCodec]] as [string, Codec][])(
    'a backup written from %s keeps its integers integers and mitmproxy\'s key order',
    async (_name, via) => {
      const [original] = await decode(mitmproxyCodec, readFileSync(FIXTURE));
      const bytes = readFileSync(FIXTURE).subarray(0, original!.raw!.byteLength);
      const [back] = await through(via, [original!]);
      const rewritten = encode(mitmproxyCodec, [back!]);
      const before = backupOf(bytes);
      const after = backupOf(rewritten);
      // Ports, the version and status codes were integers in the file and stay so; a timestamp is a float in
      // mitmproxy's schema, which is what an integral one becomes without the file to say otherwise.
      const timestamp = /timestamp[a-z_]*$/;
      expect(integers(after, 'backup', [])).toEqual(integers(before, 'backup', []).filter((p) => !timestamp.test(p)));
      expect(integers(after, 'backup', [])).toContain('backup.server_conn.address[1]');
      expect(JSON.stringify(Object.keys(after))).toBe(JSON.stringify(Object.keys(before)));
      for (const part of ['request', 'response', 'client_conn', 'server_conn']) expect(Object.keys(after[part])).toEqual(Object.keys(before[part]));
    },
  );

  test.each<[string, (s: HttpFlowState) => void, number, string | undefined]>([
    ['a reverse proxy mode', (s) => (s.clientConn.proxyMode = 'reverse:https://example.com'), 17, 'proxy modes other than regular (read back as regular)'],
    ['the regular proxy mode', () => {}, 17, undefined],
    ['a UDP connection (HTTP/3)', (s) => (s.serverConn.transportProtocol = 'udp'), 18, 'UDP connections (read back as TCP)'],
    ['metadata bytes', (s) => (s.metadata = { raw: new Uint8Array([0x68, 0x69]) }), 17, 'metadata bytes (written as text)'],
    ['a reverse proxy mode at 18, which has a place for it', (s) => (s.clientConn.proxyMode = 'reverse:https://example.com'), 18, undefined],
  ])('--flow-version: %s', (_what, change, version, lost) => {
    const s = tstate();
    change(s);
    const losses: string[] = [];
    encode(mitmproxyCodec, [FlowRecord.of(new Flow(s))], { flowVersion: version, lose: (what) => losses.push(what) });
    expect(losses).toEqual(lost === undefined ? [] : [lost]);
  });
});

test.each(['annotated.har', 'pages-after-entries.har', 'duplicate-content-type.har', 'no-response-text.har', 'fragments.har'])(
  'HAR 1.2 valid: %s written back from msgpack, and from flows with an absent body',
  async (name) => {
    expect(harProblems(await roundTrip(name, msgpackCodec))).toEqual([]);
    const absent = tstate();
    absent.response!.content = null;
    expect(harProblems(json(encode(harCodec, [FlowRecord.of(new Flow(absent))])))).toEqual([]);
  },
);

describe('HAR → HAR and the listing agree on entries flowtx cannot read', () => {
  test('both stop at the data: entry with the same fault, exit 1, after the entry before it', async () => {
    const dir = tmp();
    const input = fixture('not-http-entry.har');
    const out = join(dir, 'out.har');
    const listing = await flowtxInProcess([input]);
    const copy = await flowtxInProcess([input, out]);
    const fault = `flow #1 at byte 1328: entry.request.url "data:image/png;base64,iVBORw0KGgo=" is not an absolute http(s) URL`;
    for (const ran of [listing, copy]) {
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain(`${input}: ${fault}`);
    }
    expect(listing.stdout.toString().trim().split('\n')).toEqual(['GET https://example.com/a << 200 2b 10ms']);
    expect(json(readFileSync(out)).log.entries.map((e: Doc) => e.request.url)).toEqual(['https://example.com/a']);
  });

  test('every output keeps the entries of a batch before the fault', async () => {
    const dir = tmp();
    for (const to of ['out.ftx', 'out.ndjson', 'out.flows']) {
      const ran = await flowtxInProcess([fixture('not-http-entry.har'), join(dir, to)]);
      expect(ran.code).toBe(1);
      const back = await flowtxInProcess([join(dir, to)]);
      expect(back.stdout.toString().split('\n').filter((l) => l !== '')).toEqual(['GET https://example.com/a << 200 2b 10ms']);
    }
  });
});
