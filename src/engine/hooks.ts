// The hook table: every event a script may export, once. Typing, the export check and docs/scripting.md
// all follow from it.

import type { Flow } from '../model/flow.js';
import type { ClientConnState } from '../model/state.js';
import type { FlowContext, ScriptContext } from './context.js';

/** A client connection, as recorded in a flow's clientConn (live proxy mode only; never on saved flows). */
export type ClientConnection = Readonly<ClientConnState>;

type Awaitable<T> = T | Promise<T>;

export interface HookMap {
  /** Once, before any flow. `argv` is [scriptPath, ...args] as given to -s. */
  start(ctx: ScriptContext, argv: string[]): Awaitable<void>;
  /** Live mode only: a client connected. */
  clientconnect(ctx: ScriptContext, client: ClientConnection): Awaitable<void>;
  /** Every HTTP flow, first. */
  request(ctx: FlowContext, flow: Flow): Awaitable<void>;
  /** HTTP flows that have a response (checked when due, so a request hook may add one). */
  response(ctx: FlowContext, flow: Flow): Awaitable<void>;
  /** HTTP flows that have an error (a flow may have both a response and an error). */
  error(ctx: FlowContext, flow: Flow): Awaitable<void>;
  /** Live mode only: a client disconnected. */
  clientdisconnect(ctx: ScriptContext, client: ClientConnection): Awaitable<void>;
  /** Once, after the last flow. */
  done(ctx: ScriptContext): Awaitable<void>;
}

export type HookName = keyof HookMap;

/** What a script module may export (named, or as members of a default-exported object). */
export type Script = Partial<HookMap>;

export const HOOK_NAMES: readonly HookName[] = [
  'start',
  'clientconnect',
  'request',
  'response',
  'error',
  'clientdisconnect',
  'done',
];

/** The events an HTTP flow goes through, in order. */
export const FLOW_EVENTS = ['request', 'response', 'error'] as const;
export type FlowEvent = (typeof FLOW_EVENTS)[number];

export type LifecycleEvent = 'start' | 'done';
export type ConnectionEvent = 'clientconnect' | 'clientdisconnect';

/** A script ready to run: its hooks and what the engine needs to know about it. */
export interface LoadedScript {
  /** The name as given to -s (used in messages): a path, or builtin:NAME. */
  readonly name: string;
  /** Absolute path of the module (to find its lines in stack traces); the name for a built-in. */
  readonly file: string;
  /** [name, ...args]. */
  readonly argv: string[];
  readonly hooks: Script;
  /** `this` for hooks exported as members of a default object. */
  readonly target: object | undefined;
  /**
   * Whether the script may keep a flow past the batch it came in (in its state, a closure, a timer). A
   * user script may; a built-in says it never does, which lets readers reuse their read chunks.
   */
  readonly retainsFlows: boolean;
  /**
   * A built-in that finds things (builtin:scrub) says what it found in one stream, read from its state when
   * the stream ends: plain data, counted by input, place and rule (never a value).
   */
  readonly findings?: (state: Readonly<Record<string, unknown>>) => FindingCount[];
}

/** `count` findings of `rule` at `where` in the flows of `input` (the file; undefined for other origins). */
export interface FindingCount {
  readonly input: string | undefined;
  readonly where: string;
  readonly rule: string;
  readonly count: number;
}
