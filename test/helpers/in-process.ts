// The command run in-process: main() with memory streams for stdin, stdout and stderr. For the command's
// semantics (arguments, exit codes, summaries, listing, conversion); what only a process shows (the bin, its
// flags, loading scripts through Node's loader, worker bundles, TTY progress) stays in spawn tests.

import { PassThrough, Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export interface Ran {
  code: number;
  stdout: Buffer;
  stderr: string;
}

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

/** Runs `flowtx ...args` in this process; `stdin` is what "-" reads. Paths are taken as given (use absolute ones). */
export async function flowtxInProcess(args: string[], stdin: Uint8Array | string = ''): Promise<Ran> {
  const input = new PassThrough();
  input.end(stdin);
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await main(args, { stdin: input as Readable, stdout, stderr });
  return { code, stdout: stdout.bytes, stderr: stderr.bytes.toString('utf8') };
}
