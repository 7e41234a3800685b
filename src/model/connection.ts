// Connection state defaults for flows made from scratch (ctx.emit, conversion from formats that have no
// connection data), filled so that mitmproxy's loader accepts them.

import { randomUUID } from 'node:crypto';
import type { ClientConnState, ServerConnState } from './state.js';

export function newClientConn(timestamp: number): ClientConnState {
  return {
    id: randomUUID(),
    peername: ['127.0.0.1', 0],
    sockname: ['127.0.0.1', 0],
    transportProtocol: 'tcp',
    error: null,
    tls: false,
    certificateList: [],
    alpn: null,
    alpnOffers: [],
    cipher: null,
    cipherList: [],
    tlsVersion: null,
    sni: null,
    timestampStart: timestamp,
    timestampEnd: null,
    timestampTlsSetup: null,
    mitmcert: null,
    proxyMode: 'regular',
  };
}

export function newServerConn(address: [string, number] | null): ServerConnState {
  return {
    id: randomUUID(),
    address,
    peername: null,
    sockname: null,
    transportProtocol: 'tcp',
    error: null,
    tls: false,
    certificateList: [],
    alpn: null,
    alpnOffers: [],
    cipher: null,
    cipherList: [],
    tlsVersion: null,
    sni: null,
    timestampStart: null,
    timestampEnd: null,
    timestampTlsSetup: null,
    timestampTcpSetup: null,
    via: null,
  };
}
