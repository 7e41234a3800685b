// Test factories: complete flows with fixed ids and timestamps (like mitmproxy's test/tflow.py), and helpers
// to feed codecs bytes in chunks of a chosen size.

import { gzipSync } from 'node:zlib';
import { Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import type { Codec } from '../../src/codecs/codec.js';
import type { FlowState, HttpFlowState } from '../../src/model/state.js';

const T = 1_700_000_000;

export function tstate(options: { response?: boolean; error?: boolean; id?: string } = {}): HttpFlowState {
  const { response = true, error = false, id = '00000000-0000-4000-8000-000000000001' } = options;
  return {
    id,
    type: 'http',
    error: error ? { msg: 'Connection killed.', timestamp: T + 2 } : null,
    clientConn: {
      id: 'c1', peername: ['127.0.0.1', 50000], sockname: ['127.0.0.1', 8080], transportProtocol: 'tcp', error: null,
      tls: false, certificateList: [], alpn: null, alpnOffers: [], cipher: null, cipherList: [], tlsVersion: null,
      sni: null, timestampStart: T, timestampEnd: null, timestampTlsSetup: null, mitmcert: null, proxyMode: 'regular',
    },
    serverConn: {
      id: 's1', address: ['example.com', 80], peername: null, sockname: null, transportProtocol: 'tcp', error: null,
      tls: false, certificateList: [], alpn: null, alpnOffers: [], cipher: null, cipherList: [], tlsVersion: null,
      sni: null, timestampStart: null, timestampEnd: null, timestampTlsSetup: null, timestampTcpSetup: null, via: null,
    },
    intercepted: false,
    isReplay: null,
    marked: '',
    metadata: {},
    comment: '',
    timestampCreated: T,
    backup: null,
    request: {
      httpVersion: 'HTTP/1.1', method: 'GET', scheme: 'http', host: 'example.com', port: 80, path: '/path?a=1&b=2',
      authority: '', headers: [['Host', 'example.com'], ['Cookie', 'sid=abc; theme=dark']], content: new Uint8Array(0),
      trailers: null, timestampStart: T + 0.1, timestampEnd: T + 0.2,
    },
    response: response
      ? {
          httpVersion: 'HTTP/1.1', statusCode: 200, reason: 'OK',
          headers: [['Content-Type', 'text/plain; charset=utf-8'], ['Content-Encoding', 'gzip'], ['Content-Length', '0']],
          content: gzipSync('hello'), trailers: null, timestampStart: T + 0.3, timestampEnd: T + 0.4,
        }
      : null,
    websocket: null,
  };
}

export function tflow(options?: Parameters<typeof tstate>[0]): Flow {
  return new Flow(tstate(options));
}

export async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.slice(i, i + size);
}

export function encodeAll(codec: Codec, states: readonly FlowState[]): Buffer {
  const encoder = codec.encoder();
  const pieces = [...encoder.begin()];
  for (const state of states) pieces.push(...encoder.encode(FlowRecord.of(new Flow(structuredClone(state)))));
  pieces.push(...encoder.end());
  return Buffer.concat(pieces);
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** All records of a batch stream, flattened. */
export async function collectRecords(batches: AsyncIterable<FlowRecord[]>): Promise<FlowRecord[]> {
  return (await collect(batches)).flat();
}

/** Decodes everything, returning the records read before a failure and the failure itself. */
/** Reads every field of `value`, nested ones too. */
function readAll(value: unknown): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  for (const key of Object.keys(value)) readAll((value as Record<string, unknown>)[key]);
}

export async function decodeUntilError(codec: Codec, bytes: Uint8Array, chunk = 4096): Promise<{ records: FlowRecord[]; error: unknown }> {
  const records: FlowRecord[] = [];
  try {
    for await (const batch of codec.decode(chunked(bytes, chunk), 'in.test')) {
      for (const record of batch) {
        readAll(Flow.state(record.flow)); // decode fully (every lazily decoded part and field) so content faults surface
        records.push(record);
      }
    }
  } catch (error) {
    return { records, error };
  }
  return { records, error: undefined };
}
