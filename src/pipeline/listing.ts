// One line per flow for the listing mode (`flowtx INPUT`), like mitmdump's console output, or one JSON
// object per flow (`--json`) for piping. Both read the flow's state directly so listing never marks a flow
// as changed.

import { Flow } from '../model/flow.js';
import type { FlowRecord } from '../model/record.js';
import type { FlowState, HttpFlowState } from '../model/state.js';
import { buildUrl } from '../model/url.js';

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}b`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}k`;
  return `${(bytes / 1024 / 1024).toFixed(1)}m`;
}

function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${seconds.toFixed(2)}s`;
}

function peerOf(state: FlowState): string | null {
  const peer = state.serverConn.address ?? state.serverConn.peername;
  return peer ? `${peer[0]}:${peer[1]}` : null;
}

function urlOf({ request }: HttpFlowState): string {
  return request.method.toUpperCase() === 'CONNECT' ? `${request.host}:${request.port}` : buildUrl(request.scheme, request.host, request.port, request.path);
}

/** Seconds from the request's start to the response's end (or start), never negative. */
function elapsed({ request, response }: HttpFlowState): number | null {
  if (response === null) return null;
  return Math.max(0, (response.timestampEnd ?? response.timestampStart) - request.timestampStart);
}

export function flowLine(flow: Flow): string {
  const state = Flow.state(flow);
  if (state.type !== 'http') {
    const count = state.messages?.length;
    return `${state.type} ${peerOf(state) ?? '?'}${count === undefined ? '' : ` (${count} messages)`}`;
  }
  const http = state as HttpFlowState;
  const { request, response, error } = http;
  const parts = [`${request.method} ${urlOf(http)}`];
  if (response !== null) {
    const size = response.content === null ? '?' : formatSize(response.content.byteLength);
    const reason = response.reason === '' ? '' : ` ${response.reason}`;
    parts.push(`<< ${response.statusCode}${reason} ${size} ${formatDuration(elapsed(http)!)}`);
  }
  if (error !== null) parts.push(`<< error: ${error.msg}`);
  if (response === null && error === null) parts.push('<< no response');
  return parts.join(' ');
}

/**
 * The `--json` listing object of one record (fields in docs/cli.md). `input` and `index` are null for flows
 * a script emitted; HTTP fields are null for other flow types, `peer` and `messages` for HTTP flows.
 */
export function flowJson(record: FlowRecord): string {
  const state = Flow.state(record.flow);
  const http = state.type === 'http' ? (state as HttpFlowState) : null;
  const response = http?.response ?? null;
  const seconds = http === null ? null : elapsed(http);
  return JSON.stringify({
    input: record.position?.origin ?? null,
    index: record.position?.index ?? null,
    id: state.id,
    type: state.type,
    timestamp: http?.request.timestampStart ?? state.timestampCreated,
    method: http?.request.method ?? null,
    url: http === null ? null : urlOf(http),
    status: response?.statusCode ?? null,
    reason: response?.reason ?? null,
    size: response?.content?.byteLength ?? null,
    durationMs: seconds === null ? null : Math.round(seconds * 1000),
    error: http?.error?.msg ?? null,
    peer: http === null ? peerOf(state) : null,
    messages: http === null ? (state.messages?.length ?? null) : null,
  });
}
