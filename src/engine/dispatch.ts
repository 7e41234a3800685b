// The dispatcher runs one event on one flow: every script's hook for it, in -s order, under the script-error
// policy. Drivers decide the order: replay.ts walks saved flows (mitmproxy's eventsequence), a live proxy
// dispatches each event when its part of the exchange arrives, with many flows in flight.

import { format } from 'node:util';
import { Interrupted, ScriptError, isInputFault } from '../errors.js';
import type { FlowFilter } from '../filter/compile.js';
import { Flow } from '../model/flow.js';
import { describeOrigin } from '../model/origin.js';
import { FlowRecord } from '../model/record.js';
import { bounded } from './bounded.js';
import { GuardedCall, watch } from './guard.js';
import { HookContext, ScriptScope, type ContextHost, type FlowContext, type LogLevel } from './context.js';
import { FLOW_EVENTS, type ClientConnection, type ConnectionEvent, type FindingCount, type FlowEvent, type HookName, type LifecycleEvent, type LoadedScript } from './hooks.js';

export type ScriptErrorPolicy = 'fail' | 'skip' | 'keep';

export interface DispatcherOptions {
  /** --set key=value pairs, visible to scripts as ctx.options. */
  options?: Readonly<Record<string, string>>;
  /** What a failing flow hook does: stop the run (default), drop the flow, or restore it to its checkpoint. */
  onScriptError?: ScriptErrorPolicy;
  /** --hook-timeout in milliseconds: a hook call that has not returned or settled by then fails. */
  hookTimeout?: number;
  /** Where log lines go; `source` is the script name or "flowtx". */
  log?: (level: LogLevel, source: string, message: string) => void;
}

export interface Counts {
  read: number;
  dropped: number;
  emitted: number;
  /** Flows a filter left out. */
  filtered: number;
  scriptErrors: number;
}

/**
 * What became of a flow after an event: it goes on, it was dropped (by a script, or by the skip policy), or
 * a hook failed and the flow was restored to its checkpoint (keep policy). Only "go" gets further events.
 */
export type Verdict = 'go' | 'dropped' | 'restored';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return `non-Error value thrown: ${typeof value === 'string' ? JSON.stringify(value) : format('%o', value)}`;
}

/** The line in `file` where `err` was thrown, read from its stack. */
function lineIn(err: unknown, file: string): number | undefined {
  if (!(err instanceof Error) || err.stack === undefined) return undefined;
  for (const frame of err.stack.split('\n')) {
    const at = frame.indexOf(file);
    if (at < 0) continue;
    // Right after the file name: "/w/scripts/s" must not take the line of "/w/scripts/src/x.ts:129".
    const match = /^:(\d+)/.exec(frame.slice(at + file.length));
    if (match) return Number(match[1]);
  }
  return undefined;
}

export class Dispatcher {
  readonly counts: Counts = { read: 0, dropped: 0, emitted: 0, filtered: 0, scriptErrors: 0 };
  readonly #scripts: readonly LoadedScript[];
  readonly #scopes: readonly ScriptScope[];
  readonly #policy: ScriptErrorPolicy;
  readonly #log: (level: LogLevel, source: string, message: string) => void;
  readonly #emitted: FlowRecord[] = [];
  readonly #dropped = new WeakSet<Flow>();
  readonly #timeout: number | undefined;
  /** What ends the run at the next event: an error that escaped a hook after it returned, or script code outside hooks. */
  #late: Error | undefined;

  constructor(scripts: readonly LoadedScript[], options: DispatcherOptions = {}) {
    this.#scripts = scripts;
    this.#policy = options.onScriptError ?? 'fail';
    this.#timeout = options.hookTimeout;
    this.#log = options.log ?? (() => {});
    const settings = Object.freeze({ ...options.options });
    const host: ContextHost = {
      counts: this.counts,
      log: (level, source, message) => this.#log(level, source, message),
      drop: (flow) => this.#dropped.add(flow),
      emit: (flow, by) => {
        if (!(flow instanceof Flow)) throw new TypeError('ctx.emit() takes a Flow (from createFlow() or flow.copy())');
        this.counts.emitted++;
        this.#emitted.push(FlowRecord.of(flow, { kind: 'emitted', by }));
      },
    };
    this.#scopes = scripts.map((s) => new ScriptScope(s.name, s.argv, settings, host));
  }

  /** True when some script has a flow hook, i.e. records must be decoded into flows. */
  get needsFlows(): boolean {
    return this.#scripts.some((s) => FLOW_EVENTS.some((e) => s.hooks[e] !== undefined));
  }

  /** True when some script may keep a flow past its batch (so read chunks must not be reused). */
  get retainsFlows(): boolean {
    return this.#scripts.some((s) => s.retainsFlows);
  }

  /** What the scripts that report findings found in this stream; undefined when no script reports any. */
  findings(): FindingCount[] | undefined {
    let all: FindingCount[] | undefined;
    this.#scripts.forEach((script, i) => {
      if (script.findings !== undefined) (all ??= []).push(...script.findings(this.#scopes[i]!.state));
    });
    return all;
  }

  /** Did a script drop this record's flow? */
  isDropped(record: FlowRecord): boolean {
    return record.decoded && this.#dropped.has(record.flow);
  }

  /** The flows emitted since the last call (less those dropped since), in order. */
  takeEmitted(): FlowRecord[] {
    const out: FlowRecord[] = [];
    for (const record of this.#emitted.splice(0)) {
      if (this.#dropped.has(record.flow)) this.counts.dropped++;
      else out.push(record);
    }
    return out;
  }

  /** True when flows were emitted since the last takeEmitted() (checked per flow, so it makes no array). */
  get hasEmitted(): boolean {
    return this.#emitted.length > 0;
  }

  /**
   * Watches the process for what hooks leave behind (guard.ts) until the returned function is called: a
   * driver watches from before `start` to after `done`.
   */
  watch(): () => void {
    return watch({ stray: (cause) => this.#fail(this.#strayError(cause)) });
  }

  /** Throws what ended the run since the last event (see watch()), if anything did. */
  check(): void {
    if (this.#late !== undefined) throw this.#late;
  }

  #fail(error: Error): void {
    this.#late ??= error;
  }

  /** start or done: every script's hook in order; a failure is a ScriptError whatever the policy. */
  async lifecycle(event: LifecycleEvent): Promise<void> {
    this.check();
    for (const [i, script] of this.#scripts.entries()) {
      if (script.hooks[event] === undefined) continue;
      const ctx = new HookContext(this.#scopes[i]!, event);
      try {
        const result = this.#guarded(script, event, null, () => (event === 'start' ? script.hooks.start!.call(script.target, ctx, script.argv) : script.hooks.done!.call(script.target, ctx)));
        if (result !== undefined) await result;
      } catch (cause) {
        throw this.#scriptError(script, event, null, cause);
      }
    }
    this.check();
  }

  /**
   * Runs one hook call under the guard: in its own async context (so what escapes it later is traced to it),
   * through vm when a timeout is set (the only way to stop a synchronous loop at a deadline); a promise it
   * returns is awaited with the same deadline and fails early on what escapes it. Throws what the hook threw.
   */
  #guarded(script: LoadedScript, event: HookName, record: FlowRecord | null, invoke: () => unknown): unknown {
    const call = new GuardedCall((cause) => this.#fail(this.#scriptError(script, event, record, cause, ' (it escaped the hook: an unawaited promise or a timer)')));
    const timeout = this.#timeout;
    const result = call.run(timeout === undefined ? invoke : () => bounded(invoke, timeout));
    return isThenable(result) ? call.settle(result, timeout) : result;
  }

  /** clientconnect or clientdisconnect; a failure is logged and counted, never fatal to other clients. */
  async connection(event: ConnectionEvent, client: ClientConnection): Promise<void> {
    for (const [i, script] of this.#scripts.entries()) {
      const fn = script.hooks[event];
      if (fn === undefined) continue;
      try {
        const result = this.#guarded(script, event, null, () => fn.call(script.target, new HookContext(this.#scopes[i]!, event), client));
        if (result !== undefined) await result;
      } catch (cause) {
        const error = this.#scriptError(script, event, null, cause);
        if (this.#policy === 'fail' || error instanceof Interrupted) throw error;
        this.counts.scriptErrors++;
        this.#log('warn', 'flowtx', error.message);
      }
    }
  }

  /**
   * Runs `event` on the record's flow through every script, in order, under the script-error policy: with
   * "fail" (and for a fault in the input, whatever the policy) the error is thrown; with "skip" the flow is
   * dropped; with "keep" the record is restored to its checkpoint (the driver takes one before the first
   * event). Synchronous until a hook returns a promise: most hooks return nothing, and a promise per flow
   * and event would cost the replay of a large file more than the hooks themselves.
   */
  dispatch(event: FlowEvent, record: FlowRecord): Verdict | Promise<Verdict> {
    this.check();
    const flow = record.flow;
    for (let i = 0; i < this.#scripts.length; i++) {
      const outcome = this.#call(i, event, record, flow);
      if (outcome === undefined) continue;
      if (typeof outcome === 'string') return outcome;
      return this.#settle(outcome, i, event, record, flow);
    }
    return 'go';
  }

  /** The rest of dispatch() once a hook returned a promise: awaits it, then runs the later scripts. */
  async #settle(pending: PromiseLike<unknown>, at: number, event: FlowEvent, record: FlowRecord, flow: Flow): Promise<Verdict> {
    for (let i = at; i < this.#scripts.length; i++) {
      if (i > at) {
        const outcome = this.#call(i, event, record, flow);
        if (outcome === undefined) continue;
        if (typeof outcome === 'string') return outcome;
        pending = outcome;
      }
      try {
        await pending;
      } catch (cause) {
        return this.#failed(this.#scripts[i]!, event, record, flow, cause);
      }
      if (this.#dropped.has(flow)) return 'dropped';
    }
    return 'go';
  }

  /**
   * Calls script `i`'s hook for `event`: undefined when the flow goes on to the next script, a verdict when
   * it does not, or the promise the hook returned.
   */
  #call(i: number, event: FlowEvent, record: FlowRecord, flow: Flow): Verdict | PromiseLike<unknown> | undefined {
    const script = this.#scripts[i]!;
    const fn = script.hooks[event];
    if (fn === undefined) return undefined;
    let result: unknown;
    try {
      // A context made with a record is a FlowContext: its origin is the record's.
      const ctx = new HookContext(this.#scopes[i]!, event, record) as FlowContext;
      result = this.#guarded(script, event, record, () => fn.call(script.target, ctx, flow));
    } catch (cause) {
      return this.#failed(script, event, record, flow, cause);
    }
    if (isThenable(result)) return result;
    return this.#dropped.has(flow) ? 'dropped' : undefined;
  }

  /** A hook failed: throws (fail, a fault in the input, Ctrl-C), drops the flow (skip) or restores it (keep). */
  #failed(script: LoadedScript, event: FlowEvent, record: FlowRecord, flow: Flow, cause: unknown): Verdict {
    const error = this.#scriptError(script, event, record, cause);
    if (this.#policy === 'fail' || isInputFault(cause) || error instanceof Interrupted) throw error;
    this.counts.scriptErrors++;
    if (this.#policy === 'skip') {
      this.#log('warn', 'flowtx', `${error.message} (flow dropped: --on-script-error skip)`);
      this.#dropped.add(flow);
      return 'dropped';
    }
    this.#log('warn', 'flowtx', `${error.message} (flow kept unchanged: --on-script-error keep)`);
    record.restore();
    return 'restored';
  }

  #scriptError(script: LoadedScript, hook: HookName, record: FlowRecord | null, cause: unknown, note = ''): Error {
    // A fault in the input that surfaced while a hook read a lazily decoded part is an input fault, not a
    // script error: whatever the policy, it ends the run after the flows before it.
    if (isInputFault(cause)) return cause;
    const line = lineIn(cause, script.file);
    const where = `${script.name}${line === undefined ? '' : `:${line}`}`;
    let subject = '';
    if (record !== null) {
      const request = record.flow.type === 'http' ? ` (${record.flow.request.method} ${record.flow.request.url})` : '';
      subject = ` on ${describeOrigin(record.origin)}${request}`;
    }
    if (cause instanceof Interrupted) return new Interrupted(`interrupted: hook "${hook}" of ${where}${subject}`, { cause });
    return new ScriptError(script.name, hook, `${where}: hook "${hook}" failed${subject}: ${describeThrown(cause)}${note}`, { cause });
  }

  /** An error thrown by script code outside any hook call: named by the script whose line it came from. */
  #strayError(cause: unknown): Error {
    for (const script of this.#scripts) {
      const line = lineIn(cause, script.file);
      if (line !== undefined) return new ScriptError(script.name, undefined, `${script.name}:${line}: code outside any hook failed: ${describeThrown(cause)}`, { cause });
    }
    return new ScriptError('', undefined, `uncaught error outside any hook: ${describeThrown(cause)}`, { cause });
  }
}
