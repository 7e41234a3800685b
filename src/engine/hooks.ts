// The hook table: every event a script may export, once. Typing, the export check and docs/scripting.md
// all follow from it.

import type { Flow } from '../model/flow.js';
import type { ScriptContext } from './context.js';

/** Describes a client connection (live proxy mode only; never called on saved flows). */
export interface ClientConnection {
  id: string;
  peername: [host: string, port: number];
}

type Awaitable<T> = T | Promise<T>;

export interface HookMap {
  /** Once, before any flow. `argv` is [scriptPath, ...args] as given to -s. */
  start(ctx: ScriptContext, argv: string[]): Awaitable<void>;
  /** Live mode only (reserved): a client connected. */
  clientconnect(ctx: ScriptContext, client: ClientConnection): Awaitable<void>;
  /** Every HTTP flow, first. */
  request(ctx: ScriptContext, flow: Flow): Awaitable<void>;
  /** HTTP flows that have a response (checked when due, so a request hook may add one). */
  response(ctx: ScriptContext, flow: Flow): Awaitable<void>;
  /** HTTP flows that have an error (a flow may have both a response and an error). */
  error(ctx: ScriptContext, flow: Flow): Awaitable<void>;
  /** Live mode only (reserved): a client disconnected. */
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

/** The events a saved HTTP flow goes through, in order. */
export const FLOW_EVENTS = ['request', 'response', 'error'] as const;
export type FlowEvent = (typeof FLOW_EVENTS)[number];
