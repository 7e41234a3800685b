// End to end: spawns the real command (bin/flowtx.js over the build) for what only a process shows: scripts
// loaded through Node's loader (TypeScript, imports of 'flowtx', the compile cache, their errors), the bin,
// TTY progress. The command's other semantics run in-process in command.test.ts.

import { existsSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Flow } from '../../src/model/flow.js';
import { BIN, flowtx, readFlows, ROOT, tmp as tmpDir } from '../helpers/cli.js';
const SAMPLE = 'fixtures/sample.ftx';
const SAMPLE_NDJSON = 'fixtures/sample.ndjson';
const SAMPLE_FLOWS = 10;

const tmp = (): string => tmpDir('flowtx-cli-');

function script(dir: string, name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

function ndjsonLines(path: string): Record<string, any>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function headerOf(fields: [string, string][], name: string): string | undefined {
  return fields.find(([n]) => n.toLowerCase() === name)?.[1];
}

describe('the README commands', () => {
  test('add_header example over the sample: every response gets the header, nothing else changes', () => {
    const dir = tmp();
    const out = join(dir, 'out.ndjson');
    const r = flowtx(['-s', 'examples/add_header.ts', SAMPLE, out]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const before = ndjsonLines(join(ROOT, SAMPLE_NDJSON));
    const after = ndjsonLines(out);
    expect(after).toHaveLength(SAMPLE_FLOWS);
    for (const [i, flow] of after.entries()) {
      if (flow.response) {
        expect(headerOf(flow.response.headers, 'newheader')).toBe('foo');
        flow.response.headers = flow.response.headers.filter(([n]: [string]) => n !== 'newheader');
      }
      expect(flow).toEqual(before[i]);
    }
  });
});

describe('conversion and pass-through', () => {

  test('--json-summary reports counts', () => {
    const dir = tmp();
    const r = flowtx(['-s', 'examples/duplicate.ts', '-s', 'examples/drop_host.ts tracker.test', SAMPLE, join(dir, 'o.ftx'), '--json-summary', '-q']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      ok: true,
      exitCode: 0,
      inputs: [{ path: SAMPLE, format: 'msgpack', flows: SAMPLE_FLOWS }],
      output: { format: 'msgpack' },
      flows: { read: 10, written: 11, dropped: 1, emitted: 2 },
      scriptErrors: 0,
      errors: [],
      warnings: [],
      lost: {},
    });
    expect(summary.durationMs).toBeGreaterThanOrEqual(0);
  });

});

describe('examples', () => {
  test('rewrite_url points requests elsewhere and fixes Host', () => {
    const dir = tmp();
    const out = join(dir, 'o.ndjson');
    expect(flowtx(['-s', 'examples/rewrite_url.ts http://127.0.0.1:9000', SAMPLE, out]).code).toBe(0);
    const flows = ndjsonLines(out).filter((f) => f.type === 'http');
    expect(flows.every((f) => f.request.host === '127.0.0.1' && f.request.port === 9000)).toBe(true);
    expect(headerOf(flows[0]!.request.headers, 'host')).toBe('127.0.0.1:9000');
  });

  test('scrub_secrets (plain JavaScript) replaces credential values with REDACTED, keeping names, bodies and every flow', async () => {
    const out = join(tmp(), 'o.ndjson');
    expect(flowtx(['-s', 'examples/scrub_secrets.mjs', SAMPLE, out])).toMatchObject({ code: 0, stderr: '' });
    const text = readFileSync(out, 'utf8');
    for (const secret of ['sk_live_123', 'eyJhbGciOi.secret', 'session=abc123']) expect(text).not.toContain(secret);
    const before = await readFlows(join(ROOT, SAMPLE));
    const after = await readFlows(out);
    expect(after.map((f) => f.id)).toEqual(before.map((f) => f.id));
    const [users, login, shop] = after;
    expect([...users!.request.query]).toEqual([['page', '1'], ['api_key', 'REDACTED']]);
    expect(users!.request.headers.get('authorization')).toBe('REDACTED');
    expect(login!.response!.headers.getAll('set-cookie')).toEqual(['session=REDACTED', 'theme=REDACTED']);
    expect([...shop!.request.cookies]).toEqual([['session', 'REDACTED'], ['cart', 'REDACTED']]);
    // Only values change: every header name stays, in order, and bodies decode to what they were.
    const hex = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? []).toString('hex');
    before.forEach((flow, i) => {
      if (flow.type !== 'http') return;
      const scrubbed = after[i]!;
      for (const side of ['request', 'response'] as const) {
        expect(scrubbed[side]?.headers.names()).toEqual(flow[side]?.headers.names());
        expect(hex(scrubbed[side]?.decodedContent)).toBe(hex(flow[side]?.decodedContent));
      }
    });
  });

  test('duplicate emits a copy right after each POST: a flow of its own (new id) naming the original', async () => {
    const out = join(tmp(), 'o.ndjson');
    expect(flowtx(['-s', 'examples/duplicate.ts', SAMPLE, out])).toMatchObject({ code: 0, stderr: '' });
    const input = await readFlows(join(ROOT, SAMPLE));
    const output = await readFlows(out);
    const isPost = (f: Flow): boolean => f.type === 'http' && f.request.method === 'POST';
    expect(output).toHaveLength(input.length + input.filter(isPost).length);
    let at = 0;
    input.forEach((original, index) => {
      expect(output[at++]!.id).toBe(original.id);
      if (!isPost(original)) return;
      const copy = output[at++]!;
      expect(copy.id).not.toBe(original.id);
      expect(copy.request.headers.get('x-replayed-from')).toBe(original.id);
      expect(copy.comment).toBe(`copy of flow #${index} of ${SAMPLE}`);
      expect([copy.request.method, copy.request.url, Buffer.from(copy.request.content ?? []).toString('hex')]).toEqual([
        original.request.method,
        original.request.url,
        Buffer.from(original.request.content ?? []).toString('hex'),
      ]);
    });
    expect(new Set(output.map((f) => f.id)).size).toBe(output.length);
  });
});

describe('scripts', () => {
  test('import from "flowtx" resolves wherever the script lives; -s passes arguments', () => {
    const dir = tmp();
    const s = script(dir, 'emit.ts', `
import { createFlow, Flow, type ScriptContext } from 'flowtx';
export function start(ctx: ScriptContext, argv: string[]) { ctx.state.url = argv[1]; }
export function done(ctx: ScriptContext) {
  const flow = createFlow({ request: { url: String(ctx.state.url) }, response: { statusCode: 204 } });
  if (!(flow instanceof Flow)) throw new Error('two Flow classes');
  ctx.emit(flow);
}
`);
    const r = flowtx(['-s', `${s} http://127.0.0.1:1/emitted`, SAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^GET http:\/\/127\.0\.0\.1:1\/emitted << 204 No Content 0b \d+ms$/);
  });

  test('CommonJS scripts can require("flowtx")', () => {
    const dir = tmp();
    const s = script(dir, 'x.cjs', `const { createFlow } = require('flowtx');
module.exports = { done(ctx) { ctx.emit(createFlow({ request: { url: 'http://127.0.0.1/cjs' } })); } };`);
    const r = flowtx(['-s', s, SAMPLE]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('GET http://127.0.0.1/cjs << no response');
  });

  test('a TypeScript script may import a local .ts helper', () => {
    const dir = tmp();
    script(dir, 'helper.ts', `export const NAME: string = 'x-helper';`);
    const s = script(dir, 'main.ts', `import { NAME } from './helper.js';
export function response(ctx: unknown, flow: any) { flow.response.headers.set(NAME, '1'); }`);
    const out = join(dir, 'o.ndjson');
    expect(flowtx(['-s', s, SAMPLE, out])).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toContain('x-helper');
  });

  test('compiled TypeScript is cached by content: an edited script is compiled again', () => {
    const dir = tmp();
    const cache = join(dir, 'cache');
    const env = { FLOWTX_CACHE_DIR: cache };
    const out = join(dir, 'o.ndjson');
    const s = script(dir, 'tag.ts', `export function response(ctx: unknown, flow: any) { flow.response.headers.set('x-tag', 'one'); }`);
    for (let run = 0; run < 2; run++) {
      expect(flowtx(['-s', s, SAMPLE, out], { env })).toMatchObject({ code: 0, stderr: '' });
      expect(readdirSync(cache)).toHaveLength(1);
      expect(readFileSync(out, 'utf8')).toContain('"x-tag","one"');
    }
    script(dir, 'tag.ts', `export function response(ctx: unknown, flow: any) { flow.response.headers.set('x-tag', 'two'); }`);
    expect(flowtx(['-s', s, SAMPLE, out], { env })).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(cache)).toHaveLength(2);
    expect(readFileSync(out, 'utf8')).toContain('"x-tag","two"');
  });

  test('a cached script that imports nothing runs without the loader; its errors still name its lines', () => {
    const dir = tmp();
    const env = { FLOWTX_CACHE_DIR: join(dir, 'cache') };
    const s = script(dir, 'bad.ts', `import type { Flow } from 'flowtx';\n\nexport function response(ctx: unknown, flow: Flow) {\n  if (flow.response!.statusCode === 201) {\n    throw new TypeError('boom');\n  }\n}\n`);
    const [first, second] = [0, 1].map(() => flowtx(['-s', s, SAMPLE, join(dir, 'o.ftx')], { env }));
    expect(first!.code).toBe(1);
    expect(first!.stderr).toContain('bad.ts:5: hook "response" failed');
    expect(second).toEqual(first);
  });

  test.each([
    ['imports nothing: no loader hooks', 'plain.mjs', '', 'false'],
    ["imports 'flowtx': through the loader hooks", 'api.mjs', `import { Flow } from 'flowtx';\nvoid Flow;\n`, 'true'],
  ])('a JavaScript script that %s', (_what, name, head, registered) => {
    const dir = tmp();
    const s = script(dir, name, `${head}export function start(ctx) { ctx.log.info('hooks: %s', Symbol.for('flowtx.api') in globalThis); }\n`);
    expect(flowtx(['-s', s, SAMPLE, join(dir, 'o.ftx')])).toMatchObject({ code: 0, stderr: `[${s}] hooks: ${registered}\n` });
  });

  test('flows a script keeps past their batch read the same at the end (read chunks are reused only without scripts)', () => {
    const dir = tmp();
    // 200 copies of the sample: about 3.7 MB, many read chunks; concatenated flow files are one.
    const input = join(dir, 'many.flows');
    writeFileSync(input, Buffer.concat(Array.from({ length: 200 }, () => readFileSync('fixtures/sample.flows'))));
    // Parts nobody read before are decoded from the record's bytes when first read: in done(), long after.
    const s = script(dir, 'keep.mjs', [
      'let late = false;',
      'const kept = [];',
      'const seen = [];',
      "const describe = (f) => [f.request.url, f.request.headers.fields.join(), f.response?.headers.fields.join(), f.response?.content?.length].join(' ');",
      "export function start(ctx, argv) { late = argv[1] === 'late'; }",
      'export function request(ctx, flow) { if (late) kept.push(flow); else seen.push(describe(flow)); }',
      "export function done(ctx) { const all = late ? kept.map(describe) : seen; ctx.log.info('%d %s', all.length, all.join('|').length); }",
      '',
    ].join('\n'));
    const [early, late] = ['early', 'late'].map((when) => flowtx(['-s', `${s} ${when}`, input, join(dir, `${when}.flows`)]));
    expect(early!.code).toBe(0);
    expect(early!.stderr).toMatch(/^\[.*keep\.mjs\] 1800 \d+\n$/); // 9 of the sample's flows are HTTP
    expect(late).toEqual(early);
  });

  test('a default-exported object works', () => {
    const dir = tmp();
    const s = script(dir, 'obj.mjs', `export default { count: 0, request() { this.count++; }, done(ctx) { ctx.log.info('saw %d', this.count); } };`);
    expect(flowtx(['-s', s, SAMPLE, join(dir, 'o.ftx')]).stderr).toBe(`[${s}] saw 9\n`);
  });

  test('a near-miss export name warns with a suggestion', () => {
    const dir = tmp();
    const s = script(dir, 'typo.ts', `export function respone() {}\nexport function helper() {}\nexport function request() {}`);
    const r = flowtx(['-s', s, SAMPLE, join(dir, 'o.ftx')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`flowtx: warn: ${s} exports \`respone\`, which is not a hook; did you mean \`response\`?\n`);
  });

  test.each([
    ['thrown Error', 'bad.ts', `import type { Flow } from 'flowtx';\n\nexport function response(ctx: unknown, flow: Flow) {\n  if (flow.response!.statusCode === 201) {\n    throw new TypeError('boom');\n  }\n}\n`,
      'bad.ts:5: hook "response" failed on flow #1 of fixtures/sample.ftx (POST https://api.example.com/v1/login): TypeError: boom'],
    ['thrown string', 'str.js', `export function request() {\n  throw 'bad thing';\n}\n`,
      'str.js: hook "request" failed on flow #0 of fixtures/sample.ftx (GET https://api.example.com/v1/users?page=1&api_key=sk_live_123): non-Error value thrown: "bad thing"'],
    ['TypeScript syntax error', 'syn.ts', `export function request() {\n  const x = ;\n}\n`, 'syn.ts:2:13: syntax error: Unexpected ";"'],
    ['JavaScript syntax error', 'syn.mjs', `export function request() {\n  const x = ;\n}\n`, "syn.mjs:2:13: syntax error: Unexpected token ';'"],
    ['error at load time', 'load.mjs', `throw new RangeError('no config');\n`, 'load.mjs: failed to load: RangeError: no config'],
    ['a hook that is not a function', 'notfn.mjs', `export const request = 5;\n`, 'notfn.mjs: export "request" is a number, not a function'],
  ])('%s: exact message, exit 1, no output, no stack', (_name, file, source, message) => {
    const dir = tmp();
    script(dir, file, source);
    const out = join(dir, 'out.ftx');
    const r = flowtx(['-s', file, join(ROOT, SAMPLE), out], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`flowtx: error: ${message.replace('fixtures/sample.ftx', join(ROOT, SAMPLE))}\n`);
    expect(readdirSync(dir).filter((f) => !f.endsWith('s') && !f.endsWith('.mjs'))).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  test('a missing script file', () => {
    const r = flowtx(['-s', 'nope.ts', SAMPLE, join(tmp(), 'o.ftx')]);
    expect(r).toMatchObject({ code: 1, stderr: 'flowtx: error: script not found: nope.ts\n' });
  });

  test('--debug shows the stack', () => {
    const dir = tmp();
    const s = script(dir, 'bad.mjs', `export function request() { throw new Error('boom'); }`);
    const r = flowtx(['-s', s, SAMPLE, join(dir, 'o.ftx'), '--debug']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('caused by: Error: boom\n    at request (file://');
  });

  test.each([
    ['skip', [], 1, 9],
    ['keep', [], 1, 10],
    ['skip', ['--allow-script-errors'], 0, 9],
  ])('--on-script-error %s %j → exit %d, %d flows written', (policy, extra, code, written) => {
    const dir = tmp();
    const s = script(dir, 'bad.mjs', `export function request(ctx, flow) { flow.request.method = 'X'; if (ctx.index === 3) throw new Error('boom'); }`);
    const out = join(dir, 'o.ndjson');
    const r = flowtx(['-s', s, SAMPLE, out, '--on-script-error', policy, ...(extra as string[])]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`flowtx: warn: ${s}:1: hook "request" failed on flow #3 of fixtures/sample.ftx`);
    const flows = ndjsonLines(out);
    expect(flows).toHaveLength(written);
    if (policy === 'keep') expect(flows[3]!.request.method).toBe('GET');
  });
});

describe('bad input and safe output', () => {

  test('an existing output is replaced only when the run succeeds', () => {
    const dir = tmp();
    const out = join(dir, 'o.ftx');
    writeFileSync(out, 'precious');
    const s = script(dir, 'bad.mjs', `export function response(ctx) { if (ctx.index === 4) throw new Error('x'); }`);
    expect(flowtx(['-s', s, SAMPLE, out]).code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect(readdirSync(dir).sort()).toEqual(['bad.mjs', 'o.ftx']);
    expect(flowtx([SAMPLE, out]).code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(join(ROOT, SAMPLE)))).toBe(true);
  });

  test('writing onto an input needs --in-place', () => {
    const dir = tmp();
    const file = join(dir, 'cap.ftx');
    copyFileSync(join(ROOT, SAMPLE), file);
    const refused = flowtx(['-s', 'examples/add_header.ts', file, file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`flowtx: error: output ${file} is also an input; add --in-place to rewrite it safely\nRun flowtx --help for usage.\n`);
    expect(readFileSync(file).equals(readFileSync(join(ROOT, SAMPLE)))).toBe(true);
    expect(flowtx(['-s', 'examples/add_header.ts', '--in-place', file]).code).toBe(0);
    expect(flowtx([file]).stdout.trimEnd().split('\n')).toHaveLength(SAMPLE_FLOWS);
    expect(readFileSync(file).byteLength).toBeGreaterThan(readFileSync(join(ROOT, SAMPLE)).byteLength);
  });

});

describe('filters', () => {

  test('--select runs scripts on matching flows only; the others are written unchanged', () => {
    const dir = tmp();
    const out = join(dir, 'o.ndjson');
    expect(flowtx(['-s', 'examples/add_header.ts', '--select', '~u /v1/login', SAMPLE, out]).code).toBe(0);
    const tagged = ndjsonLines(out).map((f) => f.response && headerOf(f.response.headers, 'newheader') !== undefined);
    expect(tagged.filter(Boolean)).toHaveLength(1);
    expect(ndjsonLines(out)[tagged.indexOf(true)]!.request.path).toBe('/v1/login');
  });

});

describe('help', () => {
  test('--help shows usage, examples and exit codes', () => {
    const r = flowtx(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: flowtx [run] [options] INPUT... [OUTPUT]');
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('flowtx -s examples/add_header.ts fixtures/sample.flows out.flows');
    expect(r.stdout).toContain('Exit codes: 0 success; 1 runtime failure');
  });
});

describe('progress', () => {
  test('--progress draws flows, bytes and rate on stderr while input arrives; nothing without it on a pipe', async () => {
    const { spawn } = await import('node:child_process');
    const bytes = readFileSync(join(ROOT, SAMPLE));
    const run = (args: string[]): Promise<string> =>
      new Promise((resolvePromise) => {
        const child = spawn(process.execPath, [BIN, ...args, '-', join(tmp(), 'o.ftx')], { cwd: ROOT });
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('close', () => resolvePromise(stderr));
        child.stdin.write(bytes.subarray(0, 5000));
        // The rest arrives once the bar is drawn (so a slow start on a busy machine cannot outrun it), or
        // after a pause long enough for a bar that should not be there to show up.
        const rest = (): void => {
          if (!child.stdin.writableEnded) child.stdin.end(bytes.subarray(5000));
        };
        child.stderr.once('data', rest);
        setTimeout(rest, args.includes('--progress') ? 20_000 : 700);
      });
    const drawn = await run(['--progress']);
    expect(drawn).toMatch(/\r\x1b\[2K\d+ flows {2}[\d.]+[bkm] {2}[\d.]+[bkm]\/s/);
    expect(drawn.endsWith('\r\x1b[2K')).toBe(true); // the bar is cleared at the end
    expect(await run([])).toBe('');
  });
});
