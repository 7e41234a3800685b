// The pipeline's ports in memory: inputs are byte arrays by name, outputs are collected by name once
// committed, and the reporter keeps what it was told; and a stream's default settings. For in-process tests of the run's semantics.

import { IoError } from '../../src/errors.js';
import type { Sink } from '../../src/io/sinks.js';
import { readError, streamSource, type ByteCounter, type Source } from '../../src/io/sources.js';
import type { LogLevel } from '../../src/engine/context.js';
import type { IoPort, Reporter } from '../../src/pipeline/ports.js';
import type { StreamSettings } from '../../src/pipeline/run.js';

/** A stream's settings as the command's defaults make them, with `more` on top. */
export const streamSettings = (more: Partial<StreamSettings> = {}): StreamSettings => ({
  flowVersion: undefined, options: {}, onScriptError: 'fail', failFast: false, listing: 'lines', filter: undefined, select: undefined, hookTimeout: undefined, ...more,
});

export class MemoryIo implements IoPort {
  /** Committed outputs by path ("-" for stdout, appended to). */
  readonly outputs = new Map<string, Buffer>();
  /** Outputs given up. */
  readonly aborted: string[] = [];
  /** Read chunks handed back by decoders (see Codec.decode). */
  released = 0;

  constructor(
    readonly inputs: Record<string, Uint8Array>,
    /** The size of each chunk an input is read in. */
    readonly chunk = 4096,
  ) {}

  async source(path: string, count: ByteCounter): Promise<Source> {
    const bytes = this.inputs[path];
    if (bytes === undefined) throw readError(path, Object.assign(new Error('ENOENT'), { code: 'ENOENT' }));
    const chunk = this.chunk;
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < bytes!.byteLength; i += chunk) yield bytes!.subarray(i, i + chunk);
    }
    const source = await streamSource(path, chunks(), count, bytes.byteLength);
    return { ...source, release: () => void this.released++ };
  }

  async sink(path: string): Promise<Sink> {
    if (path.startsWith('/unwritable/')) throw new IoError('write', path, 'permission denied');
    const pieces: Buffer[] = [];
    return {
      name: path,
      write: async (more) => void pieces.push(...more.map((p) => Buffer.from(p))), // copies, as the real sinks do
      commit: async () => void this.outputs.set(path, Buffer.concat([this.outputs.get(path) ?? Buffer.alloc(0), ...pieces])),
      abort: async () => void this.aborted.push(path),
    };
  }

  text(path: string): string {
    return this.outputs.get(path)?.toString('utf8') ?? '';
  }
}

export class MemoryReporter implements Reporter {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  bytes = 0;
  flows = 0;

  log(level: LogLevel, source: string, message: string): void {
    this.lines.push(`${level} ${source}: ${message}`);
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
  error(err: unknown): void {
    this.errors.push(err instanceof Error ? err.message : String(err));
  }
  countBytes(bytes: number): void {
    this.bytes += bytes;
  }
  countFlows(flows: number): void {
    this.flows += flows;
  }
}
