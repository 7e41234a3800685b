// ScriptContext: the handle a script gets with every event to reach the run's state (the seed's
// "handle for interacting with the global state"). One per script, so `state` is private to it.

import type { FlowFilter } from '../filter/compile.js';
import type { Flow } from '../model/flow.js';

export interface ScriptLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface ScriptContext {
  /** The script's path as given to -s. */
  readonly script: string;
  /** [scriptPath, ...args] as given to -s. */
  readonly argv: readonly string[];
  /** Values given with --set key=value (read-only). */
  readonly options: Readonly<Record<string, string>>;
  /** The input the current flow came from ("-" for stdin); undefined in start/done and for emitted flows. */
  readonly input: string | undefined;
  /** 0-based index of the current flow within its input; undefined outside flow events. */
  readonly index: number | undefined;
  /** The event being run: "start", "request", "response", "error" or "done". */
  readonly event: string;
  /** Storage private to this script, kept for the whole run. */
  readonly state: Record<string, unknown>;
  /** Messages on stderr, prefixed with the script name; info and debug are hidden by -q, debug needs --debug. */
  readonly log: ScriptLog;
  /** Running totals: flows read so far, dropped, emitted. */
  readonly counts: Readonly<{ read: number; dropped: number; emitted: number }>;
  /** Leaves `flow` (default: the current flow) out of the output; it gets no further events. */
  drop(flow?: Flow): void;
  /** Adds `flow` to the output after the current flow (at the start in `start`, at the end in `done`).
   *  Emitted flows are written as they are; they do not go through hooks. */
  emit(flow: Flow): void;
  /** Compiles a mitmproxy filter expression (`~d example.com & ~m POST`) into a predicate over flows.
   *  Throws a FlowtxError (code FLOWTX_USAGE) pointing at the column of a syntax error. Compile once, in
   *  `start`, and call the predicate per flow. */
  filter(expression: string): FlowFilter;
}
