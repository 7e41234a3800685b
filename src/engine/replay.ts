// Offline replay: saved flows in input order through the dispatcher, each flow's events in mitmproxy's
// order (request, then response if it has one, then error if it has one; presence checked when the event is
// due, so a request hook that adds a response makes `response` run). Yields what is to be written, each
// flow once and in order, emitted flows right after the flow whose hook emitted them.

import type { FlowFilter } from '../filter/compile.js';
import type { FlowRecord } from '../model/record.js';
import { FlowView } from '../model/view.js';
import type { Dispatcher } from './dispatch.js';
import { FLOW_EVENTS, type FlowEvent } from './hooks.js';

export interface Gates {
  /** Only flows it accepts are seen by scripts and written (--filter); evaluated on the flow as read. */
  filter?: FlowFilter;
  /** Scripts run only on flows it accepts; the others pass through unchanged (--select). */
  select?: FlowFilter;
}

/** Is `event` due for the flow as it stands now? */
export function isDue(event: FlowEvent, flow: FlowView): boolean {
  switch (event) {
    case 'request':
      return true;
    case 'response':
      return flow.httpResponse !== null;
    case 'error':
      return flow.error !== null;
  }
}

/**
 * Runs `start`, every record's events, then `done`, yielding batches to write. When a record fails (a fault
 * in the input or a script error), the records before it are yielded first, then the error is thrown.
 */
export async function* replay(batches: AsyncIterable<FlowRecord[]>, dispatcher: Dispatcher, gates: Gates = {}): AsyncIterable<FlowRecord[]> {
  const { filter, select } = gates;
  const counts = dispatcher.counts;
  const unwatch = dispatcher.watch();
  try {
    await dispatcher.lifecycle('start');
    yield dispatcher.takeEmitted();
    const needsFlows = dispatcher.needsFlows;
    for await (const batch of batches) {
      const out: FlowRecord[] = [];
      try {
        for (const record of batch) {
          counts.read++;
          if (filter !== undefined && !filter(record.flow)) {
            counts.filtered++;
            continue;
          }
          if (needsFlows && record.flow.type === 'http' && (select === undefined || select(record.flow))) {
            const pending = replayFlow(record, dispatcher);
            if (pending !== undefined) await pending;
          }
          if (dispatcher.isDropped(record)) counts.dropped++;
          else out.push(record);
          if (dispatcher.hasEmitted) out.push(...dispatcher.takeEmitted());
        }
        dispatcher.check();
      } catch (err) {
        if (out.length > 0) yield out;
        throw err;
      }
      if (out.length > 0) yield out;
    }
    await dispatcher.lifecycle('done');
    // Node reports a rejection nobody handled once the microtasks have run: give it that turn, then look.
    await new Promise((resolve) => setImmediate(resolve));
    dispatcher.check();
    yield dispatcher.takeEmitted();
  } finally {
    unwatch();
  }
}

/** A flow's events, one after another; a promise only once a hook returned one (see Dispatcher.dispatch). */
function replayFlow(record: FlowRecord, dispatcher: Dispatcher, from = 0): Promise<void> | undefined {
  if (from === 0) record.checkpoint();
  for (let e = from; e < FLOW_EVENTS.length; e++) {
    const event = FLOW_EVENTS[e]!;
    if (!isDue(event, record.view)) continue;
    const verdict = dispatcher.dispatch(event, record);
    if (typeof verdict !== 'string') return verdict.then((v) => (v === 'go' ? replayFlow(record, dispatcher, e + 1) : undefined));
    if (verdict !== 'go') return undefined;
  }
  return undefined;
}
