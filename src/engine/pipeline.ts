// The engine: takes records in input order, runs the scripts' hooks on each HTTP flow in event order, and
// yields what is to be written, each flow exactly once and in order, emitted flows right after their parent.
// Knows flows and hooks only: no formats, no files.

import { format } from 'node:util';
import { ScriptError, isFlowtxError } from '../errors.js';
import { compileFilter, type FlowFilter } from '../filter/compile.js';
import { Flow } from '../model/flow.js';
import { FlowRecord } from '../model/record.js';
import type { ScriptContext, ScriptLog } from './context.js';
import { isDue } from './events.js';
import { FLOW_EVENTS, type HookName } from './hooks.js';
import type { LoadedScript } from './script.js';

export type ScriptErrorPolicy = 'fail' | 'skip' | 'keep';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EngineOptions {
  scripts: readonly LoadedScript[];
  /** --set key=value pairs, visible to scripts as ctx.options. */
  options?: Readonly<Record<string, string>>;
  /** What a failing flow hook does: stop the run (default), drop the flow, or keep it unchanged. */
  onScriptError?: ScriptErrorPolicy;
  /** Only flows it accepts are seen by scripts and written (--filter); evaluated on the flow as read. */
  filter?: FlowFilter;
  /** Scripts run only on flows it accepts; the others pass through unchanged (--select). */
  select?: FlowFilter;
  /** Where log lines go; `source` is the script name or "flowtx". */
  log?: (level: LogLevel, source: string, message: string) => void;
}

export interface EngineCounts {
  read: number;
  dropped: number;
  emitted: number;
  /** Flows the filter left out. */
  filtered: number;
  scriptErrors: number;
}

interface Current {
  record: FlowRecord | null;
  event: string;
}

function isInputFault(value: unknown): value is Error {
  return isFlowtxError(value) && (value.code === 'FLOWTX_CODEC' || value.code === 'FLOWTX_SCHEMA');
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
    const match = /^[^:]*:(\d+)/.exec(frame.slice(at + file.length));
    if (match) return Number(match[1]);
  }
  return undefined;
}

export class Engine {
  readonly counts: EngineCounts = { read: 0, dropped: 0, emitted: 0, filtered: 0, scriptErrors: 0 };
  readonly #scripts: readonly LoadedScript[];
  readonly #options: Readonly<Record<string, string>>;
  readonly #policy: ScriptErrorPolicy;
  readonly #filter: FlowFilter | undefined;
  readonly #select: FlowFilter | undefined;
  readonly #log: (level: LogLevel, source: string, message: string) => void;
  readonly #contexts: ScriptContext[];
  readonly #emitted: FlowRecord[] = [];
  readonly #dropped = new WeakSet<Flow>();
  #current: Current = { record: null, event: 'start' };

  constructor(options: EngineOptions) {
    this.#scripts = options.scripts;
    this.#options = Object.freeze({ ...options.options });
    this.#policy = options.onScriptError ?? 'fail';
    this.#filter = options.filter;
    this.#select = options.select;
    this.#log = options.log ?? (() => {});
    this.#contexts = this.#scripts.map((script) => this.#context(script));
  }

  /** True when some script has a flow hook, i.e. records must be decoded into flows. */
  get needsFlows(): boolean {
    return this.#scripts.some((s) => FLOW_EVENTS.some((e) => s.hooks[e] !== undefined));
  }

  /**
   * Runs the scripts over batches of records (as codecs produce them) and yields what is to be written, in
   * order. When a record fails (a fault in the input or a script error), the records before it are yielded
   * first, then the error is thrown.
   */
  async *run(batches: AsyncIterable<FlowRecord[]>): AsyncIterable<FlowRecord[]> {
    await this.#runLifecycle('start');
    yield this.#takeEmitted([]);
    const needsFlows = this.needsFlows;
    for await (const batch of batches) {
      const out: FlowRecord[] = [];
      try {
        for (const record of batch) {
          this.counts.read++;
          if (this.#filter !== undefined && !this.#filter(record.flow)) {
            this.counts.filtered++;
            continue;
          }
          if (needsFlows && record.flow.type === 'http' && (this.#select === undefined || this.#select(record.flow))) {
            await this.#runFlowEvents(record);
          }
          if (record.decoded && this.#dropped.has(record.flow)) this.counts.dropped++;
          else out.push(record);
          this.#takeEmitted(out);
        }
      } catch (err) {
        if (out.length > 0) yield out;
        throw err;
      }
      if (out.length > 0) yield out;
    }
    this.#current = { record: null, event: 'done' };
    await this.#runLifecycle('done');
    yield this.#takeEmitted([]);
  }

  /** Moves the flows emitted so far (less any dropped since) onto `out`. */
  #takeEmitted(out: FlowRecord[]): FlowRecord[] {
    if (this.#emitted.length === 0) return out; // the usual case, once per flow: no array made
    for (const record of this.#emitted.splice(0)) {
      if (this.#dropped.has(record.flow)) this.counts.dropped++;
      else out.push(record);
    }
    return out;
  }

  async #runLifecycle(hook: 'start' | 'done'): Promise<void> {
    this.#current = { record: null, event: hook };
    for (const [i, script] of this.#scripts.entries()) {
      const fn = script.hooks[hook];
      if (fn === undefined) continue;
      const ctx = this.#contexts[i]!;
      try {
        const result = hook === 'start' ? script.hooks.start!.call(script.target, ctx, script.argv) : script.hooks.done!.call(script.target, ctx);
        if (result !== undefined) await result;
      } catch (cause) {
        throw this.#scriptError(script, hook, null, cause);
      }
    }
  }

  async #runFlowEvents(record: FlowRecord): Promise<void> {
    const flow = record.flow;
    for (const event of FLOW_EVENTS) {
      if (!isDue(event, flow)) continue;
      this.#current = { record, event };
      for (const [i, script] of this.#scripts.entries()) {
        const fn = script.hooks[event];
        if (fn === undefined) continue;
        try {
          const result = fn.call(script.target, this.#contexts[i]!, flow);
          if (result !== undefined) await result;
        } catch (cause) {
          const error = this.#scriptError(script, event, record, cause);
          if (this.#policy === 'fail' || isInputFault(cause)) throw error;
          this.counts.scriptErrors++;
          if (this.#policy === 'skip') {
            this.#log('warn', 'flowtx', `${error.message} (flow dropped: --on-script-error skip)`);
            this.#dropped.add(flow);
          } else {
            this.#log('warn', 'flowtx', `${error.message} (flow kept unchanged: --on-script-error keep)`);
            record.revert();
          }
          return;
        }
        if (this.#dropped.has(flow)) return;
      }
    }
  }

  #scriptError(script: LoadedScript, hook: HookName, record: FlowRecord | null, cause: unknown): Error {
    // A fault in the input that surfaced while a hook read a lazily decoded part is an input fault, not a
    // script error: whatever the policy, it ends the run after the flows before it.
    if (isInputFault(cause)) return cause;
    const line = lineIn(cause, script.file);
    const where = `${script.name}${line === undefined ? '' : `:${line}`}`;
    let subject = '';
    if (record !== null) {
      const at = record.position;
      const request = record.flow.type === 'http' ? ` (${record.flow.request.method} ${record.flow.request.url})` : '';
      subject = at === null ? ` on an emitted flow${request}` : ` on flow #${at.index} of ${at.origin}${request}`;
    }
    return new ScriptError(script.name, hook, `${where}: hook "${hook}" failed${subject}: ${describeThrown(cause)}`, { cause });
  }

  #context(script: LoadedScript): ScriptContext {
    const engine = this;
    const state: Record<string, unknown> = {};
    const say =
      (level: LogLevel) =>
      (...args: unknown[]): void =>
        this.#log(level, script.name, format(...args));
    const log: ScriptLog = { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') };
    return {
      script: script.name,
      argv: script.argv,
      options: this.#options,
      state,
      log,
      get input() {
        return engine.#current.record?.position?.origin;
      },
      get index() {
        return engine.#current.record?.position?.index;
      },
      get event() {
        return engine.#current.event;
      },
      get counts() {
        return { read: engine.counts.read, dropped: engine.counts.dropped, emitted: engine.counts.emitted };
      },
      drop(flow?: Flow) {
        const target = flow ?? engine.#current.record?.flow;
        if (target === undefined) throw new TypeError(`ctx.drop() needs a flow in "${engine.#current.event}"`);
        engine.#dropped.add(target);
      },
      filter(expression: string) {
        return compileFilter(expression);
      },
      emit(flow: Flow) {
        if (!(flow instanceof Flow)) throw new TypeError('ctx.emit() takes a Flow (from createFlow() or flow.copy())');
        engine.counts.emitted++;
        engine.#emitted.push(FlowRecord.of(flow));
      },
    };
  }
}
