// What the pipeline needs from the world, as two small ports: where bytes come from and go (IoPort) and
// who hears about the run (Reporter). The command passes the real file system and the terminal; tests pass
// memory, so the run's semantics are tested in-process.

import type { LogLevel } from '../engine/context.js';
import type { Readable, Writable } from 'node:stream';
import { fileSink, streamSink, type Sink } from '../io/sinks.js';
import { fileSource, streamSource, type ByteCounter, type Source } from '../io/sources.js';

export interface IoPort {
  /** Opens an input ("-": stdin); `count` hears of every byte read. Throws IoError. */
  source(path: string, count: ByteCounter): Promise<Source>;
  /** Creates an output ("-": stdout), visible only once committed. Throws IoError. */
  sink(path: string): Promise<Sink>;
}

/** The real file system, with "-" meaning the given stdin and stdout (the process's by default). */
export function fileSystem(stdin: Readable = process.stdin, stdout: Writable = process.stdout): IoPort {
  return {
    source: (path, count) => (path === '-' ? streamSource('-', stdin, count) : fileSource(path, count)),
    sink: async (path) => (path === '-' ? streamSink('-', stdout) : fileSink(path)),
  };
}

/** What a run tells the user while it goes; the terminal on the main thread, a relay to it in a worker. */
export interface Reporter {
  log(level: LogLevel, source: string, message: string): void;
  /** flowtx's own warnings (not scripts' log lines); they go into the summary too. */
  warn(message: string): void;
  /** A failure, printed when it happens (`flowtx: error: …`); the run may go on with other inputs. */
  error(err: unknown): void;
  countBytes(bytes: number): void;
  countFlows(flows: number): void;
}
