// The context a hook gets: the seed's "handle for interacting with the global state". What belongs to a
// script (state, options, log, emit, filter) is shared by all its calls; what belongs to one call (the
// event, the flow's origin, drop()) is the call's own, so two flows in flight at once never act on each
// other (a live proxy awaits many hooks at a time).

import { format } from 'node:util';
import { compileFilter, type FlowFilter } from '../filter/compile.js';
import type { Flow } from '../model/flow.js';
import type { Origin } from '../model/origin.js';
import type { FlowRecord } from '../model/record.js';

export interface ScriptLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ScriptContext {
  /** The script's name as given to -s. */
  readonly script: string;
  /** [scriptPath, ...args] as given to -s. */
  readonly argv: readonly string[];
  /** Values given with --set key=value (read-only). */
  readonly options: Readonly<Record<string, string>>;
  /** The event being run: "start", "request", "response", "error", "done", "clientconnect", … */
  readonly event: string;
  /** Where this call's flow came from; undefined outside flow events. */
  readonly origin: Origin | undefined;
  /** The file this call's flow was read from ("-" for stdin); undefined for other origins and outside flow events. */
  readonly input: string | undefined;
  /** 0-based index of this call's flow within its file; undefined for other origins and outside flow events. */
  readonly index: number | undefined;
  /** Storage private to this script, kept for the whole run. */
  readonly state: Record<string, unknown>;
  /** Messages on stderr, prefixed with the script name; info and debug are hidden by -q, debug needs --debug. */
  readonly log: ScriptLog;
  /** Running totals: flows read so far, dropped, emitted. */
  readonly counts: Readonly<{ read: number; dropped: number; emitted: number }>;
  /** Leaves `flow` (default: this call's flow) out of the output; it gets no further events. */
  drop(flow?: Flow): void;
  /** Adds `flow` to the output after this call's flow (at the start in `start`, at the end in `done`).
   *  Emitted flows are written as they are; they do not go through hooks. */
  emit(flow: Flow): void;
  /** Compiles a mitmproxy filter expression (`~d example.com & ~m POST`) into a predicate over flows.
   *  Throws a FlowtxError (code FLOWTX_USAGE) pointing at the column of a syntax error. Compile once, in
   *  `start`, and call the predicate per flow. */
  filter(expression: string): FlowFilter;
}

/** The context of a flow event: it always has a flow, and drop() without an argument drops that one. */
export interface FlowContext extends ScriptContext {
  readonly origin: Origin;
  readonly event: 'request' | 'response' | 'error';
}

/** What a script's contexts reach of the run they are in. */
export interface ContextHost {
  readonly counts: Readonly<{ read: number; dropped: number; emitted: number }>;
  log(level: LogLevel, source: string, message: string): void;
  drop(flow: Flow): void;
  emit(flow: Flow, by: string): void;
}

/** What one script's calls share. */
export class ScriptScope {
  readonly state: Record<string, unknown> = {};
  readonly log: ScriptLog;

  constructor(
    readonly script: string,
    readonly argv: readonly string[],
    readonly options: Readonly<Record<string, string>>,
    readonly host: ContextHost,
  ) {
    const say =
      (level: LogLevel) =>
      (...args: unknown[]): void =>
        host.log(level, script, format(...args));
    this.log = { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') };
  }
}

/** One call's context: made per hook call, cheap (three fields), delegating the rest to its script's scope. */
export class HookContext implements ScriptContext {
  readonly #scope: ScriptScope;
  readonly #record: FlowRecord | undefined;
  readonly event: string;

  constructor(scope: ScriptScope, event: string, record?: FlowRecord) {
    this.#scope = scope;
    this.event = event;
    this.#record = record;
  }

  get script(): string {
    return this.#scope.script;
  }
  get argv(): readonly string[] {
    return this.#scope.argv;
  }
  get options(): Readonly<Record<string, string>> {
    return this.#scope.options;
  }
  get state(): Record<string, unknown> {
    return this.#scope.state;
  }
  get log(): ScriptLog {
    return this.#scope.log;
  }
  get counts(): Readonly<{ read: number; dropped: number; emitted: number }> {
    const { read, dropped, emitted } = this.#scope.host.counts;
    return { read, dropped, emitted };
  }
  get origin(): Origin | undefined {
    return this.#record?.origin;
  }
  get input(): string | undefined {
    return this.#record?.position?.origin;
  }
  get index(): number | undefined {
    return this.#record?.position?.index;
  }

  drop(flow?: Flow): void {
    const target = flow ?? this.#record?.flow;
    if (target === undefined) throw new TypeError(`ctx.drop() needs a flow in "${this.event}"`);
    this.#scope.host.drop(target);
  }

  emit(flow: Flow): void {
    this.#scope.host.emit(flow, this.#scope.script);
  }

  filter(expression: string): FlowFilter {
    return compileFilter(expression);
  }
}
