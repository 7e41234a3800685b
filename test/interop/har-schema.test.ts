// HAR that flowtx writes is valid HAR 1.2: checked against the HAR 1.2 JSON Schema (har-schema, with ajv)
// and the spec's rules the schema cannot express (test/helpers/har-schema.ts), for every fixture and corpus
// file converted by the command, and for property-generated flows.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { codecByName } from '../../src/codecs/registry.js';
import type { FlowState } from '../../src/model/state.js';
import { flowState } from '../helpers/arbitrary.js';
import { harProblems } from '../helpers/har-schema.js';
import { flowtx } from '../helpers/cli.js';
import { flowtxInProcess } from '../helpers/in-process.js';
import { corpusListing, haveSharedCorpus, leftOut } from '../helpers/corpus.js';
import { encodeAll } from '../helpers/tflow.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The smallest valid HAR with one page and one entry, for the validator's own tests. */
function minimalHar(): any {
  return {
    log: {
      version: '1.2',
      creator: { name: 'test', version: '1' },
      pages: [{ startedDateTime: '2024-06-01T00:00:00.000Z', id: 'page_1', title: 'home', pageTimings: { onContentLoad: -1, onLoad: -1 } }],
      entries: [
        {
          pageref: 'page_1',
          startedDateTime: '2024-06-01T00:00:00.100Z',
          time: 3,
          request: { method: 'GET', url: 'http://127.0.0.1:8080/a?b=1', httpVersion: 'HTTP/1.1', cookies: [], headers: [{ name: 'Host', value: '127.0.0.1:8080' }], queryString: [{ name: 'b', value: '1' }], headersSize: -1, bodySize: 0 },
          response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', cookies: [], headers: [], content: { size: 3, mimeType: 'image/png', text: 'AAEC', encoding: 'base64' }, redirectURL: '', headersSize: -1, bodySize: 3 },
          cache: {},
          timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 1, wait: 1, receive: 1 },
        },
      ],
    },
  };
}

describe('the HAR 1.2 validator', () => {
  test('accepts a minimal valid HAR', () => {
    expect(harProblems(minimalHar())).toEqual([]);
  });

  test('leaves custom timings (a leading underscore) out of the total', () => {
    const har = minimalHar();
    har.log.entries[0].timings._blocked_queueing = 1;
    expect(harProblems(har)).toEqual([]);
  });

  test.each([7, 10])('accepts a total of %d ms with connect 4 ms, ssl 3 ms (ssl counted within connect or beside it)', (time) => {
    const har = minimalHar();
    Object.assign(har.log.entries[0], { time, timings: { connect: 4, ssl: 3, send: 1, wait: 1, receive: 1 } });
    expect(harProblems(har)).toEqual([]);
  });

  test.each<[string, (har: any) => void, string]>([
    ['no creator', (h) => delete h.log.creator, `/log must have required property 'creator' {"missingProperty":"creator"}`],
    ['a relative URL', (h) => (h.log.entries[0].request.url = '/a?b=1'), '/log/entries/0/request/url must match format "uri" {"format":"uri"}'],
    ['a space in the URL', (h) => (h.log.entries[0].request.url = 'http://h/a b'), '/log/entries/0/request/url must match format "uri" {"format":"uri"}'],
    ['a date without zone', (h) => (h.log.entries[0].startedDateTime = '2024-06-01T00:00:00'), '/log/entries/0/startedDateTime must match format "date-time" {"format":"date-time"}'],
    ['a fractional status', (h) => (h.log.entries[0].response.status = 200.5), '/log/entries/0/response/status must be integer {"type":"integer"}'],
    ['content without size', (h) => delete h.log.entries[0].response.content.size, `/log/entries/0/response/content must have required property 'size' {"missingProperty":"size"}`],
    ['a timing below -1', (h) => (h.log.entries[0].timings.dns = -2), '/log/entries/0/timings/dns must pass "min" keyword validation {}'],
    ['a negative total time', (h) => (h.log.entries[0].time = -1), '/log/entries/0/time must pass "min" keyword validation {}'],
    ['an unknown pageref', (h) => (h.log.entries[0].pageref = 'page_9'), '/log/entries/0/pageref: no page has the id "page_9"'],
    ['a repeated page id', (h) => h.log.pages.push({ ...h.log.pages[0] }), '/log/pages: page id "page_1" is not unique'],
    ['wait of -1', (h) => Object.assign(h.log.entries[0].timings, { wait: -1, receive: 2 }), '/log/entries/0/timings/wait is negative'],
    ['time that is not the sum of the timings', (h) => (h.log.entries[0].time = 4), '/log/entries/0/time is 4, the timings add up to 3'],
    ['time that is neither sum', (h) => Object.assign(h.log.entries[0], { time: 6, timings: { connect: 4, ssl: 3, send: 1, wait: 1, receive: 1 } }), '/log/entries/0/time is 6, the timings add up to 10'],
    ['text that is not base64', (h) => (h.log.entries[0].response.content.text = 'AA='), '/log/entries/0/response/content/text is not base64'],
  ])('rejects %s', (_what, spoil, problem) => {
    const har = minimalHar();
    spoil(har);
    expect(harProblems(har)).toContain(problem);
  });
});

/** Paths relative to the project root. */
function inputs(): string[] {
  const fixtures = ['fixtures/sample.flows', 'fixtures/sample.ftx', 'fixtures/sample.ndjson', 'fixtures/sample.har'];
  const corpus = ([
    ['mitmproxy/flows', ['.mitm', '.har']],
    ['mitmproxy/generated', ['.mitm']],
    ['mitmproxy/har_files', ['.har']],
    ['real', ['.flows', '.har']],
  ] as const).flatMap(([dir, extensions]) => extensions.flatMap((ext) => corpusListing(dir, ext)));
  return [...fixtures, ...corpus.map((path) => relative(ROOT, path))];
}

/**
 * Runs `flowtx [args] INPUT OUT.har --json-summary` (in-process; spawned when a script runs, which Node's
 * loader loads); returns the HAR written and the flows counted written.
 */
async function convert(input: string, args: string[] = []): Promise<{ har: unknown; written: number }> {
  const out = join(mkdtempSync(join(tmpdir(), 'flowtx-har-')), 'out.har');
  const command = [...args, input, out, '--json-summary'];
  const r = args.includes('-s') ? flowtx(command) : await flowtxInProcess(command);
  expect(r.stderr).not.toMatch(/flowtx: error/);
  expect(r.code).toBe(0);
  return { har: JSON.parse(readFileSync(out, 'utf8')), written: JSON.parse(r.stdout).flows.written };
}

const entriesOf = (har: unknown): unknown[] => (har as { log: { entries: unknown[] } }).log.entries;
const isHar = (file: string): boolean => file.endsWith('.har');

describe(`flowtx IN OUT.har writes valid HAR 1.2${haveSharedCorpus ? '' : leftOut('files only in ../shared/corpus')}`, () => {
  test.each(inputs().filter((f) => !isHar(f)))('%s', async (input) => {
    const { har, written } = await convert(input);
    expect(harProblems(har)).toEqual([]);
    expect(entriesOf(har)).toHaveLength(written);
    expect(written).toBeGreaterThan(0);
  });

  // An entry nobody changed is written back as it was read, so a HAR that breaks the spec (most of the
  // corpus's do) stays as it is; flowtx must add no problem, whether it copies the entries or rebuilds them
  // (a script changing every response makes it rebuild them).
  test.each(inputs().filter(isHar))('%s: no problem the input did not have, copied or rebuilt', async (input) => {
    const before = harProblems(JSON.parse(readFileSync(join(ROOT, input), 'utf8').replace(/^\uFEFF/, '')));
    for (const args of [[], ['-s', 'examples/add_header.ts']]) {
      const { har, written } = await convert(input, args);
      expect(harProblems(har).filter((p) => !before.includes(p))).toEqual([]);
      expect(entriesOf(har)).toHaveLength(written);
    }
  });

  test('the HAR the bench generates is valid HAR 1.2 and stays valid rebuilt by flowtx, one flow per entry', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flowtx-har-')), 'bench.har');
    const r = spawnSync(process.execPath, ['bench/generate-har.mjs', '--target-mb', '2', '-o', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const generated = JSON.parse(readFileSync(file, 'utf8'));
    expect(harProblems(generated)).toEqual([]);
    const { har, written } = await convert(file, ['-s', 'examples/add_header.ts']);
    expect(harProblems(har)).toEqual([]);
    expect(written).toBe(entriesOf(generated).length);
  });
});

function expectValidHar(states: FlowState[]): void {
  expect(harProblems(JSON.parse(encodeAll(codecByName('har'), states).toString('utf8')))).toEqual([]);
}

describe('HAR written from property-generated flows', () => {
  prop.prop([fc.array(flowState, { maxLength: 4 })], { numRuns: 200 })('is valid HAR 1.2', expectValidHar);
});
