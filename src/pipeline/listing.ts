// One line per flow for the listing mode (`flowtx INPUT`), like mitmdump's console output, or one JSON
// object per flow (`--json`) for piping. Both read through the flow's FlowView, so listing never marks a
// flow as changed.

import type { Flow } from '../model/flow.js';
import type { FlowRecord } from '../model/record.js';
import { FlowView } from '../model/view.js';

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}b`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}k`;
  return `${(bytes / 1024 / 1024).toFixed(1)}m`;
}

function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${seconds.toFixed(2)}s`;
}

function peerOf(view: FlowView): string | null {
  const peer = view.serverConn.address ?? view.serverConn.peername;
  return peer ? `${peer[0]}:${peer[1]}` : null;
}

/** HTTP flows: seconds from the request's start to the response's end (or start), never negative. */
function elapsed({ request, httpResponse: response }: FlowView): number | null {
  if (response === null) return null;
  return Math.max(0, (response.timestampEnd ?? response.timestampStart) - request.timestampStart);
}

export function flowLine(flow: Flow): string {
  const view = FlowView.of(flow);
  if (!view.isHttp) {
    const count = view.type === 'tcp' || view.type === 'udp' ? view.messages.length : undefined;
    return `${view.type} ${peerOf(view) ?? '?'}${count === undefined ? '' : ` (${count} messages)`}`;
  }
  const { request, httpResponse: response, error } = view;
  const parts = [`${request.method} ${view.url}`];
  if (response !== null) {
    const size = response.content === null ? '?' : formatSize(response.content.byteLength);
    const reason = response.reason === '' ? '' : ` ${response.reason}`;
    parts.push(`<< ${response.statusCode}${reason} ${size} ${formatDuration(elapsed(view)!)}`);
  }
  if (error !== null) parts.push(`<< error: ${error.msg}`);
  if (response === null && error === null) parts.push('<< no response');
  return parts.join(' ');
}

/**
 * The `--json` listing object of one record (fields in docs/cli.md). `input` and `index` are null for flows
 * a script emitted; HTTP fields are null for other flow types, `peer` and `messages` for HTTP flows;
 * `origin` says where the flow came from, whatever its kind (file, live, emitted, created).
 */
export function flowJson(record: FlowRecord): string {
  const view = FlowView.of(record.flow);
  const http = view.isHttp;
  const response = view.httpResponse;
  const seconds = http ? elapsed(view) : null;
  return JSON.stringify({
    input: record.position?.origin ?? null,
    index: record.position?.index ?? null,
    id: view.id,
    type: view.type,
    timestamp: http ? view.request.timestampStart : view.timestampCreated,
    method: http ? view.request.method : null,
    url: http ? view.url : null,
    status: response?.statusCode ?? null,
    reason: response?.reason ?? null,
    size: response?.content?.byteLength ?? null,
    durationMs: seconds === null ? null : Math.round(seconds * 1000),
    error: http ? (view.error?.msg ?? null) : null,
    peer: http ? null : peerOf(view),
    messages: http ? null : view.type === 'tcp' || view.type === 'udp' ? view.messages.length : null,
    origin: record.origin,
  });
}
