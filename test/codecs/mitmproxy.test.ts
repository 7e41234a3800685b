// The mitmproxy codec on mitmproxy's own test files (committed under test/fixtures/mitmproxy) and real
// captures (../shared/corpus/real, skipped with the reason where a clone has no corpus), plus property round
// trips and fuzzing.

import { readFileSync } from 'node:fs';
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { toMitmproxy } from '../../src/codecs/mitmproxy/state.js';
import { encodeToBuffer, type TValue } from '../../src/codecs/mitmproxy/tnetstring.js';
import { atVersion } from '../../src/codecs/mitmproxy/versions.js';
import { CodecError, SchemaError } from '../../src/errors.js';
import { compileFilter } from '../../src/filter/compile.js';
import { copyState, Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import type { FlowState } from '../../src/model/state.js';
import { CHUNK_SIZES, httpFlowState } from '../helpers/arbitrary.js';
import { byAvailability, corpusFile, eachCorpusFile, NO_SHARED_CORPUS } from '../helpers/corpus.js';
import { chunked, collectRecords, decodeUntilError, encodeAll, tstate } from '../helpers/tflow.js';

/**
 * A flow state as version `version` can hold it: transport_protocol only exists from 19 on, proxy_mode from
 * 18 on, and 8.1.1 (version 17) can only save JSON metadata (spec §4.4/§4.5). Bytes as hex for comparison.
 */
function asHeldBy(version: number, s: FlowState): unknown {
  const older = (c: object): object => ({
    ...c,
    transportProtocol: version <= 18 ? null : (c as { transportProtocol: string }).transportProtocol,
    proxyMode: version === 17 ? null : (c as { proxyMode?: string }).proxyMode,
  });
  // Only mitmproxy's own unknown fields (extra.mitmproxy) are written: its loaders reject any others.
  const own = (e: object | undefined): unknown => (e && 'mitmproxy' in e ? { mitmproxy: e.mitmproxy } : undefined);
  const comparable = { ...s, extra: own(s.extra), clientConn: older(s.clientConn), serverConn: older(s.serverConn), metadata: version === 17 ? null : s.metadata };
  return JSON.parse(
    JSON.stringify(comparable, (_k, v) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array || v?.type === 'Buffer' ? Buffer.from(v.data ?? v).toString('hex') : Number.isNaN(v) ? 'NaN' : v,
    ),
  );
}

async function read(bytes: Uint8Array, chunk = 65536): Promise<FlowRecord[]> {
  return collectRecords(mitmproxyCodec.decode(chunked(bytes, chunk), 'in.flows'));
}

function encodeRecords(records: FlowRecord[], flowVersion?: number): Buffer {
  const encoder = mitmproxyCodec.encoder({ flowVersion });
  return Buffer.concat([...encoder.begin(), ...records.flatMap((r) => encoder.encode(r)), ...encoder.end()]);
}

describe('corpus files', () => {
  // Expected counts and last URLs: test/fixtures/mitmproxy/PROVENANCE.md and ../shared/corpus (mitmproxy's
  // PROVENANCE.md, real/MANIFEST.md).
  eachCorpusFile<[string, string, number, string | null]>([
    ['mitmproxy/dumpfile-011.mitm', '0.11', 1, 'https://example.com/'],
    ['mitmproxy/dumpfile-018.mitm', '0.18', 1, 'https://www.example.com/'],
    ['mitmproxy/dumpfile-019.mitm', '7', 1, 'https://webrv.rtb-seller.com/'],
    ['mitmproxy/dumpfile-7.mitm', '11', 2, 'https://example.com/'],
    ['mitmproxy/dumpfile-7-websocket.mitm', '7', 6, 'https://echo.websocket.org/'],
    ['mitmproxy/dumpfile-10.mitm', '10', 1, 'https://example.com/'],
    ['mitmproxy/dumpfile-19.mitm', '20', 1, 'https://cloudflare-quic.com/'],
    ['mitmproxy/flows/corrupted_gzip_body.mitm', '21', 1, 'http://127.0.0.1:5000/'],
    ['mitmproxy/flows/diff_data.mitm', '18', 7, null],
    ['mitmproxy/flows/error_log.mitm', '18', 2, 'https://httpbin.org/get'],
    ['mitmproxy/flows/event_stream.mitm', '20', 2, 'https://3.33.235.18/meval/'],
    ['mitmproxy/flows/incomplete_log.mitm', '18', 4, 'https://google.com/'],
    ['mitmproxy/flows/successful_log.mitm', '18', 2, 'https://httpbin.org/post'],
    ['mitmproxy/flows/websocket.mitm', '20', 3, 'https://demo.piesocket.com/'],
    ['mitmproxy/generated/v17-mitmproxy-8.1.1-fixture-flows.mitm', '17', 5, null],
    ['mitmproxy/generated/v17-mitmdump-8.1.1-rewrite-of-dumpfile-7.mitm', '17', 2, 'https://example.com/'],
    ['mitmproxy/generated/v21-mitmproxy-13.0.0dev-fixture-flows.mitm', '21', 7, null],
    ['mitmproxy/generated/v21-mitmdump-13.0.0dev-rewrite-of-event_stream.mitm', '21', 3, 'https://3.33.235.18/meval/'],
    ['real/curl-mixed.flows', '17', 64, 'https://shop.flowtx.test/reset'],
    ['real/chromium-browse.flows', '17', 134, null],
  ])('%s: version %s, %d flows, last URL %s', async (file, version, count, lastUrl) => {
    const records = await read(readFileSync(corpusFile(file)));
    expect(records).toHaveLength(count);
    expect(records[0]!.format).toBe(`mitmproxy/${version}`);
    const last = records.at(-1)!.flow;
    if (lastUrl !== null) expect(last.request.url.startsWith(lastUrl)).toBe(true);
    for (const r of records) expect(['http', 'tcp', 'udp', 'dns']).toContain(r.flow.type);
  });

  test('0.10 files are refused with a clear message', async () => {
    const { error } = await decodeUntilError(mitmproxyCodec, readFileSync(corpusFile('mitmproxy/dumpfile-010.mitm')));
    expect((error as Error).message).toBe('in.test: flow #0 at byte 0: cannot read flow format version (0, 10) (mitmproxy 0.10 and older files cannot be read)');
  });

  test('migration details: the 11 → 12 WebSocket merge, markers, QUIC, connection fields', async () => {
    const ws = await read(readFileSync(corpusFile('mitmproxy/dumpfile-7-websocket.mitm')));
    const merged = ws.filter((r) => Flow.state(r.flow).websocket);
    expect(merged.length).toBe(3);
    for (const r of merged) expect(Flow.state(r.flow).metadata.duplicated).toMatch(/migrated from an old file format/);
    expect(ws.some((r) => r.flow.request.url === 'http://unknown/')).toBe(true);
    expect(Flow.state(merged[0]!.flow).websocket!.messages[0]!.content).toBeInstanceOf(Uint8Array);

    const [marked] = await read(readFileSync(corpusFile('mitmproxy/dumpfile-10.mitm')));
    expect(marked!.flow.marked).toBe(':default:');

    const [quic] = await read(readFileSync(corpusFile('mitmproxy/dumpfile-19.mitm')));
    expect(Flow.state(quic!.flow).clientConn.tlsVersion).toBe('QUICv1');
    expect(Flow.state(quic!.flow).clientConn.transportProtocol).toBe('udp');

    const [old] = await read(readFileSync(corpusFile('mitmproxy/dumpfile-011.mitm')));
    const state = Flow.state(old!.flow);
    expect(state.clientConn.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(state.request!).toMatchObject({ method: 'GET', httpVersion: 'HTTP/1.1', authority: '' });
  });

  const lossless = [
    'mitmproxy/generated/v17-mitmproxy-8.1.1-fixture-flows.mitm',
    'mitmproxy/generated/v17-mitmdump-8.1.1-rewrite-of-dumpfile-7.mitm',
    'mitmproxy/flows/diff_data.mitm',
    'mitmproxy/flows/error_log.mitm',
    'mitmproxy/flows/incomplete_log.mitm',
    'mitmproxy/flows/successful_log.mitm',
    'mitmproxy/flows/event_stream.mitm',
    'mitmproxy/flows/websocket.mitm',
    'mitmproxy/dumpfile-19.mitm',
    'mitmproxy/flows/corrupted_gzip_body.mitm',
    'mitmproxy/generated/v21-mitmproxy-13.0.0dev-fixture-flows.mitm',
    'mitmproxy/generated/v21-mitmdump-13.0.0dev-rewrite-of-event_stream.mitm',
    'real/curl-mixed.flows',
    'real/chromium-browse.flows',
  ];

  eachCorpusFile(lossless.map((file) => [file] as const))('%s is written back byte-identically, passed through or re-encoded', async (file) => {
    const bytes = readFileSync(corpusFile(file));
    expect(encodeRecords(await read(bytes)).equals(bytes)).toBe(true);
    const decoded = await read(bytes);
    // A change undone: every flow is marked changed, so all are re-encoded.
    for (const r of decoded) {
      const comment = r.flow.comment;
      r.flow.comment = `${comment}x`;
      r.flow.comment = comment;
    }
    expect(decoded.every((r) => !r.pristine)).toBe(true);
    expect(encodeRecords(decoded).equals(bytes)).toBe(true);
  });

  test.each(CHUNK_SIZES)('records split the same at chunk size %d', async (size) => {
    const bytes = readFileSync(corpusFile('mitmproxy/generated/v21-mitmproxy-13.0.0dev-fixture-flows.mitm'));
    const records = await read(bytes, size);
    expect(records.map((r) => r.position!.offset)).toEqual((await read(bytes)).map((r) => r.position!.offset));
    expect(encodeRecords(records).equals(bytes)).toBe(true);
  });

  /** Each of `files` written at `version` and read back holds the flows as that version can hold them. */
  const convertsBack = (files: string[]) => async (version: number) => {
    for (const file of files) {
      const records = await read(readFileSync(corpusFile(file)));
      const written = encodeRecords(records, version);
      const again = await read(written);
      const kept = records.filter((r) => !(version === 17 && r.flow.type === 'udp'));
      expect(again.map((r) => r.format)).toEqual(kept.map(() => `mitmproxy/${version}`));
      expect(again.map((r) => asHeldBy(version, Flow.state(r.flow)))).toEqual(kept.map((r) => asHeldBy(version, Flow.state(r.flow))));
    }
  };
  const { readable, missing } = byAvailability(lossless);
  const VERSIONS = [17, 18, 19, 20, 21];
  test.each(VERSIONS)('every corpus file converts to version %d and back to the same flows', convertsBack(readable));
  if (missing.length > 0) test.skip.each(VERSIONS)(`${missing.join(', ')} convert to version %d and back${NO_SHARED_CORPUS}`, convertsBack(missing));

  eachCorpusFile([['real/curl-mixed.flows'] as const])('a mutated real record (%s) decodes or fails with a typed error, never a crash', async (file) => {
    const bytes = readFileSync(corpusFile(file)).subarray(0, 40_000);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bytes.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), async (at, value) => {
        const mutated = Buffer.from(bytes);
        mutated[at] = value;
        const { error } = await decodeUntilError(mitmproxyCodec, mutated, 4096);
        if (error !== undefined && !(error instanceof CodecError || error instanceof SchemaError)) throw error;
      }),
      { numRuns: 200 },
    );
  });
});

describe('faults', () => {
  const one = encodeToBuffer(({ version: 21, type: 'http' }));
  test.each<[string, Uint8Array | string, string]>([
    ['garbage', 'hello', 'in.test: flow #0 at byte 0: not a flow file: missing or invalid length prefix (byte 0x68)'],
    ['a trailing newline', Buffer.concat([encodeAll(mitmproxyCodec, [tstate()]), Buffer.from('\n')]), 'flow #1 at byte'],
    ['a 13-digit length', '1234567890123:', 'in.test: flow #0 at byte 0: not a flow file: absurdly large length prefix (more than 12 digits)'],
    ['a record that is not a dict', '0:]', 'in.test: flow #0 at byte 0: not a flow: the record is a list, not a dict'],
    ['a truncated record', Buffer.from(one.subarray(0, one.byteLength - 3)), 'in.test: flow #0 at byte 0: truncated record: 30 of 33 bytes'],
    ['a cut length prefix', '12', 'in.test: flow #0 at byte 0: truncated record: its length prefix is cut short'],
    ['a version from the future', encodeToBuffer(({ version: 22, type: 'http' })), 'in.test: flow #0 at byte 0: cannot read flow format version 22: it is newer than this flowtx knows (21); please update flowtx'],
    ['a key that is not UTF-8 (a fast-check counterexample)', Buffer.from('29:4:\x80ype;4:http;7:version;2:21#}', 'latin1'), 'in.test: flow #0 at byte 0: not a tnetstring: text is not valid UTF-8'],
    ['no version', encodeToBuffer(({ type: 'http' })), 'in.test: flow #0 at byte 0: record has no "version"'],
    ['an unknown flow type', encodeToBuffer(({ version: 21, type: 'smtp' })), 'in.test: flow #0 at byte 0: unknown flow type "smtp"'],
    ['a missing field', encodeToBuffer(({ version: 21, type: 'http', id: 'x' })), 'in.test: flow #0 at byte 0: client_conn is missing, expected a dict'],
  ])('%s', async (_name, input, message) => {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
    const { error } = await decodeUntilError(mitmproxyCodec, bytes);
    expect(error instanceof CodecError || error instanceof SchemaError).toBe(true);
    expect((error as Error).message).toContain(message);
  });

  test('an empty file has no flows', async () => {
    expect(await read(new Uint8Array(0))).toEqual([]);
  });

  test('UDP flows cannot be written at version 17: reported and left out', async () => {
    const udp = { ...tstate(), type: 'udp' as const, messages: [] } as unknown as FlowState;
    const warnings: string[] = [];
    const encoder = mitmproxyCodec.encoder({ flowVersion: 17, warn: (m) => warnings.push(m) });
    expect(encoder.encode(FlowRecord.of(new Flow(udp)))).toEqual([]);
    expect(warnings).toEqual(['an emitted flow: a UDP flow cannot be written at flow format version 17 (mitmproxy 8.1 has no UDP flows); left out']);
  });
});

describe('property round trips', () => {
  prop.prop([fc.array(httpFlowState, { maxLength: 3 }), fc.constantFrom(17, 18, 19, 20, 21)], { numRuns: 150 })(
    'flows written at versions 17-21 read back with every field the version holds',
    async (states, version) => {
      const bytes = encodeRecords(states.map((s) => FlowRecord.of(new Flow(structuredClone(s)))), version);
      const back = (await read(bytes)).map((r) => Flow.state(r.flow));
      expect(back.map((s) => asHeldBy(version, s))).toEqual(states.map((s) => asHeldBy(version, s)));
    },
  );

  prop.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 300 })('arbitrary bytes decode or raise a typed error', async (bytes) => {
    const { error } = await decodeUntilError(mitmproxyCodec, bytes, 7);
    if (error !== undefined) expect(error instanceof CodecError || error instanceof SchemaError).toBe(true);
  });
});

describe('records indexed as far as asked', () => {
  const dict = atVersion(toMitmproxy(tstate()), 21);
  /** The record `dict` with `entry` (encoded key and value) added as its last entry, where mitmproxy writes the flow's connections. */
  function withLastEntry(entry: Uint8Array): Buffer {
    const record = encodeToBuffer(dict);
    const colon = record.indexOf(0x3a);
    const body = Buffer.concat([record.subarray(colon + 1, record.byteLength - 1), entry]);
    return Buffer.concat([Buffer.from(`${body.byteLength}:`), body, Buffer.from('}')]);
  }
  /** A dict entry: `key` and `value` (as tnetstring bytes, maybe not well formed). */
  const entry = (key: string, value: Uint8Array | string): Buffer => Buffer.concat([encodeToBuffer(key), typeof value === 'string' ? Buffer.from(value, 'latin1') : value]);
  /** The flow of `bytes` decoded whole: its unknown key put first, where the lazy reader gives up at once. */
  const decodedWhole = async (key: string, value: TValue): Promise<FlowState> =>
    Flow.state((await read(encodeToBuffer({ ...dict, [key]: value })))[0]!.flow);

  test('a key of its own after the request: a filter on the request passes the record through; read on, the state is the whole decoding', async () => {
    const bytes = withLastEntry(entry('zz_extra', encodeToBuffer('later')));
    const [record] = await read(bytes);
    expect(compileFilter('~m GET & ~d example.com')(record!.flow)).toBe(true);
    expect(mitmproxyCodec.encoder().encode(record!)).toEqual([bytes]);
    const whole = await decodedWhole('zz_extra', 'later');
    expect(copyState(Flow.state(record!.flow))).toEqual(copyState(whole));
    record!.flow.comment = 'changed';
    const written = mitmproxyCodec.encoder().encode(record!);
    const reference = new Flow(copyState(whole));
    reference.comment = 'changed';
    expect(Buffer.concat(written)).toEqual(Buffer.concat(mitmproxyCodec.encoder().encode(FlowRecord.of(reference))));
  });

  test('a repeated key after the request: a field read afterwards has its last value, as decoding whole gives', async () => {
    const [record] = await read(withLastEntry(entry('comment', encodeToBuffer('second'))));
    expect(compileFilter('~m GET')(record!.flow)).toBe(true);
    expect(record!.flow.comment).toBe('second');
  });

  test('a record broken after the request: a filter on the request answers, reading on reports the fault', async () => {
    const [record] = await read(withLastEntry(entry('zz_broken', 'x:~')));
    expect(compileFilter('~m GET')(record!.flow)).toBe(true);
    expect(record!.pristine).toBe(true);
    expect(() => record!.flow.id).toThrow('flow #0 at byte 0: not a tnetstring: missing or invalid length prefix');
  });
});
