// Writing for older mitmproxy releases: a version-21 state dict turned into version 20 (mitmproxy 10.x),
// 19, 18 (9.x) or 17 (8.1.x), following the spec's down-conversion recipes (§4.5), with the key order each
// release writes so its own re-save is byte-identical.

import { isDict, legacyOf, type Dict } from './migrate.js';
import type { TValue } from './tnetstring.js';

export const WRITABLE_VERSIONS = [17, 18, 19, 20, 21] as const;
export type WritableVersion = (typeof WRITABLE_VERSIONS)[number];

/**
 * What a version cannot hold, reported instead of silently lost. Its own class, not a fault of codecs/
 * fault.ts: the encoder tells it apart to warn and leave the one flow out, where any other error stops the run.
 */
export class Unwritable extends Error {}

/** Rebuilds `d` with `order` first (state order), then any other keys. */
function ordered(d: Dict, order: readonly string[]): Dict {
  const out: Dict = {};
  for (const key of order) if (key in d) out[key] = d[key]!;
  for (const [key, value] of Object.entries(d)) if (!(key in out)) out[key] = value;
  return out;
}

// State orders of 8.1.1 (the reverse of what its files hold on disk).
const V17_FLOW = ['id', 'error', 'client_conn', 'server_conn', 'intercepted', 'is_replay', 'marked', 'metadata', 'comment', 'timestamp_created', 'backup', 'request', 'response', 'websocket', 'messages', 'version', 'type'];
const V17_CLIENT = ['address', 'alpn', 'cipher_name', 'id', 'mitmcert', 'sni', 'timestamp_end', 'timestamp_start', 'timestamp_tls_setup', 'tls_established', 'tls_extensions', 'tls_version', 'state', 'sockname', 'error', 'tls', 'certificate_list', 'alpn_offers', 'cipher_list', 'proxy_mode'];
const V17_SERVER = ['address', 'alpn', 'id', 'ip_address', 'sni', 'source_address', 'timestamp_end', 'timestamp_start', 'timestamp_tcp_setup', 'timestamp_tls_setup', 'tls_established', 'tls_version', 'via', 'state', 'error', 'tls', 'certificate_list', 'alpn_offers', 'cipher_name', 'cipher_list', 'via2'];
const V17_DNS = ['timestamp', 'id', 'query', 'op_code', 'authoritative_answer', 'truncation', 'recursion_desired', 'recursion_available', 'reserved', 'response_code', 'questions', 'answers', 'authorities', 'additionals'];

function down20(d: Dict): void {
  for (const conn of [d.client_conn, d.server_conn]) if (isDict(conn) && conn.tls_version === 'QUICv1') conn.tls_version = 'QUIC';
}

/** A connection's `state` as read from an old file, else 0 (closed), which is what old releases load. */
function connectionStates(d: Dict): [TValue, TValue] {
  const legacy = legacyOf(d);
  return [legacy?.clientState ?? 0, legacy?.serverState ?? 0];
}

function down19(d: Dict): void {
  if (!hasConnections(d)) return;
  const [client, server] = connectionStates(d);
  (d.client_conn as Dict).state = client;
  (d.server_conn as Dict).state = server;
}

/** Keys a flow written at `version` leaves out when their value is null: the backup, before version 19. */
export function nullLeftOut(version: number): readonly string[] {
  return version < 19 ? ['backup'] : [];
}

/** What writing at an older version changed in one flow, each named once (the encoder counts them). */
export type Changed = Set<string>;

function down18(d: Dict, metadataJson: boolean, changed: Changed): void {
  for (const key of nullLeftOut(18)) if (d[key] === null) delete d[key];
  if (metadataJson && isDict(d.metadata)) d.metadata = jsonOnly(d.metadata, changed) as Dict;
  if (d.type === 'dns') {
    for (const key of ['request', 'response']) if (isDict(d[key])) d[key] = ordered(d[key] as Dict, V17_DNS);
  }
  if (hasConnections(d)) connectionsDown18(d, changed);
}

/** Whether the connections are in `d` (a lazily decoded flow may leave them to be copied as they were). */
function hasConnections(d: Dict): boolean {
  return isDict(d.client_conn) && isDict(d.server_conn);
}

function connectionsDown18(d: Dict, changed: Changed): void {
  const client = d.client_conn as Dict;
  const server = d.server_conn as Dict;
  [client.state, server.state] = connectionStates(d);
  if (legacyOf(d)?.serverSniTrue && Array.isArray(server.address) && server.sni === server.address[0]) server.sni = true;
  for (const conn of [client, server]) {
    conn.tls_established = conn.timestamp_tls_setup !== null && conn.timestamp_tls_setup !== undefined;
    conn.cipher_name = conn.cipher ?? null;
    delete conn.cipher;
    if (conn.transport_protocol === 'udp') changed.add('UDP connections (read back as TCP)');
    delete conn.transport_protocol;
  }
  client.address = client.peername ?? null;
  delete client.peername;
  client.tls_extensions = [];
  server.ip_address = server.peername ?? null;
  delete server.peername;
  server.source_address = server.sockname ?? null;
  delete server.sockname;
  server.via2 = server.via ?? null;
  server.via = null;
  d.client_conn = ordered(client, V17_CLIENT);
  d.server_conn = ordered(server, V17_SERVER);
}

/** 8.1.1 can only save JSON-compatible metadata: bytes become text. */
function jsonOnly(v: TValue, changed: Changed): TValue {
  if (v instanceof Uint8Array) {
    changed.add('metadata bytes (written as text)');
    return Buffer.from(v).toString('utf8');
  }
  if (Array.isArray(v)) return v.map((x) => jsonOnly(x, changed));
  if (isDict(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonOnly(x, changed)]));
  return v;
}

/**
 * `d` (version 21, consumed) at `version`, its keys in that version's order unless `reorder` is false (the
 * caller writes them in an order of its own). Throws Unwritable for flows the version cannot hold; adds to
 * `changed` the values it had to change (a proxy mode 8.1 has no field for, …), which the encoder reports.
 */
export function atVersion(d: Dict, version: WritableVersion, reorder = true, changed: Changed = new Set()): Dict {
  if (version === 21) return d;
  down20(d);
  if (version === 17 && d.type === 'udp') throw new Unwritable('a UDP flow cannot be written at flow format version 17 (mitmproxy 8.1 has no UDP flows)');
  if (version <= 18) {
    down18(d, version === 17, changed);
    if (version === 17 && isDict(d.client_conn)) {
      if (d.client_conn.proxy_mode !== 'regular') changed.add('proxy modes other than regular (read back as regular)');
      delete d.client_conn.proxy_mode;
    }
  } else if (version === 19) {
    down19(d);
  }
  d.version = version;
  return version <= 18 && reorder ? ordered(d, V17_FLOW) : d;
}
