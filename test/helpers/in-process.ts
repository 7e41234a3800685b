// The command run in-process: main() with memory streams for stdin, stdout and stderr. For the command's
// semantics (arguments, exit codes, summaries, listing, conversion); what only a process shows (the bin, its
// flags, loading scripts through Node's loader, worker bundles, TTY progress) stays in spawn tests.

import { PassThrough, Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

import type { CliResult } from './cli.js';

class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Runs `flowtx ...args` in this process, with the spawn helper's result shape; `input` is what "-" reads.
 * Relative paths are taken from `cwd` (default: the working directory, the project root under vitest).
 */
export async function flowtxInProcess(args: string[], options: { input?: Uint8Array | string; cwd?: string } = {}): Promise<CliResult> {
  const input = new PassThrough();
  input.end(options.input ?? '');
  const stdout = new Collect();
  const stderr = new Collect();
  // The command resolves paths against the working directory; tests run one at a time in a worker process.
  const home = process.cwd();
  if (options.cwd !== undefined) process.chdir(options.cwd);
  try {
    const code = await main(args, { stdin: input as Readable, stdout, stderr });
    return { code, stdout: stdout.bytes.toString('utf8'), stderr: stderr.bytes.toString('utf8') };
  } finally {
    process.chdir(home);
  }
}
