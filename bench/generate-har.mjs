// Deterministic synthetic HAR 1.2 file, written as a browser writes one: the flow mix of the other generators
// (bench/flow-mix.mjs) as entries with decoded text bodies, binary bodies in base64, cookies, query strings,
// post data, timings, a few pages, Chrome's `_error` on failed requests and `_webSocketMessages` on WebSocket
// entries, indented by two spaces. Same seed and size ⇒ byte-identical file.
//   node bench/generate-har.mjs --target-mb 1024 -o /tmp/flowtx-bench/big.har [--seed 20240601]

import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { flowMix } from './flow-mix.mjs';

const { values } = parseArgs({
  options: { 'target-mb': { type: 'string', default: '1024' }, output: { type: 'string', short: 'o' }, seed: { type: 'string', default: '20240601' } },
});
if (values.output === undefined) throw new Error('usage: node bench/generate-har.mjs --target-mb N -o FILE');

const target = Number(values['target-mb']) * 1024 * 1024;
// Browsers keep bodies decoded in a HAR (the Content-Encoding header stays), so no coding is applied.
const { flowState } = flowMix(Number(values.seed), (plain) => plain);

// Pages come before the entries in the file, so the entries are spread over a fixed number of pages of a
// size estimated from the target (~14 KiB per entry); the last page takes whatever is left.
const PAGES = 6;
const perPage = Math.max(1, Math.round(target / 14_336 / PAGES));
const T0 = 1717200000; // the time of flow 0 in the mix; flow i starts 0.37 s later per index
const iso = (seconds) => new Date(seconds * 1000).toISOString();
const ms = (seconds) => Math.round(seconds * 1e6) / 1e3;

const fields = (pairs) => pairs.map(([name, value]) => ({ name, value }));
const header = (pairs, name) => pairs.find(([n]) => n.toLowerCase() === name)?.[1];

function cookies(pairs) {
  const cookie = header(pairs, 'cookie');
  return cookie === undefined ? [] : cookie.split('; ').map((c) => ({ name: c.slice(0, c.indexOf('=')), value: c.slice(c.indexOf('=') + 1) }));
}

function setCookies(pairs) {
  return pairs.filter(([n]) => n.toLowerCase() === 'set-cookie').map(([, value]) => {
    const [pair, ...attributes] = value.split('; ');
    const flag = (name) => attributes.some((a) => a.toLowerCase() === name);
    const path = attributes.find((a) => a.startsWith('Path='))?.slice(5);
    return { name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1), ...(path ? { path } : {}), httpOnly: flag('httponly'), secure: flag('secure') };
  });
}

function content(body, mimeType) {
  const binary = mimeType.startsWith('image/') || mimeType === 'application/octet-stream';
  return binary ? { size: body.length, mimeType, text: body.toString('base64'), encoding: 'base64' } : { size: body.length, mimeType, text: body.toString('utf8') };
}

function resourceType(state) {
  if (state.websocket) return 'websocket';
  const type = header(state.response?.headers ?? [], 'content-type') ?? '';
  if (type.startsWith('text/html')) return 'document';
  if (type.includes('javascript')) return 'script';
  if (type === 'text/css') return 'stylesheet';
  if (type.startsWith('image/')) return 'image';
  return 'xhr';
}

function entry(state, index) {
  const { request, response, serverConn } = state;
  const defaultPort = request.port === (request.scheme === 'https' ? 443 : 80);
  const url = `${request.scheme}://${request.host}${defaultPort ? '' : `:${request.port}`}${request.path}`;
  const query = request.path.includes('?') ? [...new URLSearchParams(request.path.slice(request.path.indexOf('?') + 1))] : [];
  const connect = ms(serverConn.timestampTcpSetup - serverConn.timestampStart) + (serverConn.tls ? ms(serverConn.timestampTlsSetup - serverConn.timestampTcpSetup) : 0);
  const answered = response?.timestampStart ?? state.error.timestamp;
  const timings = {
    blocked: -1, dns: -1, connect, ssl: serverConn.tls ? ms(serverConn.timestampTlsSetup - serverConn.timestampTcpSetup) : -1,
    send: ms(request.timestampEnd - request.timestampStart), wait: ms(answered - request.timestampEnd), receive: response ? ms(response.timestampEnd - response.timestampStart) : 0,
  };
  const har = {
    pageref: `page_${Math.min(PAGES, 1 + Math.floor(index / perPage))}`,
    startedDateTime: iso(request.timestampStart),
    time: ms((timings.connect + timings.send + timings.wait + timings.receive) / 1000),
    request: {
      method: request.method, url, httpVersion: request.httpVersion, cookies: cookies(request.headers), headers: fields(request.headers),
      queryString: fields(query), ...(request.content.length > 0 ? { postData: { mimeType: header(request.headers, 'content-type'), text: request.content.toString('utf8') } } : {}),
      headersSize: -1, bodySize: request.content.length,
    },
    response: response
      ? {
          status: response.statusCode, statusText: response.reason, httpVersion: response.httpVersion, cookies: setCookies(response.headers), headers: fields(response.headers),
          content: content(response.content, header(response.headers, 'content-type') ?? 'x-unknown'), redirectURL: header(response.headers, 'location') ?? '', headersSize: -1, bodySize: response.content.length,
        }
      : { status: 0, statusText: '', httpVersion: '', cookies: [], headers: [], content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: -1, bodySize: -1, _error: state.error.msg },
    cache: {},
    timings,
    serverIPAddress: serverConn.peername[0],
    connection: String(serverConn.sockname[1]),
    _resourceType: resourceType(state),
  };
  if (state.websocket) {
    har._webSocketMessages = state.websocket.messages.map((m) => ({ type: m.fromClient ? 'send' : 'receive', time: m.timestamp, opcode: m.type, data: m.content.toString('utf8') }));
  }
  return har;
}

const pages = Array.from({ length: PAGES }, (_, k) => ({
  startedDateTime: iso(T0 + k * perPage * 0.37),
  id: `page_${k + 1}`,
  title: `https://www.shop.test/tab/${k + 1}`,
  pageTimings: { onContentLoad: 812.5 + k, onLoad: 1504.25 + k },
}));
const indent = (json, spaces) => json.replace(/\n/g, `\n${' '.repeat(spaces)}`);
const head = `{
  "log": {
    "version": "1.2",
    "creator": { "name": "flowtx bench/generate-har.mjs", "version": "1" },
    "pages": ${indent(JSON.stringify(pages, null, 2), 4)},
    "entries": [
`;

await mkdir(dirname(values.output), { recursive: true });
const out = createWriteStream(values.output);
let written = 0;
const write = (text) => {
  written += Buffer.byteLength(text);
  return out.write(text);
};
write(head);
let flows = 0;
while (written < target) {
  const json = `${flows === 0 ? '' : ',\n'}      ${indent(JSON.stringify(entry(flowState(flows), flows), null, 2), 6)}`;
  flows++;
  if (!write(json)) await new Promise((resolve) => out.once('drain', resolve));
}
write('\n    ]\n  }\n}\n');
await new Promise((resolve) => out.end(resolve));
console.log(JSON.stringify({ file: values.output, bytes: written, flows }));
