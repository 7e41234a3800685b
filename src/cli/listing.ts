// One line per flow for the listing mode (`flowtx INPUT`), like mitmdump's console output.

import { Flow } from '../model/flow.js';
import type { HttpFlowState } from '../model/state.js';
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

/** Reads the flow's state directly so listing never marks a flow as changed. */
export function flowLine(flow: Flow): string {
  const state = Flow.state(flow);
  if (state.type !== 'http') {
    const count = state.messages?.length;
    const peer = state.serverConn.address ?? state.serverConn.peername;
    return `${state.type} ${peer ? `${peer[0]}:${peer[1]}` : '?'}${count === undefined ? '' : ` (${count} messages)`}`;
  }
  const { request, response, error } = state as HttpFlowState;
  const url = request.method.toUpperCase() === 'CONNECT' ? `${request.host}:${request.port}` : buildUrl(request.scheme, request.host, request.port, request.path);
  const parts = [`${request.method} ${url}`];
  if (response !== null) {
    const size = response.content === null ? '?' : formatSize(response.content.byteLength);
    const end = response.timestampEnd ?? response.timestampStart;
    const reason = response.reason === '' ? '' : ` ${response.reason}`;
    parts.push(`<< ${response.statusCode}${reason} ${size} ${formatDuration(Math.max(0, end - request.timestampStart))}`);
  }
  if (error !== null) parts.push(`<< error: ${error.msg}`);
  if (response === null && error === null) parts.push('<< no response');
  return parts.join(' ');
}
