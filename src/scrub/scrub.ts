// The default policy applied to one flow: every place a secret travels, in both directions. Changes go through
// the model's setters, so a flow where nothing was found stays unchanged (and is written back byte-identical).

import type { Flow } from '../model/flow.js';
import type { Request, Response } from '../model/message.js';
import { scrubBody } from './body.js';
import type { Finding, Scrubber } from './context.js';
import { scrubHeaders } from './headers.js';
import { scrubUrl } from './url.js';
import { scrubWebSocket } from './websocket.js';

/** The request's secrets: its target (path, query, fragment), headers, body and trailers. */
export function scrubRequest(request: Request, scrubber: Scrubber): void {
  const path = scrubUrl(request.path, scrubber, 'request.url');
  if (path !== undefined) request.path = path;
  scrubHeaders(request.headers, scrubber, 'request.header');
  scrubBody(request, scrubber, 'request.body');
  if (request.trailers !== null) scrubHeaders(request.trailers, scrubber, 'request.trailer');
}

/** The response's secrets: headers, body and trailers. */
export function scrubResponse(response: Response, scrubber: Scrubber): void {
  scrubHeaders(response.headers, scrubber, 'response.header');
  scrubBody(response, scrubber, 'response.body');
  if (response.trailers !== null) scrubHeaders(response.trailers, scrubber, 'response.trailer');
}

/** Every secret of an HTTP flow (request, response, WebSocket messages); returns what was redacted where. */
export function scrubFlow(flow: Flow, scrubber: Scrubber): Finding[] {
  scrubRequest(flow.request, scrubber);
  if (flow.response !== null) scrubResponse(flow.response, scrubber);
  scrubWebSocket(flow, scrubber);
  return scrubber.take();
}
