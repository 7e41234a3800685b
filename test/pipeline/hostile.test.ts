// Hostile inputs through a whole stream (in memory): bodies that decode past --max-body-size in each context
// that decodes them, values nested past what the readers take, and gzip-compressed inputs that break. Each
// ends in a located error or a documented fallback, never an internal error or a silent empty body.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { codecByName } from '../../src/codecs/registry.js';
import type { LoadedScript, Script } from '../../src/engine/hooks.js';
import { DEFAULT_MAX_BODY_SIZE, setMaxBodySize } from '../../src/model/body-limit.js';
import { runStream, type StreamJob, type StreamSettings } from '../../src/pipeline/run.js';
import { loadBuiltin } from '../../src/scripts/builtins.js';
import { MemoryIo, MemoryReporter, streamSettings } from '../helpers/memory-io.js';
import { chunked, collectRecords, encodeAll, tstate } from '../helpers/tflow.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));

async function run(inputs: Record<string, Uint8Array>, job: Partial<StreamJob> & { inputs: string[] }, settings: Partial<StreamSettings> = {}, scripts: LoadedScript[] = []) {
  const io = new MemoryIo(inputs);
  const reporter = new MemoryReporter();
  const result = await runStream({ output: 'out', format: undefined, ...job }, streamSettings(settings), scripts, io, reporter);
  setMaxBodySize(DEFAULT_MAX_BODY_SIZE); // runStream set this thread's limit; later tests expect the default
  return { io, reporter, result };
}

const script = (name: string, hooks: Script): LoadedScript => ({ name, file: name, argv: [name], hooks, target: undefined, retainsFlows: true });

/** A flow file of two flows whose second response is 64 KiB of zeros, gzip-compressed (about 90 bytes). */
function bombFile(format = 'mitmproxy'): Buffer {
  const bomb = tstate({ id: '00000000-0000-4000-8000-000000000002' });
  bomb.response!.content = gzipSync(Buffer.alloc(64 * 1024));
  return encodeAll(codecByName(format), [tstate(), bomb]);
}
const LIMIT = { maxBodySize: 1024 };

describe('a body over --max-body-size', () => {
  test('a script reading it fails, naming the file, the flow and the body', async () => {
    const reader = script('reader.ts', { response: (_ctx, flow) => void flow.response!.text });
    const { reporter, result } = await run({ 'in.flows': bombFile() }, { inputs: ['in.flows'] }, LIMIT, [reader]);
    expect(reporter.errors).toHaveLength(1);
    expect(reporter.errors[0]).toMatch(/hook "response" failed on flow #1 of in\.flows \(GET [^)]*\): BodyLimitError: response body decodes to more than 1 KiB \(gzip; the limit is --max-body-size\)$/);
    expect(result.failure).not.toBeNull();
  });

  test('the HAR writer keeps it as stored, base64, and warns naming the flow', async () => {
    const { io, reporter, result } = await run({ 'in.flows': bombFile() }, { inputs: ['in.flows'], format: 'har' }, LIMIT);
    expect(result.failure).toBeNull();
    const content = JSON.parse(io.text('out')).log.entries[1].response.content;
    expect(content.encoding).toBe('base64');
    expect(Buffer.from(content.text, 'base64')).toEqual(gzipSync(Buffer.alloc(64 * 1024)));
    expect(reporter.warnings).toContain('flow #1 of in.flows: response body written to HAR as stored, not decoded: it decodes to more than 1 KiB (gzip; the limit is --max-body-size)');
  });

  test('with no limit (0) the HAR writer decodes it', async () => {
    const { io, reporter } = await run({ 'in.flows': bombFile() }, { inputs: ['in.flows'], format: 'har' }, { maxBodySize: 0 });
    const content = JSON.parse(io.text('out')).log.entries[1].response.content;
    expect(content.size).toBe(gzipSync(Buffer.alloc(64 * 1024)).byteLength);
    expect(content.compression).toBe(64 * 1024 - content.size);
    expect(reporter.warnings.filter((w) => w.includes('as stored'))).toEqual([]);
  });

  test('builtin:decode leaves it encoded, with a warning', async () => {
    const { io, reporter, result } = await run({ 'in.flows': bombFile() }, { inputs: ['in.flows'] }, LIMIT, [loadBuiltin('builtin:decode', ['builtin:decode'])]);
    expect(result.failure).toBeNull();
    expect(reporter.lines).toContain('warn builtin:decode: response body of flow #1 left encoded: response body decodes to more than 1 KiB (gzip; the limit is --max-body-size)');
    const [, kept] = await collectRecords(codecByName('mitmproxy').decode(chunked(io.outputs.get('out')!, 4096), 'out'));
    expect(kept!.flow.response!.content).toEqual(gzipSync(Buffer.alloc(64 * 1024)));
    expect(kept!.flow.response!.headers.get('content-encoding')).toBe('gzip');
  });

  test('a body filter searches it as stored', async () => {
    const { io, result } = await run({ 'in.flows': bombFile() }, { inputs: ['in.flows'], output: null }, { ...LIMIT, filter: '~bs hello' });
    expect(result.failure).toBeNull();
    expect(io.text('-').trim().split('\n')).toHaveLength(1); // flow #0's "hello"; #1 is searched as its gzip bytes
  });
});

const DEPTH = 100_000;
const PLACEHOLDER = 'PLACEHOLDER';

/** Two flows; the second's metadata.x is the placeholder string, in `format`. */
function placeholderFile(format: string): Buffer {
  const state = tstate({ id: '00000000-0000-4000-8000-000000000002' });
  state.metadata = { x: PLACEHOLDER };
  return encodeAll(codecByName(format), [tstate(), state]);
}

/** tnetstring lists nested `depth` levels: 0:] inside 3:0:]] inside … (no encoder of ours goes this deep). */
function deepTnetstring(depth: number): Buffer {
  const prefixes: string[] = [];
  let length = 3; // "0:]"
  for (let i = 1; i < depth; i++) {
    prefixes.push(`${length}:`);
    length += `${length}:`.length + 1;
  }
  return Buffer.from(`${prefixes.reverse().join('')}0:]${']'.repeat(depth - 1)}`);
}

/**
 * `file` with `value` in place of the bytes `was` (framed formats fix their record's length after). Encoders
 * recurse, so values deeper than they go are spliced into encoded files.
 */
function splice(file: Buffer, was: Buffer, value: Buffer): Buffer {
  const at = file.indexOf(was);
  return Buffer.concat([file.subarray(0, at), value, file.subarray(at + was.byteLength)]);
}

const DEEP: Record<string, () => { bytes: Buffer; second: number }> = {
  ndjson() {
    const file = placeholderFile('ndjson');
    return { bytes: splice(file, Buffer.from(`"${PLACEHOLDER}"`), Buffer.from('['.repeat(DEPTH) + ']'.repeat(DEPTH))), second: file.indexOf('\n') + 1 };
  },
  mitmproxy() {
    const file = placeholderFile('mitmproxy');
    const second = Number(/^(\d+):/.exec(file.toString('latin1'))![1]) + /^(\d+):/.exec(file.toString('latin1'))![0].length + 1;
    // The whole metadata dict {x: PLACEHOLDER} gives way, so that no enclosing length changes but the record's.
    const deep = splice(file.subarray(second), Buffer.from(`19:1:x;11:${PLACEHOLDER};}`), deepTnetstring(DEPTH));
    const body = deep.subarray(deep.indexOf(':') + 1);
    return { bytes: Buffer.concat([file.subarray(0, second), Buffer.from(`${body.byteLength - 1}:`), body]), second };
  },
  msgpack() {
    const file = placeholderFile('msgpack');
    const second = 9 + 4 + file.readUInt32BE(9);
    const record = splice(file.subarray(second + 4), Buffer.from([0xab, ...Buffer.from(PLACEHOLDER)]), Buffer.concat([Buffer.alloc(DEPTH - 1, 0x91), Buffer.from([0x90])]));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(record.byteLength);
    return { bytes: Buffer.concat([file.subarray(0, second), length, record]), second };
  },
  har() {
    const file = fixture('sample.har').toString();
    const second = file.indexOf('{', file.indexOf('"entries"') + 1);
    const at = file.indexOf('"startedDateTime"', second);
    return { bytes: Buffer.from(`${file.slice(0, at)}"_deep":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)},${file.slice(at)}`), second };
  },
};

describe('values nested too deeply', () => {
  const REASONS: Record<string, string> = {
    ndjson: 'record is nested more than 1000 levels deep',
    mitmproxy: 'not a tnetstring: nested more than 1000 levels deep',
    msgpack: 'record is nested more than 1000 levels deep',
    har: 'entry is nested more than 1000 levels deep',
  };

  test.each(Object.keys(DEEP))('%s: a flow 100k levels deep is a located error, after the flows before it', async (format) => {
    const { bytes, second } = DEEP[format]!();
    const flowIndex = format === 'har' ? 0 : 1;
    const { io, reporter, result } = await run({ in: bytes }, { inputs: ['in'], format: format === 'har' ? 'ndjson' : 'har' });
    expect(reporter.errors).toEqual([`in: flow #${flowIndex} at byte ${second}: ${REASONS[format]}`]);
    expect(result.inputs[0]!.status).toBe('failed');
    expect(result.failure).toBeNull();
    expect(io.outputs.has('out')).toBe(true); // committed, with the flows before it
  });

  test.each(Object.keys(DEEP))('%s: the same flow passes through untouched when nothing decodes it', async (format) => {
    const { bytes } = DEEP[format]!();
    const { io, result } = await run({ in: bytes }, { inputs: ['in'] });
    expect(result.failure).toBeNull();
    if (format !== 'har') expect(io.outputs.get('out')).toEqual(bytes);
  });
});

describe('a gzip-compressed input that breaks', () => {
  const flows = fixture('sample.flows');
  const gzipped = gzipSync(flows);

  test('cut short: the compressed byte and the last complete flow are named', async () => {
    const cut = gzipped.subarray(0, gzipped.byteLength - 100);
    const { io, reporter, result } = await run({ 'in.flows.gz': cut }, { inputs: ['in.flows.gz'] });
    expect(reporter.errors).toHaveLength(1);
    expect(reporter.errors[0]).toMatch(new RegExp(`^cannot read in\\.flows\\.gz: bad gzip data (at compressed byte ${cut.byteLength}|in compressed bytes \\d+-${cut.byteLength}): unexpected end of file; the last complete flow is #\\d+ at byte \\d+$`));
    expect(result.inputs[0]!.status).toBe('failed');
    expect(io.outputs.get('out')!.byteLength).toBeGreaterThan(0);
  });

  test('broken in its first bytes: the compressed bytes are named (no flow was read)', async () => {
    const broken = Buffer.from(gzipped);
    broken[12] = broken[12]! ^ 0xff; // inside the deflate stream's first block header
    const { reporter } = await run({ 'in.flows.gz': broken }, { inputs: ['in.flows.gz'] });
    expect(reporter.errors).toEqual([`cannot read in.flows.gz: bad gzip data in compressed bytes 0-${broken.byteLength}: invalid code lengths set`]);
  });
});
