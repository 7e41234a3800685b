// The command in-process: its semantics (listing, conversion, filters, exit codes, messages, the JSON
// summary) through main() with memory streams, as the bin calls it. What only a process shows (script
// loading through Node's loader, the bin's flags, worker bundles, TTY progress) is in cli.test.ts.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { filterHelpText } from '../../src/filter/help.js';
import { ROOT, tmp as tmpDir } from '../helpers/cli.js';
import { flowtxInProcess as flowtx } from '../helpers/in-process.js';

const SAMPLE = 'fixtures/sample.ftx';
const SAMPLE_NDJSON = 'fixtures/sample.ndjson';
const SAMPLE_FLOWS = 10;

const tmp = (): string => tmpDir('flowtx-command-');

function ndjsonLines(path: string): Record<string, any>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

describe('listing', () => {
  test('one line per flow with method, URL, status, size and duration', async () => {
    const r = await flowtx([SAMPLE]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(SAMPLE_FLOWS);
    expect(lines[0]).toBe('GET https://api.example.com/v1/users?page=1&api_key=sk_live_123 << 200 OK 65b 95ms');
    expect(lines[5]).toBe('GET https://api.example.com/v1/slow << error: Connection killed.');
    expect(lines[7]).toBe('GET https://api.example.com/v1/pending << no response');
    expect(lines[9]).toBe('tcp db.internal:5432 (2 messages)');
  });

  test('several inputs concatenate in the given order', async () => {
    const r = await flowtx(['-r', SAMPLE, '-r', SAMPLE_NDJSON]);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2 * SAMPLE_FLOWS);
  });
});

describe('conversion and pass-through', () => {
  test.each([
    ['ftx → ftx without scripts is byte-identical', SAMPLE, 'out.ftx', SAMPLE],
    ['ndjson → ndjson without scripts is byte-identical', SAMPLE_NDJSON, 'out.ndjson', SAMPLE_NDJSON],
    ['ftx → ndjson equals the shipped NDJSON sample', SAMPLE, 'out.ndjson', SAMPLE_NDJSON],
    ['ndjson → ftx equals the shipped msgpack sample', SAMPLE_NDJSON, 'out.ftx', SAMPLE],
  ])('%s', async (_name, input, output, expected) => {
    const dir = tmp();
    const r = await flowtx([input, join(dir, output)]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(dir, output)).equals(readFileSync(join(ROOT, expected)))).toBe(true);
  });

  test('--to overrides the extension; -r/-w work as in mitmdump', async () => {
    const dir = tmp();
    const out = join(dir, 'out.data');
    expect((await flowtx(['-r', SAMPLE, '-w', out, '--to', 'ndjson'])).code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(join(ROOT, SAMPLE_NDJSON)))).toBe(true);
  });

  test('stdin to stdout', async () => {
    const r = await flowtx(['-', '-', '--to', 'ndjson'], { input: readFileSync(join(ROOT, SAMPLE)) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, SAMPLE_NDJSON), 'utf8'));
  });

  test('gzip in and out', async () => {
    const dir = tmp();
    const gz = join(dir, 'sample.ndjson.gz');
    expect((await flowtx([SAMPLE, gz])).code).toBe(0);
    expect(gunzipSync(readFileSync(gz)).equals(readFileSync(join(ROOT, SAMPLE_NDJSON)))).toBe(true);
    const back = join(dir, 'back.ftx');
    expect((await flowtx([gz, back])).code).toBe(0);
    expect(readFileSync(back).equals(readFileSync(join(ROOT, SAMPLE)))).toBe(true);
  });

  test('what an output version cannot hold is warned about and listed in the summary', async () => {
    const dir = tmp();
    const ndjson = readFileSync(join(ROOT, SAMPLE_NDJSON), 'utf8').replace('"type":"tcp"', '"type":"udp"');
    const input = join(dir, 'with-udp.ndjson');
    writeFileSync(input, ndjson);
    const out = await flowtx([input, join(dir, 'o17.flows'), '--flow-version', '17', '--json-summary']);
    expect(out.code).toBe(0);
    const message = 'with-udp.ndjson: flow #9: a UDP flow cannot be written at flow format version 17 (mitmproxy 8.1 has no UDP flows); left out';
    expect(out.stderr).toBe(`flowtx: warn: ${input.slice(0, -'with-udp.ndjson'.length)}${message}\n`);
    expect(JSON.parse(out.stdout)).toMatchObject({ flows: { read: 10, written: 9 }, warnings: [`${input.slice(0, -'with-udp.ndjson'.length)}${message}`] });
  });

  test('what HAR cannot carry is counted per name in the summary and warned about', async () => {
    const out = await flowtx([SAMPLE, join(tmp(), 'o.har'), '--json-summary']);
    expect(out.code).toBe(0);
    const lost = {
      'content-encoded body bytes (HAR holds the decoded body)': 2,
      'TLS details': 8,
      'an error beside a response': 1,
      'WebSocket close details and message flags': 1,
      'TCP flows (left out)': 1,
    };
    const warnings = Object.entries(lost).map(([what, n]) => `har output cannot carry ${what}: ${n} flow(s)`);
    expect(JSON.parse(out.stdout)).toMatchObject({ output: { format: 'har' }, flows: { read: 10, written: 9 }, lost, warnings });
    expect(out.stderr).toBe(warnings.map((w) => `flowtx: warn: ${w}\n`).join(''));
  });

  test('HAR in, HAR out: the entries and envelope come back as they were', async () => {
    const out = join(tmp(), 'o.har');
    const r = await flowtx(['fixtures/sample.har', out, '--json-summary']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ inputs: [{ format: 'har', flows: 6 }], flows: { written: 6 }, lost: {}, warnings: [] });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(readFileSync(join(ROOT, 'fixtures/sample.har'), 'utf8')));
  });
});

describe('bad input', () => {
  test('a truncated input: complete flows are written, then exit 1 naming file, flow and offset', async () => {
    const dir = tmp();
    const whole = readFileSync(join(ROOT, SAMPLE));
    const cut = join(dir, 'cut.ftx');
    writeFileSync(cut, whole.subarray(0, whole.byteLength - 10));
    const out = join(dir, 'out.ndjson');
    const r = await flowtx([cut, out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^flowtx: error: ${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: flow #9 at byte \\d+: truncated record: \\d+ of \\d+ bytes\\n$`));
    expect(ndjsonLines(out)).toHaveLength(9);
    expect(readFileSync(cut).equals(whole.subarray(0, whole.byteLength - 10))).toBe(true);
  });

  test('garbage input names the format problem', async () => {
    const dir = tmp();
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, 'this is not a capture');
    const r = await flowtx([junk, join(dir, 'o.ftx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`flowtx: error: ${junk}: flow #0 at byte 0: unrecognised format (starts with "this is not a ca"); known formats: mitmproxy, msgpack, ndjson, har\n`);
  });

  test.each([
    [['--bogus', SAMPLE], 'Unknown argument: bogus'],
    [[], 'no input given; see flowtx --help'],
    [['--on-script-error', 'maybe', SAMPLE], 'Invalid values:'],
    [[SAMPLE, 'out.hra'], 'unknown output format ".hra" for out.hra; known formats: mitmproxy, msgpack, ndjson, har (or use --to)'],
    [[SAMPLE, '-', '--to', 'xml'], 'unknown format "xml"; known formats: mitmproxy, msgpack, ndjson, har'],
    [['--set', 'novalue', SAMPLE], '--set expects key=value, got "novalue"'],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await flowtx(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('a missing input exits 1 and names it', async () => {
    const r = await flowtx(['nope.ftx', join(tmp(), 'o.ftx')]);
    expect(r).toMatchObject({ code: 1, stderr: 'flowtx: error: cannot read nope.ftx: no such file\n' });
  });
});

describe('filters', () => {
  test('--filter in listing mode lists matching flows only', async () => {
    const r = await flowtx([SAMPLE, '--filter', '~m POST']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'POST https://api.example.com/v1/login',
      'POST https://api.example.com/v1/upload',
    ]);
  });

  test('a trailing expression (words after the paths, as mitmdump takes them) filters what is written', async () => {
    const dir = tmp();
    const out = join(dir, 'o.ndjson');
    const r = await flowtx([SAMPLE, out, '~d', 'example.com', '&', '!~q', '--json-summary']);
    expect(r.code).toBe(0);
    expect(ndjsonLines(out).map((f) => f.request.path)).toEqual(['/v1/users?page=1&api_key=sk_live_123', '/v1/login', '/logo.png', '/v1/upload', '/socket']);
    expect(JSON.parse(r.stdout).flows).toMatchObject({ read: SAMPLE_FLOWS, written: 5, filtered: 5 });
  });

  test('the mitmdump form: -r IN -w OUT EXPR', async () => {
    const dir = tmp();
    const out = join(dir, 'o.ndjson');
    expect((await flowtx(['-r', SAMPLE, '-w', out, '~m', 'POST'])).code).toBe(0);
    expect(ndjsonLines(out).map((f) => f.request.path)).toEqual(['/v1/login', '/v1/upload']);
  });

  test('--select without a script is pointless and says so', async () => {
    const r = await flowtx([SAMPLE, '--select', '~q']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--select has no effect without a script (-s); --filter leaves flows out');
  });

  test('a syntax error exits 2 and points at the column', async () => {
    const r = await flowtx([SAMPLE, '--filter', '~m GET & (~q)']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('flowtx: error: invalid filter expression at column 13: an operator must be followed by a space: write "~q )"');
    expect(r.stderr).toContain('\n  ~m GET & (~q)\n              ^\n');
    expect(r.stdout).toBe('');
  });

  test('--filter and a trailing expression together are refused', async () => {
    const r = await flowtx([SAMPLE, '--filter', '~q', '~s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('give the filter once');
  });

  test('--help-filters prints the operator table', async () => {
    expect(await flowtx(['--help-filters'])).toEqual({ code: 0, stdout: filterHelpText(), stderr: '' });
  });
});

describe('streams and exit codes', () => {
  test.each([
    [['--filter', '~m'], 2, 'flowtx: error: invalid filter expression at column 3: ~m needs a pattern'],
    [['-s', 'builtin:nope'], 1, 'flowtx: error: unknown built-in script builtin:nope; built-ins: builtin:decode, builtin:scrub\n'],
  ])('%j: exit %d, %s', async (args, code, stderr) => {
    const r = await flowtx([...args, SAMPLE, '-']);
    expect(r.code).toBe(code);
    expect(r.stderr.startsWith(stderr)).toBe(true);
    expect(r.stdout).toBe('');
  });

  test('a missing input among others: exit 1, named, and no output is made', async () => {
    const out = join(tmp(), 'out.flows');
    const r = await flowtx(['/nonexistent/in.flows', SAMPLE, out]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'flowtx: error: cannot read /nonexistent/in.flows: no such file\n' });
    expect(existsSync(out)).toBe(false);
  });

  test('the JSON summary goes to stderr when stdout carries the flows', async () => {
    const r = await flowtx([SAMPLE, '-', '--to', 'ndjson', '--json-summary']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(ROOT, SAMPLE_NDJSON), 'utf8'));
    expect(JSON.parse(r.stderr)).toMatchObject({ ok: true, exitCode: 0, flows: { read: SAMPLE_FLOWS, written: SAMPLE_FLOWS } });
  });
});
