// Interoperability with the real peer: Debian's mitmproxy 8.1.1 (its Python module under /usr/bin/python3,
// and mitmdump). .ci/run installs it; elsewhere these tests are skipped with the reason.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import { httpFlowState } from '../helpers/arbitrary.js';
import { flowtx, ROOT, tmp as tmpDir } from '../helpers/cli.js';
import { corpusFile, corpusListing, eachCorpusFile, haveSharedCorpus, leftOut } from '../helpers/corpus.js';
import { flowtxInProcess } from '../helpers/in-process.js';
import { Peer } from '../helpers/peer.js';
import { chunked, collectRecords } from '../helpers/tflow.js';

const PYTHON = '/usr/bin/python3';
const havePeer = spawnSync(PYTHON, ['-c', 'import mitmproxy'], { encoding: 'utf8' }).status === 0 && spawnSync('mitmdump', ['--version']).status === 0;
const why = havePeer ? '' : ' (skipped: Debian mitmproxy is not installed: apt-get install -y mitmproxy)';

const tmp = (): string => tmpDir('flowtx-peer-');

/** The mitmproxy peer, started once for the file (when it is installed). */
let mitmproxy: Peer | undefined;
beforeAll(() => {
  if (havePeer) mitmproxy = new Peer();
});
afterAll(() => mitmproxy?.close());
const peer = (command: 'check' | 'dump', file: string): Promise<string> => mitmproxy!.ask(command, file);

async function readFlows(file: string): Promise<FlowRecord[]> {
  return collectRecords(mitmproxyCodec.decode(chunked(readFileSync(file), 65536), file));
}

const CORPUS_FILES = [
  'mitmproxy/dumpfile-011.mitm',
  'mitmproxy/dumpfile-018.mitm',
  'mitmproxy/dumpfile-019.mitm',
  'mitmproxy/dumpfile-7.mitm',
  'mitmproxy/dumpfile-7-websocket.mitm',
  'mitmproxy/dumpfile-10.mitm',
  'mitmproxy/dumpfile-19.mitm',
  'mitmproxy/flows/corrupted_gzip_body.mitm',
  'mitmproxy/flows/diff_data.mitm',
  'mitmproxy/flows/error_log.mitm',
  'mitmproxy/flows/event_stream.mitm',
  'mitmproxy/flows/incomplete_log.mitm',
  'mitmproxy/flows/successful_log.mitm',
  'mitmproxy/flows/websocket.mitm',
  'mitmproxy/generated/v17-mitmproxy-8.1.1-fixture-flows.mitm',
  'mitmproxy/generated/v17-mitmdump-8.1.1-rewrite-of-dumpfile-7.mitm',
  'mitmproxy/generated/v21-mitmproxy-13.0.0dev-fixture-flows.mitm',
  'mitmproxy/generated/v21-mitmdump-13.0.0dev-rewrite-of-event_stream.mitm',
  'real/curl-mixed.flows',
  'real/chromium-browse.flows',
];

describe.skipIf(!havePeer)(`mitmproxy 8.1.1 reads what flowtx writes${why}`, () => {
  const loadsAt17 = async (input: string) => {
    const out = join(tmp(), 'ours.flows');
    const r = await flowtxInProcess([input, out, '--flow-version', '17']);
    expect(r.code).toBe(0);
    const expected = (await readFlows(out)).length;
    expect((await peer('check', out)).trim()).toBe(`ok ${expected}`);
  };
  const AT_17 = '%s at version 17: every flow loads with the state flowtx wrote';
  test.each([join(ROOT, 'fixtures/sample.ftx'), join(ROOT, 'fixtures/sample.ndjson')])(AT_17, loadsAt17);
  eachCorpusFile(CORPUS_FILES.map((f) => [f] as const))(AT_17, (f) => loadsAt17(corpusFile(f)));

  // HARs of the corpus this clone has: the committed mitmproxy exports always, the others with ../shared/corpus.
  const HARS = [...['mitmproxy/har_files', 'mitmproxy/flows', 'real'].flatMap((dir) => corpusListing(dir, '.har')), join(ROOT, 'fixtures/sample.har')];
  const harsLeftOut = haveSharedCorpus ? '' : leftOut('HARs only in ../shared/corpus');
  test.each(HARS)(`HAR %s → .flows at version 17: mitmproxy loads one flow per entry, with the state flowtx wrote${harsLeftOut}`, async (input) => {
    const entries = (JSON.parse(readFileSync(input, 'utf8').replace(/^\ufeff/, '')) as { log: { entries: unknown[] } }).log.entries.length;
    const out = join(tmp(), 'from-har.flows');
    expect((await flowtxInProcess([input, out, '--flow-version', '17'])).code).toBe(0);
    expect((await peer('check', out)).trim()).toBe(`ok ${entries}`);
  });

  test('a browser HAR\'s gzip response given as decoded text shows its body in mitmproxy', async () => {
    const out = join(tmp(), 'from-har.flows');
    expect((await flowtxInProcess([join(ROOT, 'fixtures/sample.har'), out, '--flow-version', '17'])).code).toBe(0);
    const [page] = (await peer('dump', out)).trim().split('\n').map((l) => JSON.parse(l));
    const html = (JSON.parse(readFileSync(join(ROOT, 'fixtures/sample.har'), 'utf8')) as { log: { entries: { response: { content: { text: string } } }[] } }).log.entries[0]!.response.content.text;
    expect(page.response.content.hex).toBe(Buffer.from(html).toString('hex'));
    const names = (page.response.headers as [{ hex: string }, { hex: string }][]).map(([n]) => Buffer.from(n.hex, 'hex').toString());
    expect(names).not.toContain('content-encoding');
  });

  test('property-generated flows at version 17', async () => {
    // mitmproxy parses certificates on load; generated ones are not X.509, so connections carry none.
    const states = fc.sample(httpFlowState, { numRuns: 60, seed: 20240601 }).map((s) => ({
      ...s,
      clientConn: { ...s.clientConn, certificateList: [], mitmcert: null },
      serverConn: { ...s.serverConn, certificateList: [] },
    }));
    const encoder = mitmproxyCodec.encoder({ flowVersion: 17 });
    const out = join(tmp(), 'generated.flows');
    writeFileSync(out, Buffer.concat(states.flatMap((s) => encoder.encode(FlowRecord.of(new Flow(s))))));
    expect((await peer('check', out)).trim()).toBe(`ok ${states.length}`);
  });

  test('mitmdump -nr ours -w theirs runs cleanly, and flowtx reads theirs as the same flows', async () => {
    const dir = tmp();
    const ours = join(dir, 'ours.flows');
    const theirs = join(dir, 'theirs.flows');
    expect((await flowtxInProcess([join(ROOT, 'fixtures/sample.ftx'), ours, '--flow-version', '17'])).code).toBe(0);
    const dump = spawnSync('mitmdump', ['-q', '-n', '-r', ours, '-w', theirs], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(dump.status).toBe(0);
    expect(dump.stdout + dump.stderr).not.toMatch(/Traceback|[Ee]rror/);
    const mine = new Map((await readFlows(ours)).map((r) => [r.flow.id, JSON.stringify(Flow.state(r.flow), replacer)]));
    const back = await readFlows(theirs);
    // mitmdump writes a flow that has both a response and an error twice (spec §5.2); every one is ours.
    expect(new Set(back.map((r) => r.flow.id))).toEqual(new Set(mine.keys()));
    for (const r of back) expect(JSON.stringify(Flow.state(r.flow), replacer)).toBe(mine.get(r.flow.id));
  });

  eachCorpusFile([['real/curl-mixed.flows'] as const])('the seed add-header script over %s: mitmproxy sees the header on every response and nothing else changed', async (file) => {
    const input = corpusFile(file);
    const out = join(tmp(), 'out.flows');
    expect(flowtx(['-s', join(ROOT, 'examples/add_header.ts'), input, out]).code).toBe(0);
    const before = (await peer('dump', input)).trim().split('\n').map((l) => JSON.parse(l));
    const after = (await peer('dump', out)).trim().split('\n').map((l) => JSON.parse(l));
    expect(after).toHaveLength(before.length);
    const hex = (s: string): string => Buffer.from(s).toString('hex');
    let responses = 0;
    for (const [i, flow] of after.entries()) {
      if (flow.response) {
        responses++;
        const headers = flow.response.headers as [{ hex: string }, { hex: string }][];
        expect(headers.filter(([n]) => n.hex === hex('newheader')).map(([, v]) => v.hex)).toEqual([hex('foo')]);
        flow.response.headers = headers.filter(([n]) => n.hex !== hex('newheader'));
      }
      expect(flow).toEqual(before[i]);
    }
    expect(responses).toBeGreaterThan(40);
  });

  eachCorpusFile([['real/chromium-browse.flows'] as const])('what mitmdump writes from %s, flowtx reads identically', async (file) => {
    const dir = tmp();
    const input = corpusFile(file);
    const theirs = join(dir, 'theirs.flows');
    const dump = spawnSync('mitmdump', ['-q', '-n', '-r', input, '-w', theirs], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(dump.status).toBe(0);
    const original = new Map((await readFlows(input)).map((r) => [r.flow.id, JSON.stringify(Flow.state(r.flow), replacer)]));
    const back = await readFlows(theirs);
    expect(new Set(back.map((r) => r.flow.id))).toEqual(new Set(original.keys()));
    for (const r of back) expect(JSON.stringify(Flow.state(r.flow), replacer)).toBe(original.get(r.flow.id));
  });
});

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array || (value as { type?: string })?.type === 'Buffer') {
    return Buffer.from((value as { data?: number[] }).data ?? (value as Uint8Array)).toString('hex');
  }
  return typeof value === 'bigint' ? `${value}n` : value;
}
