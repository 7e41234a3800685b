// The public API for script authors: `import type { Flow, ScriptContext } from 'flowtx'`, plus the few
// runtime helpers a script needs to make flows. Nothing else is exported.

export { Flow, createFlow, makeResponse } from './model/flow.js';
export type { FlowError, FlowInit, MessageInit, RequestInit, ResponseInit } from './model/flow.js';
export { Request, Response } from './model/message.js';
export { Headers } from './model/headers.js';
export type { HeaderField, HeadersInit } from './model/headers.js';
export type { MultiDictView } from './model/multidict.js';
export { FlowView } from './model/view.js';
export type { SetCookie } from './model/cookies.js';
export type {
  Address,
  ClientConnState as ClientConn,
  ServerConnState as ServerConn,
  WebSocketState as WebSocketData,
  WebSocketMessageState as WebSocketMessage,
  StreamMessageState as StreamMessage,
  FlowType,
  ReadonlyState,
  ReadonlyStateValue,
  StateValue,
} from './model/state.js';
export type { FlowContext, ScriptContext, ScriptLog } from './engine/context.js';
export type { FlowFilter } from './filter/compile.js';
export type { HookMap, HookName, Script, ClientConnection } from './engine/hooks.js';
export type { Origin } from './model/origin.js';
export { FlowtxError, BodyError, BodyLimitError } from './errors.js';

import type { Script } from './engine/hooks.js';

/** Identity helper that types a default-exported script object: `export default defineScript({ … })`. */
export function defineScript<T extends Script>(script: T): T {
  return script;
}
