// The bench's flow mix, shared by the generators: the hosts, methods, statuses, header counts, body sizes and
// types of ../shared/bench/gen_synthetic_flows.py (8-22 request headers, bodies 0-64 KiB, ~35% of text bodies
// gzip, ~6% br, ~2% deflate, ~2.5% error flows, ~0.7% WebSocket flows), drawn from one seeded generator.
// Same seed ⇒ same sequence of flow states.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTS = [
  ['api.shop.test', 'https'], ['www.shop.test', 'https'], ['cdn.shop.test', 'https'], ['img.shop.test', 'https'],
  ['auth.shop.test', 'https'], ['search.shop.test', 'https'], ['telemetry.vendor.test', 'https'], ['ads.tracker.test', 'https'],
  ['fonts.static.test', 'https'], ['api.payments.test', 'https'], ['graphql.social.test', 'https'], ['ws.chat.test', 'https'],
  ['legacy.intranet.test', 'http'], ['printer.lan.test', 'http'], ['10.0.3.17', 'http'], ['update.os-vendor.test', 'http'],
  ['api.weather.test', 'https'], ['maps.tiles.test', 'https'],
];
const AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'okhttp/4.12.0', 'curl/8.7.1', 'python-requests/2.32.3'];
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ');
const PATHS = ['/v1/users/{id}', '/v1/orders/{id}/items', '/v2/products', '/search', '/graphql', '/static/js/app.{hex}.js', '/img/p/{id}.jpg', '/api/session', '/api/login', '/collect', '/', '/cart', '/feed', '/health'];
const STATUS = [[200, 70], [201, 3], [204, 4], [301, 1], [302, 3], [304, 8], [400, 1], [401, 2], [403, 1], [404, 3], [429, 1], [500, 1], [502, 1], [503, 1]];
const REASONS = { 200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 101: 'Switching Protocols' };
const TYPES = [['application/json', 30], ['text/html; charset=utf-8', 15], ['application/javascript', 12], ['text/css', 6], ['text/plain', 5], ['image/png', 15], ['image/jpeg', 12], ['application/octet-stream', 5]];

/**
 * A seeded flow mix. `encode(plain, coding)` applies a content-encoding to a text body: the msgpack archive
 * stores bodies as sent (compressed), a browser's HAR stores them decoded.
 */
export function flowMix(seed, encode) {
  const random = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(random() * list.length)];
  const weighted = (pairs) => {
    let r = random() * pairs.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of pairs) if ((r -= w) < 0) return v;
    return pairs[0][0];
  };
  const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;

  function textBody(size, type) {
    if (type === 'application/json') {
      const items = [];
      let length = 2;
      while (length < size) {
        const item = JSON.stringify({ id: int(1, 1e6), name: `${pick(WORDS)} ${pick(WORDS)}`, price: int(100, 99999) / 100, tags: [pick(WORDS), pick(WORDS)] });
        items.push(item);
        length += item.length + 1;
      }
      return Buffer.from(`[${items.join(',')}]`);
    }
    const words = [];
    let length = 0;
    while (length < size) {
      const w = pick(WORDS);
      words.push(w);
      length += w.length + 1;
    }
    return Buffer.from(words.join(' '));
  }

  function responseBody() {
    const type = weighted(TYPES);
    const size = weighted([[int(0, 512), 30], [int(512, 8192), 40], [int(8192, 32768), 22], [int(32768, 65536), 8]]);
    if (type.startsWith('image/') || type === 'application/octet-stream') {
      const bytes = Buffer.alloc(size);
      let i = 0;
      for (; i + 4 <= size; i += 4) bytes.writeUInt32LE(Math.floor(random() * 4294967296), i);
      for (; i < size; i++) bytes[i] = int(0, 255);
      return { type, body: bytes, coding: null };
    }
    const plain = textBody(size, type);
    const coding = weighted([[null, 57], ['gzip', 35], ['br', 6], ['deflate', 2]]);
    const body = coding === null ? plain : encode(plain, coding);
    return { type, body, coding };
  }

  function conn(t, host, port, tls, client) {
    const common = {
      id: uuid(), transportProtocol: 'tcp', error: null, tls, certificateList: [], alpn: tls ? 'h2' : null, alpnOffers: tls ? ['h2', 'http/1.1'] : [],
      cipher: tls ? 'TLS_AES_128_GCM_SHA256' : null, cipherList: [], tlsVersion: tls ? 'TLSv1.3' : null, sni: tls ? host : null,
      timestampEnd: t + 1, timestampTlsSetup: tls ? t + 0.02 : null,
    };
    return client
      ? { ...common, peername: ['192.168.1.' + int(2, 250), int(40000, 60000)], sockname: ['127.0.0.1', 8080], timestampStart: t, mitmcert: null, proxyMode: 'regular' }
      : { ...common, address: [host, port], peername: ['10.0.0.' + int(2, 250), port], sockname: ['10.0.0.1', int(40000, 60000)], timestampStart: t + 0.001, timestampTcpSetup: t + 0.005, via: null };
  }

  function flowState(i) {
    const [host, scheme] = pick(HOSTS);
    const port = scheme === 'https' ? 443 : 80;
    const t = 1717200000 + i * 0.37;
    const method = weighted([['GET', 70], ['POST', 15], ['PUT', 4], ['PATCH', 3], ['DELETE', 3], ['OPTIONS', 3], ['HEAD', 2]]);
    let path = pick(PATHS).replace('{id}', String(int(1, 99999))).replace('{hex}', hex(8));
    if (random() < 0.4) path += `?page=${int(1, 20)}&q=${pick(WORDS)}${random() < 0.1 ? `&api_key=sk_${hex(24)}` : ''}`;
    const headers = [['Host', host], ['User-Agent', pick(AGENTS)], ['Accept', '*/*'], ['Accept-Encoding', 'gzip, deflate, br'], ['Accept-Language', 'en-US,en;q=0.9']];
    const extra = int(3, 17);
    for (let h = 0; h < extra; h++) headers.push([`X-${pick(WORDS)}-${h}`, hex(int(8, 40))]);
    if (random() < 0.3) headers.push(['Cookie', `session=${hex(32)}; theme=dark`]);
    if (random() < 0.2) headers.push(['Authorization', `Bearer ${hex(64)}`]);
    const requestBody = method === 'POST' || method === 'PUT' || method === 'PATCH' ? textBody(int(20, 2048), 'application/json') : Buffer.alloc(0);
    if (requestBody.length) headers.push(['Content-Type', 'application/json'], ['Content-Length', String(requestBody.length)]);
    const httpVersion = scheme === 'https' && random() < 0.5 ? 'HTTP/2.0' : 'HTTP/1.1';
    const state = {
      id: uuid(), type: 'http', error: null, clientConn: conn(t, host, port, scheme === 'https', true), serverConn: conn(t, host, port, scheme === 'https', false),
      intercepted: false, isReplay: null, marked: '', metadata: {}, comment: '', timestampCreated: t, backup: null,
      request: { httpVersion, method, scheme, host, port, path, authority: httpVersion === 'HTTP/2.0' ? host : '', headers, content: requestBody, trailers: null, timestampStart: t + 0.03, timestampEnd: t + 0.031 },
      response: null, websocket: null,
    };
    const kind = random();
    if (kind < 0.025) {
      state.error = { msg: pick(['server closed connection', 'Connection killed.', 'Request timed out']), timestamp: t + 0.5 };
      return state;
    }
    if (kind < 0.032) {
      state.response = { httpVersion: 'HTTP/1.1', statusCode: 101, reason: 'Switching Protocols', headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade']], content: Buffer.alloc(0), trailers: null, timestampStart: t + 0.05, timestampEnd: t + 0.05 };
      state.websocket = { messages: Array.from({ length: int(2, 30) }, (_, m) => ({ type: 1, fromClient: m % 2 === 0, content: textBody(int(10, 400), 'text/plain'), timestamp: t + 0.1 + m, dropped: false, injected: false })), closedByClient: true, closeCode: 1000, closeReason: '', timestampEnd: t + 40 };
      return state;
    }
    const status = weighted(STATUS);
    const { type, body, coding } = status === 204 || status === 304 ? { type: 'text/plain', body: Buffer.alloc(0), coding: null } : responseBody();
    const responseHeaders = [['Date', 'Sat, 01 Jun 2024 00:00:00 GMT'], ['Content-Type', type], ['Content-Length', String(body.length)], ['Cache-Control', 'max-age=3600'], ['Server', 'nginx']];
    if (coding) responseHeaders.push(['Content-Encoding', coding]);
    if (random() < 0.2) responseHeaders.push(['Set-Cookie', `sid=${hex(32)}; Path=/; HttpOnly; Secure`]);
    state.response = { httpVersion, statusCode: status, reason: httpVersion === 'HTTP/2.0' ? '' : REASONS[status], headers: responseHeaders, content: body, trailers: null, timestampStart: t + 0.1, timestampEnd: t + 0.12 };
    return state;
  }

  return { flowState, random };
}
