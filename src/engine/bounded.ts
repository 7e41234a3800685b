// Running synchronous script code so that it can be stopped: a loop that never returns holds the only thread,
// so no timer and no signal handler can run. V8 can only be interrupted from outside, which Node offers
// through vm (`timeout`, `breakOnSigint`). Each such call starts and joins a watchdog thread: 150 µs on an
// idle machine, near 1 ms on a busy one (Node 20; one call per read batch cost the add-header run over
// the 300 MiB archive a second), so it is used per hook call only when --hook-timeout asks for it.

import { Script } from 'node:vm';
import { Interrupted } from '../errors.js';
import { HookTimeout } from './guard.js';

// The code vm runs: a call of whatever is in the slot. Compiled once; the slot holds the work of this call.
const SLOT = Symbol.for('flowtx.bounded');
const CALL = new Script(`globalThis[Symbol.for('flowtx.bounded')]()`, { filename: 'flowtx-bounded' });

/**
 * `run()` on this thread, ended by Ctrl-C (Interrupted) or, with `timeoutMs`, by the clock (HookTimeout). An
 * error `run` throws passes through as it is.
 */
export function bounded<T>(run: () => T, timeoutMs?: number): T {
  const slots = globalThis as unknown as Record<symbol, unknown>;
  const outer = slots[SLOT];
  slots[SLOT] = run;
  try {
    return CALL.runInThisContext({ breakOnSigint: true, ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) }) as T;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw new Interrupted();
    if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new HookTimeout(timeoutMs!);
    throw err;
  } finally {
    slots[SLOT] = outer;
  }
}
