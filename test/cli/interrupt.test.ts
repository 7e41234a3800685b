// Signals in-process: main() with a stand-in for the process, whose signals the test sends. The first
// signal ends the run with 128 + its number and no output; a second exits at once, temporary files removed.

import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { main, type Host } from '../../src/cli/main.js';
import { stoppable, type SignalName } from '../../src/cli/signals.js';
import { Cancelled } from '../../src/errors.js';
import { MemoryIo } from '../helpers/memory-io.js';
import { SIGNAL_EXIT_CODES, until } from '../helpers/signals.js';

const SAMPLE = resolve(import.meta.dirname, '../../fixtures/sample.flows');

class FakeHost extends EventEmitter implements Host {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
  send(signal: SignalName): void {
    this.emit(signal);
  }
}

class Text extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}


/**
 * A run reading stdin into `out`, whose stdin has given the first half of the sample and then stalls:
 * the output's temporary file exists and the stream waits for more.
 */
function stalledRun(host: FakeHost, out: string) {
  const stdin = new PassThrough();
  const bytes = readFileSync(SAMPLE);
  stdin.write(bytes.subarray(0, bytes.length >> 1));
  const stdout = new Text();
  const stderr = new Text();
  const code = main(['-', out, '--json-summary'], { stdin, stdout, stderr }, host);
  return { stdin, stdout, stderr, code, rest: bytes.subarray(bytes.length >> 1) };
}

const temporaries = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('signals', () => {
  test.each(SIGNAL_EXIT_CODES)('%s: the run stops, gives its output up (an existing file stays) and returns %d', async (signal, exitCode) => {
    const dir = mkdtempSync(join(tmpdir(), 'flowtx-signal-'));
    const out = join(dir, 'out.flows');
    writeFileSync(out, 'old');
    const host = new FakeHost();
    const run = stalledRun(host, out);
    await until(() => temporaries(dir).length === 1, 'the temporary file');
    host.send(signal);
    run.stdin.end(run.rest); // the next batch sees the stop
    expect(await run.code).toBe(exitCode);
    expect(run.stderr.text).toBe(`flowtx: error: interrupted by ${signal}\n`);
    expect(readdirSync(dir)).toEqual(['out.flows']);
    expect(readFileSync(out, 'utf8')).toBe('old');
    expect(host.exits).toEqual([]);
    expect(host.listenerCount(signal)).toBe(0); // given back once the run ended
    expect(JSON.parse(run.stdout.text)).toMatchObject({
      ok: false,
      exitCode,
      inputs: [{ path: '-', status: 'skipped' }],
      output: null,
      files: { total: 1, ok: 0, failed: 0, skipped: 1 },
      errors: [`interrupted by ${signal}`],
    });
  });

  test('a second signal exits at once, after removing the temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowtx-signal-'));
    const out = join(dir, 'out.flows');
    const host = new FakeHost();
    const run = stalledRun(host, out);
    await until(() => temporaries(dir).length === 1, 'the temporary file');
    host.send('SIGINT');
    expect(temporaries(dir)).toHaveLength(1); // the stream is stuck: nothing can stop it yet
    host.send('SIGINT');
    expect(host.exits).toEqual([130]);
    expect(readdirSync(dir)).toEqual([]);
    expect(run.stderr.text).toBe('flowtx: error: interrupted by SIGINT again: stopped at once\n');
    run.stdin.end(run.rest); // what a real exit would have cut short
    expect(await run.code).toBe(130);
    expect(existsSync(out)).toBe(false);
  });
});

// A stream notices a stop between batches; one whose last batch went through before the signal must still
// not make its output visible.
test('once a stop is requested, no output is committed', async () => {
  const memory = new MemoryIo({});
  const stop = { requested: false, onRequest: () => {} };
  const io = stoppable(memory, stop);
  const before = await io.sink('a');
  await before.commit();
  const after = await io.sink('b');
  stop.requested = true;
  await expect(after.commit()).rejects.toBeInstanceOf(Cancelled);
  expect([...memory.outputs.keys()]).toEqual(['a']);
});
