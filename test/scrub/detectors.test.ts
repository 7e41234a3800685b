// The scrubber's tables: per location and detector, what is redacted and what must survive (ids, UUIDs, content
// hashes, ETags, SRI hashes, CSP nonces, base64 images, CSRF header names, `tokenizer` …). Placeholders are the
// fixed REDACTED here, so the expected outputs read plainly; placeholder.test.ts pins the HMAC ones.

import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { createFlow } from '../../src/model/flow.js';
import { Headers } from '../../src/model/headers.js';
import { Scrubber } from '../../src/scrub/context.js';
import { scrubHeaders } from '../../src/scrub/headers.js';
import { scrubJson } from '../../src/scrub/json.js';
import { isSecretKey, keyWords } from '../../src/scrub/keys.js';
import { placeholders } from '../../src/scrub/placeholder.js';
import { scrubFlow } from '../../src/scrub/scrub.js';
import { BUILTIN_DETECTORS, scrubText } from '../../src/scrub/text.js';
import { scrubUrl } from '../../src/scrub/url.js';

const scrubber = (): Scrubber => new Scrubber(placeholders('fixed'), BUILTIN_DETECTORS);

describe('key names', () => {
  test.each([
    ['apiKey', ['api', 'key']],
    ['X-Amz-Security-Token', ['x', 'amz', 'security', 'token']],
    ['SAMLResponse', ['saml', 'response']],
    ['client_secret', ['client', 'secret']],
    ['oauth.token', ['oauth', 'token']],
  ])('%s splits into %j', (name, words) => {
    expect(keyWords(name)).toEqual(words);
  });

  test.each([
    'password', 'passwd', 'pwd', 'Password', 'new_password', 'secret', 'client_secret', 'clientSecret', 'token', 'access_token',
    'refresh_token', 'id_token', 'accessToken', 'auth', 'x-auth-token', 'session', 'sessionid', 'sessionId', 'session_id', 'sid',
    'api_key', 'apiKey', 'api-key', 'apikey', 'x-api-key', 'X-Api-Key', 'private_key', 'privateKey', 'credential', 'credentials',
    'signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'sig', 'SAMLResponse', 'SAMLRequest',
    'x-csrf-token', 'authenticity_token', 'otp', 'mfa_code', 'aws_secret_access_key', 'Ocp-Apim-Subscription-Key', 'jwt',
  ])('%s is a secret key', (name) => {
    expect(isSecretKey(name)).toBe(true);
  });

  test.each([
    'tokenizer', 'max_tokens', 'maxTokens', 'total_tokens', 'author', 'authority', 'public_key', 'publicKey', 'key_id', 'keyId',
    'client_id', 'token_type', 'expires_in', 'secret_name', 'keyboard', 'monkey', 'key', 'id', 'request_id', 'code', 'status_code',
    'SigAlg', 'X-Amz-SignedHeaders', 'X-Amz-Algorithm', 'www-authenticate', 'sec-websocket-key', 'passive', 'session_expires_at',
    'etag', 'nonce', 'integrity', 'oauth_signature_method', 'Access-Control-Allow-Credentials', 'access-control-allow-headers',
  ])('%s is not a secret key', (name) => {
    expect(isSecretKey(name)).toBe(false);
  });

  test('`code` and `ticket` are secrets only in callbacks (query, fragment, form)', () => {
    expect(isSecretKey('code', 'callback')).toBe(true);
    expect(isSecretKey('ticket', 'callback')).toBe(true);
    expect(isSecretKey('code')).toBe(false);
  });
});

describe('headers', () => {
  test.each([
    ['Authorization', 'Bearer abc.def', 'Bearer REDACTED'],
    ['authorization', 'Basic YWxpY2U6c2VjcmV0', 'Basic REDACTED'],
    ['Proxy-Authorization', 'Basic YWxpY2U6c2VjcmV0', 'Basic REDACTED'],
    ['Authorization', 'sometoken', 'REDACTED'],
    ['Authorization', 'Bearer abc==', 'Bearer REDACTED'],
    [
      'Authorization',
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024',
      'AWS4-HMAC-SHA256 Credential=REDACTED, SignedHeaders=host;range;x-amz-date, Signature=REDACTED',
    ],
    ['Authorization', 'Digest username="bob", realm="r", nonce="abc", uri="/", response="6629fae49393a05397450978507c4ef1"', 'Digest username="bob", realm="r", nonce="abc", uri="/", response="REDACTED"'],
    ['Cookie', 'sessionid=abc123; theme=dark; csrftoken=xyz', 'sessionid=REDACTED; theme=REDACTED; csrftoken=REDACTED'],
    ['Set-Cookie', 'sessionid=abc123; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax', 'sessionid=REDACTED; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax'],
    ['X-Api-Key', 'k-123', 'REDACTED'],
    ['x-auth-token', 'k-123', 'REDACTED'],
    ['X-Session-Token', 'k-123', 'REDACTED'],
    ['X-Amz-Security-Token', 'FwoGZXIvYXdzEJr', 'REDACTED'],
    ['X-CSRF-Token', 'csrf-value', 'REDACTED'],
    ['Location', 'https://app.test/cb?code=abc&state=s1', 'https://app.test/cb?code=REDACTED&state=s1'],
    ['Referer', 'https://app.test/page?token=t1&q=shoes', 'https://app.test/page?token=REDACTED&q=shoes'],
    ['X-Debug', 'user eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-x', 'user REDACTED'],
  ])('%s: %s → %s', (name, value, expected) => {
    const headers = new Headers([[name, value]]);
    scrubHeaders(headers, scrubber(), 'request.header');
    expect(headers.fields).toEqual([[name, expected]]);
  });

  test.each([
    ['ETag', '"33a64df551425fcc55e4d42a148795d9f25f89d4"'],
    ['X-Request-Id', 'f47ac10b-58cc-4372-a567-0e02b2c3d479'],
    ['Content-Security-Policy', "script-src 'nonce-rAnd0m123' 'strict-dynamic'"],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
    ['Access-Control-Allow-Headers', 'X-CSRF-Token, Authorization, X-Api-Key'],
    ['WWW-Authenticate', 'Bearer realm="api"'],
    ['Link', '</app.3f9a1c0e5b2d.js>; rel=preload; as=script; integrity=sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC'],
    ['Location', '/new-page'],
    ['Content-Type', 'multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW'],
  ])('%s: %s is kept', (name, value) => {
    const headers = new Headers([[name, value]]);
    const s = scrubber();
    scrubHeaders(headers, s, 'response.header');
    expect(headers.fields).toEqual([[name, value]]);
    expect(s.take()).toEqual([]);
  });

  test('fields keep their order and names; findings name the place, never the value', () => {
    const headers = new Headers([['Host', 'a.test'], ['Cookie', 'sid=s3cr3t'], ['Accept', '*/*'], ['cookie', 'b=2']]);
    const s = scrubber();
    scrubHeaders(headers, s, 'request.header');
    expect(headers.fields).toEqual([['Host', 'a.test'], ['Cookie', 'sid=REDACTED'], ['Accept', '*/*'], ['cookie', 'b=REDACTED']]);
    expect(s.take()).toEqual([{ where: 'request.header cookie sid', rule: 'cookie' }, { where: 'request.header cookie b', rule: 'cookie' }]);
  });
});

describe('URLs', () => {
  test.each([
    ['/api/search?q=shoes&api_key=k1&note=x', '/api/search?q=shoes&api_key=REDACTED&note=x'],
    ['https://app.test/cb#id_token=tok&state=xyz', 'https://app.test/cb#id_token=REDACTED&state=xyz'],
    ['https://app.test/cb?code=4%2F0Adeu5&scope=email', 'https://app.test/cb?code=REDACTED&scope=email'],
    ['postgres://admin:hunter2@db.test:5432/app', 'postgres://admin:REDACTED@db.test:5432/app'],
    ['https://bucket.s3.test/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20240101&X-Amz-Signature=abcdef0123', 'https://bucket.s3.test/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED'],
    ['https://acct.blob.test/c/b?sv=2020-08-04&sig=abc%3D', 'https://acct.blob.test/c/b?sv=2020-08-04&sig=REDACTED'],
    ['/login?next=%2Fcb%3Ftoken%3Dt1', '/login?next=%2Fcb%3Ftoken%3DREDACTED'],
    ['/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', '/reset/REDACTED'],
  ])('%s → %s', (url, expected) => {
    expect(scrubUrl(url, scrubber(), 'request.url')).toBe(expected);
  });

  test.each([
    '/static/app.3f9a1c0e5b2d7a8c9d0e1f2a3b4c5d6e.js',
    '/api/products?page=1&per_page=20&q=keep-me-vis-canary-17',
    '/v1/users/f47ac10b-58cc-4372-a567-0e02b2c3d479?client_id=web&max_tokens=5',
    'https://cdn.test/img/logo.png?v=9b74c9897bac770ffc029102a200c5de',
    '/search?q=password+reset&key_id=k1',
    '/oauth/authorize?response_type=code&client_id=web',
  ])('%s is kept', (url) => {
    expect(scrubUrl(url, scrubber(), 'request.url')).toBeUndefined();
  });
});

describe('JSON', () => {
  test.each([
    ['{"password": "p1", "user": "bob"}', '{"password": "REDACTED", "user": "bob"}'],
    ['{"a":{"b":[{"c":{"d":{"accessToken":"t"}}}]}}', '{"a":{"b":[{"c":{"d":{"accessToken":"REDACTED"}}}]}}'],
    ['{"tokens":["a"],"refresh_tokens":["r1","r2"]}', '{"tokens":["a"],"refresh_tokens":["REDACTED","REDACTED"]}'],
    ['{"otp": 123456}', '{"otp": "REDACTED"}'],
    ['[{"name":"password","value":"p1"},{"name":"user","value":"bob"}]', '[{"name":"password","value":"REDACTED"},{"name":"user","value":"bob"}]'],
    ['{"query":"mutation($p: String!) { login(password: $p) }","variables":{"p":"x","input":{"apiKey":"k"}}}', '{"query":"mutation($p: String!) { login(password: $p) }","variables":{"p":"x","input":{"apiKey":"REDACTED"}}}'],
    ['{"query":"{ login(user: \\"bob\\", password: \\"hunter2\\") { ok } }"}', '{"query":"{ login(user: \\"bob\\", password: \\"REDACTED\\") { ok } }"}'],
    ['{"payload":"{\\"client_secret\\":\\"cs\\",\\"n\\":1}"}', '{"payload":"{\\"client_secret\\":\\"REDACTED\\",\\"n\\":1}"}'],
    ['{"key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n"}', '{"key":"-----BEGIN PRIVATE KEY-----REDACTED-----END PRIVATE KEY-----\\n"}'],
    ['{"db":"mongodb+srv://app:pw0rd@cluster.test/x"}', '{"db":"mongodb+srv://app:REDACTED@cluster.test/x"}'],
    ['{"next":"https://a.test/cb?access_token=t&x=1"}', '{"next":"https://a.test/cb?access_token=REDACTED&x=1"}'],
    ['{"id": 12345678901234567890, "token": "t",  "x": 1.50}', '{"id": 12345678901234567890, "token": "REDACTED",  "x": 1.50}'],
    ['{"token":"a"}\n{"token":"b"}\n', '{"token":"REDACTED"}\n{"token":"REDACTED"}\n'],
  ])('%s → %s', (json, expected) => {
    expect(scrubJson(json, scrubber(), 'response.body')).toBe(expected);
  });

  test.each([
    '{"id":"f47ac10b-58cc-4372-a567-0e02b2c3d479","etag":"W/\\"33a64df5\\"","integrity":"sha384-oqVuAfXRKap7fdgcCY5uykM6"}',
    '{"max_tokens":100,"tokenizer":"cl100k","author":"ann","public_key":"ssh-ed25519 AAAAC3Nz","key_id":"k1","client_id":"web"}',
    '{"code":"NOT_FOUND","message":"no such item","q":"keep-me-vis-canary-17"}',
    '{"image":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"}',
    '{"token_type":"Bearer","expires_in":3600,"password":"REDACTED-3f9a1c0e"}',
    '{"pin": 1234, "password": null, "auth": true, "tokens": ["a", "b"], "secret": ""}',
  ])('%s is kept', (json) => {
    expect(scrubJson(json, scrubber(), 'response.body')).toBeUndefined();
  });

  test('findings give the JSON path', () => {
    const s = scrubber();
    scrubJson('{"data":{"items":[{"token":"t"}]}}', s, 'response.body');
    expect(s.take()).toEqual([{ where: 'response.body $.data.items[0].token', rule: 'key' }]);
  });

  test('text that is not JSON is null, and leaves no findings', () => {
    const s = scrubber();
    expect(scrubJson('{"token": "t", oops', s, 'response.body')).toBeNull();
    expect(s.take()).toEqual([]);
  });
});

describe('shapes in text', () => {
  test.each([
    ['jwt', 'a eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl b', 'a REDACTED b'],
    ['pem', '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----REDACTED-----END RSA PRIVATE KEY-----'],
    ['escaped pem', '"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----"', '"-----BEGIN EC PRIVATE KEY-----REDACTED-----END EC PRIVATE KEY-----"'],
    ['connection string', 'DATABASE_URL=redis://:s3cret@cache.test:6379/0', 'DATABASE_URL=redis://:REDACTED@cache.test:6379/0'],
    ['JS config', 'window.cfg = {apiKey: "AIzaSyA-1", version: "2"};', 'window.cfg = {apiKey: "REDACTED", version: "2"};'],
    ['ADO string', 'Server=db;User Id=sa;Password=Pa55;', 'Server=db;User Id=sa;Password=REDACTED;'],
    ['hidden input', '<input type="hidden" name="client_secret" value="cs1">', '<input type="hidden" name="client_secret" value="REDACTED">'],
    ['XML', '<wsse:Password Type="x">pw</wsse:Password><User>bob</User>', '<wsse:Password Type="x">REDACTED</wsse:Password><User>bob</User>'],
    ['SAML signature', '<ds:SignatureValue>dGVzdA==</ds:SignatureValue>', '<ds:SignatureValue>REDACTED</ds:SignatureValue>'],
  ])('%s: %s → %s', (_, text, expected) => {
    expect(scrubText(text, scrubber(), 'response.body')).toBe(expected);
  });

  test.each([
    '<script src="/app.3f9a1c0e5b2d.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K" nonce="rAnd0m123"></script>',
    '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk">',
    'const tokenizer = new Tokenizer(); headers["X-CSRF-Token"] = csrf; auth: authHeader,',
    'commit 9b74c9897bac770ffc029102a200c5de31b2c1e0 by author@example.test',
    'see https://example.test/docs and git@github.test:org/repo.git',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
  ])('%s is kept', (text) => {
    expect(scrubText(text, scrubber(), 'response.body')).toBeUndefined();
  });
});

describe('bodies and flows', () => {
  test('a gzip JSON body is decoded, scrubbed and gzipped again, Content-Length fixed', () => {
    const body = gzipSync('{"api_token":"t1","q":"keep"}');
    const flow = createFlow({ request: { url: 'https://a.test/' }, response: { headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': String(body.length) }, content: body } });
    const findings = scrubFlow(flow, scrubber());
    expect(findings).toEqual([{ where: 'response.body $.api_token', rule: 'key' }]);
    expect(flow.response!.text).toBe('{"api_token":"REDACTED","q":"keep"}');
    expect(flow.response!.headers.get('content-encoding')).toBe('gzip');
    expect(flow.response!.headers.get('content-length')).toBe(String(flow.response!.content!.byteLength));
  });

  test.each([
    ['application/x-www-form-urlencoded', 'user=bob&password=p%40ss&SAMLResponse=PHNhbWw%2B&RelayState=r1', 'user=bob&password=REDACTED&SAMLResponse=REDACTED&RelayState=r1'],
    ['multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data; name="password"\r\n\r\np1\r\n--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nkeep token=t9\r\n--XyZ--\r\n', '--XyZ\r\nContent-Disposition: form-data; name="password"\r\n\r\nREDACTED\r\n--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nkeep token=REDACTED\r\n--XyZ--\r\n'],
    ['text/html', '<form><input name="password" value="p1"></form>', '<form><input name="password" value="REDACTED"></form>'],
  ])('%s request body', (type, body, expected) => {
    const flow = createFlow({ request: { url: 'https://a.test/login', method: 'POST', headers: { 'Content-Type': type }, content: body } });
    scrubFlow(flow, scrubber());
    expect(flow.request.text).toBe(expected);
  });

  test('a multipart file part keeps its binary bytes while a field beside it is redacted', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x80]);
    const body = Buffer.concat([Buffer.from('--B\r\nContent-Disposition: form-data; name="token"\r\n\r\nt1\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n'), png, Buffer.from('\r\n--B--\r\n')]);
    const flow = createFlow({ request: { url: 'https://a.test/up', method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=B' }, content: body } });
    scrubFlow(flow, scrubber());
    const out = Buffer.from(flow.request.content!);
    expect(out.includes(png)).toBe(true);
    expect(out.toString('latin1')).toContain('name="token"\r\n\r\nREDACTED\r\n');
  });

  test.each([
    ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Buffer.from('token=abc')])],
    ['application/octet-stream', Buffer.from('password=abc')],
    [undefined, Buffer.concat([Buffer.from('password=abc'), Buffer.from([0])])],
  ])('a %s body is binary and left as it is', (type, body) => {
    const flow = createFlow({ request: { url: 'https://a.test/' }, response: { headers: type === undefined ? {} : { 'Content-Type': type }, content: body } });
    expect(scrubFlow(flow, scrubber())).toEqual([]);
    expect(flow.changed).toBe(false);
  });

  test('a body that does not decode for its content-encoding is reported and replaced', () => {
    const flow = createFlow({ request: { url: 'https://a.test/' }, response: { headers: { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' }, content: 'token=abc, not gzip' } });
    expect(scrubFlow(flow, scrubber())).toEqual([{ where: 'response.body', rule: 'undecodable-body' }]);
    expect(flow.response!.headers.has('content-encoding')).toBe(false);
    expect(flow.response!.text).toBe('REDACTED');
  });

  test('WebSocket text messages are scrubbed; binary ones and clean ones are left', () => {
    const flow = createFlow({ request: { url: 'http://a.test/ws' }, response: { statusCode: 101 } });
    const message = (type: number, content: string, fromClient = true) => ({ type, fromClient, content: Buffer.from(content), timestamp: 1, dropped: false, injected: false });
    flow.websocket = { messages: [message(1, '{"type":"auth","token":"ws1"}'), message(2, 'token=bin'), message(1, 'hello', false)], closedByClient: true, closeCode: 1000, closeReason: '', timestampEnd: 2 };
    expect(scrubFlow(flow, scrubber())).toEqual([{ where: 'websocket.message[0] $.token', rule: 'key' }]);
    expect(flow.websocket!.messages.map((m) => Buffer.from(m.content).toString())).toEqual(['{"type":"auth","token":"REDACTED"}', 'token=bin', 'hello']);
  });
});
