// Plain JavaScript works too. Replaces credentials in headers, cookies and the query string.
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key'];
const SECRET_PARAMS = ['api_key', 'token', 'access_token'];

export function request(ctx, flow) {
  for (const name of SECRET_HEADERS) {
    if (flow.request.headers.has(name)) flow.request.headers.set(name, 'REDACTED');
  }
  for (const name of SECRET_PARAMS) {
    if (flow.request.query.has(name)) flow.request.query.set(name, 'REDACTED');
  }
  if (flow.request.headers.has('cookie')) {
    const cookies = flow.request.cookies;
    for (const [name] of cookies) cookies.set(name, 'REDACTED');
  }
}

export function response(ctx, flow) {
  if (flow.response.headers.has('set-cookie')) {
    flow.response.headers.set(
      'set-cookie',
      flow.response.cookies.map((c) => `${c.name}=REDACTED`),
    );
  }
}
