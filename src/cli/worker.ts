// A --jobs worker thread (bundled on its own as dist/flowtx-worker.mjs): loads the scripts once, then runs the
// input files the main thread hands it, one at a time, and relays logs, warnings, errors, progress counts
// and each file's summary back. Module state of a script is therefore per worker; `ctx` is per file.

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { watchTemporaries } from '../io/temporaries.js';
import type { LogLevel } from '../engine/context.js';
import type { LoadedScript } from '../engine/hooks.js';
import { fileSystem, type Reporter } from '../pipeline/ports.js';
import type { StreamSettings } from '../pipeline/run.js';
import { errorMessage, type InputSummary } from '../pipeline/summary.js';
import { loadScript } from '../scripts/load.js';
import { runFile, type FileTask } from './outdir.js';
import { describe } from './progress.js';

export interface WorkerSetup {
  settings: StreamSettings;
  /** -s values, as given. */
  scripts: string[];
  debug: boolean;
  /** One Int32: set to 1 by the main thread to give up the file in progress (--fail-fast, a signal). */
  stop: SharedArrayBuffer;
  /** Where this worker announces its temporary files (TemporaryNotice), for the main thread to remove. */
  temporaries: MessagePort;
}

/** A temporary file created (live) or done with; see batch.ts. */
export interface TemporaryNotice {
  path: string;
  live: boolean;
}

export type ToWorker = { type: 'task'; id: number; task: FileTask } | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; warnings: string[] }
  | { type: 'fatal'; message: string }
  | { type: 'log'; level: LogLevel; source: string; message: string }
  | { type: 'warn'; message: string }
  | { type: 'error'; text: string }
  | { type: 'count'; bytes: number; flows: number }
  | { type: 'result'; id: number; summary: InputSummary };

/** Progress is sent in steps of this many bytes, not per chunk. */
const COUNT_STEP = 4 * 1024 * 1024;

const port = parentPort!;
const post = (message: FromWorker): void => port.postMessage(message);

class Relay implements Reporter {
  readonly #debug: boolean;
  #bytes = 0;
  #flows = 0;

  constructor(debug: boolean) {
    this.#debug = debug;
  }

  log(level: LogLevel, source: string, message: string): void {
    post({ type: 'log', level, source, message });
  }

  warn(message: string): void {
    post({ type: 'warn', message });
  }

  error(err: unknown): void {
    post({ type: 'error', text: describe(err, this.#debug) });
  }

  countBytes(bytes: number): void {
    this.#bytes += bytes;
    if (this.#bytes >= COUNT_STEP) this.flush();
  }

  countFlows(flows: number): void {
    this.#flows += flows;
  }

  flush(): void {
    if (this.#bytes === 0 && this.#flows === 0) return;
    post({ type: 'count', bytes: this.#bytes, flows: this.#flows });
    this.#bytes = 0;
    this.#flows = 0;
  }
}

async function serve(setup: WorkerSetup): Promise<void> {
  const warnings: string[] = [];
  const scripts: LoadedScript[] = [];
  try {
    for (const spec of setup.scripts) scripts.push(await loadScript(spec, (m) => warnings.push(m)));
  } catch (err) {
    post({ type: 'fatal', message: errorMessage(err) });
    port.close();
    return;
  }
  // Announced before the file is created: a process exit kills this thread without its 'exit' sweep.
  watchTemporaries((path, live) => setup.temporaries.postMessage({ path, live } satisfies TemporaryNotice));
  const stop = new Int32Array(setup.stop);
  const relay = new Relay(setup.debug);
  const io = fileSystem();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      port.close();
      return;
    }
    void runFile(message.task, setup.settings, scripts, io, relay, () => Atomics.load(stop, 0) !== 0).then((summary) => {
      relay.flush();
      post({ type: 'result', id: message.id, summary });
    });
  });
  post({ type: 'ready', warnings });
}

await serve(workerData as WorkerSetup);
