// What a hook leaves behind that its own call cannot report: an unawaited rejected promise, a throw in a
// timer, process.exit(), a promise that never settles, Ctrl-C while it is awaited. While a dispatcher watches,
// each is turned into a failure of the hook call it came from (found through the async context the call ran
// in, so that with many flows in flight each error names its own flow), instead of a raw stack trace, a silent
// exit 0 or Node's exit 13.

import { AsyncLocalStorage } from 'node:async_hooks';
import { Interrupted } from '../errors.js';

/**
 * One hook call as the guard sees it: where what escapes it goes. While the dispatcher awaits its promise, a
 * failure rejects that await (the call fails under the script-error policy); before and after, it is late:
 * the hook had returned, and the failure goes to `late` (which ends the run).
 */
export class GuardedCall {
  readonly #late: (cause: unknown) => void;
  #reject: ((cause: unknown) => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(late: (cause: unknown) => void) {
    this.#late = late;
  }

  /** Runs the hook's code in this call's async context, so that whatever it leaves running is traced back here. */
  run<T>(invoke: () => T): T {
    return calls.run(this, invoke);
  }

  fail(cause: unknown): void {
    const reject = this.#reject;
    if (reject === undefined) return this.#late(cause);
    abandoned = true;
    this.#settled();
    reject(cause);
  }

  /** The hook's promise, failed early by what escapes the call, by Ctrl-C, by the loop emptying or after `timeoutMs`. */
  settle(pending: PromiseLike<unknown>, timeoutMs: number | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#reject = reject;
      awaited.add(this);
      if (timeoutMs !== undefined) this.#timer = setTimeout(() => this.fail(new HookTimeout(timeoutMs)), timeoutMs);
      pending.then(
        (value) => {
          if (this.#reject !== reject) return;
          this.#settled();
          resolve(value);
        },
        (cause: unknown) => {
          if (this.#reject !== reject) return;
          this.#settled();
          reject(cause);
        },
      );
    });
  }

  #settled(): void {
    this.#reject = undefined;
    awaited.delete(this);
    clearTimeout(this.#timer);
  }
}

/** A hook that ran longer than --hook-timeout. */
export class HookTimeout extends Error {
  constructor(ms: number) {
    super(`did not settle within ${ms / 1000} s (--hook-timeout)`);
    this.name = 'HookTimeout';
  }
}

/** What a watcher (a dispatcher) is told of errors that no call can take. */
export interface Watcher {
  /** An error from script code outside any hook call (module top level, a timer set in no hook). */
  stray(cause: unknown): void;
}

const calls = new AsyncLocalStorage<GuardedCall>();
const awaited = new Set<GuardedCall>();
const watchers = new Set<Watcher>();
let exit: typeof process.exit | undefined;
let abandoned = false;

/**
 * Whether a hook's promise was given up on while pending (--hook-timeout, Ctrl-C, an error that escaped it):
 * its timers or sockets may keep the process alive after the run, so the command exits on its own.
 */
export function hooksLeftRunning(): boolean {
  return abandoned;
}

/** Thrown by process.exit() while hooks may run: a script must not end flowtx (its output would be lost). */
export class ExitCalled extends Error {
  constructor(code: unknown) {
    super(`process.exit(${code === undefined ? '' : String(code)}) called; a script cannot end flowtx, throw an error instead`);
    this.name = 'ExitCalled';
  }
}

function escaped(cause: unknown): void {
  const call = calls.getStore();
  if (call !== undefined) call.fail(cause);
  else for (const watcher of watchers) watcher.stray(cause);
}

function unsettled(): void {
  // The event loop emptied while hooks were awaited: nothing can settle them any more.
  for (const call of [...awaited]) call.fail(new Error('the promise it returned never settled (nothing was left to run: no timer, no I/O)'));
}

/**
 * Ctrl-C is this guard's while a hook is awaited (with --hook-timeout, bounded.ts also stops a hook's
 * synchronous code); at any other time it is the command's: its own handlers, or else Node's default, which
 * this raises again. The listener stays for the whole watch: one added during a vm call with breakOnSigint
 * is lost when that call ends.
 */
function interrupted(): void {
  if (awaited.size > 0) {
    for (const call of [...awaited]) call.fail(new Interrupted());
  } else if (process.listenerCount('SIGINT') === 1) {
    process.off('SIGINT', interrupted);
    process.kill(process.pid, 'SIGINT');
  }
}

function install(): void {
  if (exit !== undefined) return; // still installed: the last watcher left a turn ago
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  process.on('beforeExit', unsettled);
  process.on('SIGINT', interrupted);
  exit = process.exit;
  process.exit = ((code?: unknown) => {
    throw new ExitCalled(code);
  }) as typeof process.exit;
}

function uninstall(): void {
  process.off('uncaughtException', escaped);
  process.off('unhandledRejection', escaped);
  process.off('beforeExit', unsettled);
  process.off('SIGINT', interrupted);
  process.exit = exit!;
  exit = undefined;
}

/** Starts watching for `watcher`; returns the function that stops. The process hooks stay while anyone watches. */
export function watch(watcher: Watcher): () => void {
  if (watchers.size === 0) install();
  watchers.add(watcher);
  return () => {
    if (!watchers.delete(watcher)) return;
    // A turn later: a rejection left by the last hooks is reported after the microtasks of this one.
    setImmediate(() => {
      if (watchers.size === 0 && exit !== undefined) uninstall();
    });
  };
}
