// One long-lived mitmproxy peer (test/interop/peer.py serve) for a test file: starting Python and importing
// mitmproxy costs about half a second, paid once instead of per question.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../interop/peer.py');

export class Peer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];
  #stderr = '';

  constructor() {
    this.#child = spawn(PYTHON, [SCRIPT, 'serve']);
    this.#child.stderr.on('data', (b: Buffer) => (this.#stderr += b.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#waiting.shift()?.(line));
    this.#child.on('exit', (code) => {
      for (const reply of this.#waiting.splice(0)) reply(JSON.stringify({ status: `exited ${code}`, out: this.#stderr }));
    });
  }

  /** What `peer.py COMMAND FILE` prints; throws with its output when it fails. Questions are answered in order. */
  async ask(command: 'check' | 'dump', file: string): Promise<string> {
    const line = await new Promise<string>((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${JSON.stringify({ command, file })}\n`);
    });
    const { status, out } = JSON.parse(line) as { status: number | string; out: string };
    if (status !== 0) throw new Error(`peer.py ${command} ${file} failed (${status}): ${out}${this.#stderr}`);
    return out;
  }

  close(): void {
    this.#child.stdin.end();
  }
}
