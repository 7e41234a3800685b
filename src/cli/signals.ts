// Ctrl-C, kill and a closed terminal (SIGINT, SIGTERM, SIGHUP) while a command runs. The first asks the run
// to stop: streams are cancelled between batches, outputs in progress are given up (their temporary files
// removed), the progress line is ended, and main returns 128 + the signal's number. A second one, for a run
// that does not stop soon enough, exits at once, after removing every temporary file synchronously.

import { constants } from 'node:os';
import { Cancelled } from '../errors.js';
import type { IoPort } from '../pipeline/ports.js';

export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type SignalName = (typeof SIGNALS)[number];

/** Where signals come from: the process, or an emitter in tests. */
export interface SignalSource {
  on(signal: SignalName, listener: () => void): unknown;
  off(signal: SignalName, listener: () => void): unknown;
}

/** A request to stop, as the run sees it: polled between batches, or heard (to stop worker threads). */
export interface Stop {
  readonly requested: boolean;
  onRequest(listener: () => void): void;
}

/** The exit status of a process ended by `signal`, as shells report it: 128 + its number. */
export function signalExitCode(signal: SignalName): number {
  return 128 + constants.signals[signal];
}

export class SignalWatch implements Stop {
  /** The first signal received, if any. */
  signal: SignalName | undefined;
  readonly #source: SignalSource;
  readonly #listeners: (() => void)[] = [];
  readonly #handlers = new Map<SignalName, () => void>();

  /** `exitNow` runs on a second signal; it must not return (it exits the process). */
  constructor(source: SignalSource, exitNow: (signal: SignalName) => void) {
    this.#source = source;
    for (const name of SIGNALS) {
      const handler = (): void => {
        if (this.signal !== undefined) return exitNow(name);
        this.signal = name;
        for (const listener of this.#listeners) listener();
      };
      this.#handlers.set(name, handler);
      source.on(name, handler);
    }
  }

  get requested(): boolean {
    return this.signal !== undefined;
  }

  onRequest(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Gives the signals back to their default (a signal after the run ends the process as usual). */
  close(): void {
    for (const [name, handler] of this.#handlers) this.#source.off(name, handler);
    this.#handlers.clear();
  }
}

/**
 * `io` whose outputs are not committed once a stop is requested: a stream notices a stop between batches,
 * and one whose last batch went through before the signal must still be given up, not made visible.
 */
export function stoppable(io: IoPort, stop: Stop): IoPort {
  return {
    source: (path, count) => io.source(path, count),
    async sink(path) {
      const sink = await io.sink(path);
      return {
        name: sink.name,
        write: (pieces) => sink.write(pieces),
        commit: () => (stop.requested ? Promise.reject(new Cancelled()) : sink.commit()),
        abort: () => sink.abort(),
      };
    },
  };
}
