// The audit's hostile bodies as the built command meets them, generated in a temporary directory (never
// committed): a 4 MB flow file holding 4 GiB of gzip-compressed zeros converted to HAR with no script, and a
// 3 GiB brotli body read by a script; a body whose base64 is longer than the longest string converted to
// NDJSON. Peak memory is measured with /usr/bin/time where it is installed.

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants as buffer } from 'node:buffer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, createBrotliCompress, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { BIN, flowtx } from '../helpers/cli.js';
import { encodeAll, tstate } from '../helpers/tflow.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TIME = '/usr/bin/time';

let dir: string;

/** A flow file whose response is `content`, stored with Content-Encoding `coding`. */
function bombFile(name: string, coding: string, content: Uint8Array): string {
  const state = tstate();
  state.response!.headers = [['Content-Type', 'text/plain'], ['Content-Encoding', coding]];
  state.response!.content = content;
  const path = join(dir, name);
  writeFileSync(path, encodeAll(mitmproxyCodec, [tstate(), state]));
  return path;
}

/** 4 GiB of zeros as 64 gzip members of 64 MiB each (a gzip stream may hold several; decoders read them all). */
const gzipBomb = (): Buffer => {
  const member = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: (4 * GiB) / (64 * MiB) }, () => member));
};

async function brotliBomb(bytes: number): Promise<Buffer> {
  const compress = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 0 } });
  const parts: Buffer[] = [];
  compress.on('data', (part: Buffer) => parts.push(part));
  const zeros = Buffer.alloc(64 * MiB);
  for (let done = 0; done < bytes; done += zeros.byteLength) await new Promise((resolve) => compress.write(zeros, resolve));
  compress.end();
  await once(compress, 'end'); // after the last 'data'
  return Buffer.concat(parts);
}

/** flowtx ARGS under /usr/bin/time: the result and the peak RSS in bytes (undefined without the tool). */
function measured(args: string[]): { code: number | null; stderr: string; rss: number | undefined } {
  if (!existsSync(TIME)) return { ...flowtx(args), rss: undefined };
  const r = spawnSync(TIME, ['-f', 'RSS %M', process.execPath, BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  const rss = /RSS (\d+)\s*$/.exec(r.stderr);
  return { code: r.status, stderr: r.stderr.replace(/RSS \d+\s*$/, ''), rss: rss === null ? undefined : Number(rss[1]) * 1024 };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtx-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('decompression bombs (the audit)', () => {
  test('4 GiB of gzip in a 4 MB file converts to HAR within the default limit: body kept as stored, a warning, exit 0', () => {
    const input = bombFile('gzip.flows', 'gzip', gzipBomb());
    const r = measured([input, join(dir, 'out.har')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`flow #1 of ${input}: response body written to HAR as stored, not decoded: it decodes to more than 256 MiB (gzip; the limit is --max-body-size)`);
    if (r.rss !== undefined) expect(r.rss).toBeLessThan(768 * MiB); // the limit, once, and what a run needs besides
  }, 120_000);

  test('3 GiB of brotli read by a script: the hook fails naming the body and the limit, never ""', async () => {
    const input = bombFile('br.flows', 'br', await brotliBomb(3 * GiB));
    const script = join(dir, 'text.ts');
    writeFileSync(script, 'export function response(ctx: any, flow: any) { ctx.log.info(`length ${flow.response.text.length}`); }\n');
    const r = measured(['-s', script, input, join(dir, 'out.flows')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('text.ts] length 5'); // flow #0's "hello"
    expect(r.stderr).toMatch(/hook "response" failed on flow #1 of .*br\.flows .*: BodyLimitError: response body decodes to more than 256 MiB \(br; the limit is --max-body-size\)/);
    if (r.rss !== undefined) expect(r.rss).toBeLessThan(768 * MiB);
    // A larger limit lets the same script read a body of its size.
    const small = bombFile('small.flows', 'br', await brotliBomb(64 * MiB));
    const ok = flowtx(['-s', script, '--max-body-size', '64M', small, join(dir, 'out2.flows')]);
    expect(ok.stderr).toContain(`length ${64 * MiB}`);
    expect(ok.code).toBe(0);
  }, 120_000);
});

describe('values too large for one string', () => {
  /** A flow file whose response body is `size` bytes of 0xff: not UTF-8, so NDJSON writes it as base64. */
  function binaryFile(name: string, size: number): string {
    const state = tstate();
    state.response!.content = Buffer.alloc(size, 0xff);
    const path = join(dir, name);
    writeFileSync(path, encodeAll(mitmproxyCodec, [state]));
    return path;
  }

  /** The last `n` bytes of the file at `path`. */
  function tail(path: string, n: number): string {
    const fd = openSync(path, 'r');
    const bytes = Buffer.alloc(n);
    readSync(fd, bytes, 0, n, statSync(path).size - n);
    closeSync(fd);
    return bytes.toString('latin1');
  }

  test('a body whose base64 is longer than a string converts to NDJSON; reading the line back is a located error', () => {
    // The smallest multiple of 3 whose base64 (4 characters per 3 bytes) is longer than a string can be.
    const size = (Math.floor((buffer.MAX_STRING_LENGTH * 3) / 4 / 3) + 1) * 3;
    expect((size / 3) * 4).toBeGreaterThan(buffer.MAX_STRING_LENGTH);
    const three = flowtx([binaryFile('three.flows', 3), join(dir, 'three.ndjson')]);
    expect(three.code).toBe(0);
    const input = binaryFile('large.flows', size);
    const r = measured([input, join(dir, 'large.ndjson')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    if (r.rss !== undefined) expect(r.rss).toBeLessThan(4 * size + 256 * MiB); // documented: about 3.4 times the body
    // The same line as for a 3-byte body ("////"), but for the body's base64.
    rmSync(input);
    const output = join(dir, 'large.ndjson');
    expect(statSync(output).size).toBe(statSync(join(dir, 'three.ndjson')).size - 4 + (size / 3) * 4);
    expect(tail(output, 64)).toBe(tail(join(dir, 'three.ndjson'), 64).replace(/^.*"\/\/\/\/"/s, (m) => '/'.repeat(m.length - 1) + '"'));
    const back = flowtx([output, join(dir, 'back.flows')]);
    expect(back.code).toBe(1);
    expect(back.stderr).toContain(
      `large.ndjson: flow #0 at byte 0: record of more than ${buffer.MAX_STRING_LENGTH} bytes is longer than the longest string this runtime makes (${buffer.MAX_STRING_LENGTH} characters)`,
    );
    rmSync(output);
  }, 120_000);
});
