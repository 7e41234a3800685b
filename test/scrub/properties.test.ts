// Properties of the scrubber over generated flows: scrubbing twice equals scrubbing once (a second pass finds
// nothing and changes nothing), and a flow with no finding is left unchanged, state and change mark alike.

import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { copyState, createFlow, Flow } from '../../src/model/flow.js';
import type { FlowState } from '../../src/model/state.js';
import { Scrubber } from '../../src/scrub/context.js';
import { placeholders } from '../../src/scrub/placeholder.js';
import { scrubFlow } from '../../src/scrub/scrub.js';
import { BUILTIN_DETECTORS } from '../../src/scrub/text.js';
import { httpFlowState } from '../helpers/arbitrary.js';

const scrubber = new Scrubber(placeholders('hmac', 'test-key'), BUILTIN_DETECTORS);

/** Scrubs a fresh flow over a copy of `state`: its findings, whether it changed, and its state after. */
function scrubbed(state: FlowState): { findings: number; changed: boolean; state: FlowState } {
  const flow = new Flow(copyState(state));
  const findings = scrubFlow(flow, scrubber).length;
  return { findings, changed: flow.changed, state: Flow.state(flow) };
}

// Pieces that make secrets and look-alikes meet: secret and plain key names, shapes, placeholders, separators.
const KEYS = ['password', 'token', 'api_key', 'apiKey', 'code', 'id', 'q', 'name', 'value', 'tokenizer', 'session_id', 'sig', 'note'];
const piece = fc.oneof(
  fc.constantFrom(...KEYS),
  fc.constantFrom('=', '&', ';', ':', ' ', '"', "'", '?', '#', '/', '@', '://', '%', '+', '\\n', ',', '{', '}', '<', '>', '</', 'name=', 'value='),
  fc.constantFrom('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln', '-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----', 'postgres://u:p@h', 'Bearer ', 'Basic ', 'REDACTED', 'REDACTED-0123abcd'),
  fc.string({ maxLength: 6 }),
);
const soup = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    soup,
    fc.integer(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 4 })), tie('value'), { maxKeys: 4 }),
  ),
})).value;
const HEADERS = ['Authorization', 'Cookie', 'X-Api-Key', 'Referer', 'Location', 'X-Debug', 'Accept', 'Set-Cookie', 'Proxy-Authorization'];

const secretFlowState = fc
  .record({
    query: fc.array(fc.tuple(fc.constantFrom(...KEYS), soup), { maxLength: 4 }),
    fragment: fc.option(soup, { nil: undefined }),
    headers: fc.array(fc.tuple(fc.constantFrom(...HEADERS), soup), { maxLength: 5 }),
    type: fc.constantFrom('application/json', 'text/html', 'application/x-www-form-urlencoded', 'text/plain'),
    body: fc.oneof(json.map((v) => JSON.stringify(v, null, 1)), soup),
  })
  .map(({ query, fragment, headers, type, body }) => {
    const search = query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const url = `https://a.test/p${search === '' ? '' : `?${search}`}${fragment === undefined ? '' : `#${encodeURIComponent(fragment)}`}`;
    const flow = createFlow({
      request: { url, method: 'POST', headers: [...headers.map(([n, v]) => [n, Buffer.from(v).toString('latin1')] as [string, string]), ['Content-Type', type]], content: body },
      response: { headers: [['Content-Type', type]], content: body },
      timestamp: 1,
    });
    return Flow.state(flow);
  });

describe('scrubbing', () => {
  test.prop([fc.oneof(httpFlowState as fc.Arbitrary<FlowState>, secretFlowState)], { numRuns: 400 })('twice equals once; no finding, no change', (state) => {
    const once = scrubbed(state);
    if (once.findings === 0) {
      expect(once.changed).toBe(false);
      expect(once.state).toEqual(state);
    }
    const twice = scrubbed(once.state);
    expect(twice.findings).toBe(0);
    expect(twice.changed).toBe(false);
  });
});
