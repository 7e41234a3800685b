// Replaying a saved flow is walking its events: request, then response if it has one, then error if it has
// one. Presence is checked when the event is due, so a hook that adds a response makes `response` run.

import { Flow } from '../model/flow.js';
import type { FlowEvent } from './hooks.js';

export function isDue(event: FlowEvent, flow: Flow): boolean {
  const state = Flow.state(flow);
  switch (event) {
    case 'request':
      return true;
    case 'response':
      return state.response !== null && state.response !== undefined;
    case 'error':
      return state.error !== null;
  }
}
