// FlowView.of: one view per flow, kept (with what it derived) until the flow changes, then made again; it
// never marks the flow, and a view made before a change does not answer for the flow after it.

import { describe, expect, test } from 'vitest';
import { makeResponse } from '../../src/model/flow.js';
import { FlowView } from '../../src/model/view.js';
import { tflow } from '../helpers/tflow.js';

describe('FlowView.of', () => {
  test('gives the same view while the flow is unchanged, and reading it marks nothing', () => {
    const flow = tflow();
    const view = FlowView.of(flow);
    void [view.prettyUrl, view.body('response'), view.headerBlock('request'), view.metadataText];
    expect(FlowView.of(flow)).toBe(view);
    expect(flow.changed).toBe(false);
  });

  test.each([
    ['a header set', (f: ReturnType<typeof tflow>) => f.request.headers.set('Host', 'other.example'), (v: FlowView) => v.prettyHost, 'other.example'],
    ['the response replaced', (f: ReturnType<typeof tflow>) => (f.response = makeResponse({ statusCode: 404, content: 'gone' })), (v: FlowView) => v.body('response'), 'gone'],
    ['metadata set in place', (f: ReturnType<typeof tflow>) => (f.metadata.k = 'v'), (v: FlowView) => v.metadataText, 'k: v'],
    ['a connection changed in place', (f: ReturnType<typeof tflow>) => (f.clientConn.peername![1] = 1), (v: FlowView) => v.source, '127.0.0.1:1'],
  ])('is made again after %s, and answers for the changed flow', (_name, change, read, expected) => {
    const flow = tflow();
    const before = FlowView.of(flow);
    void read(before);
    change(flow);
    const after = FlowView.of(flow);
    expect(after).not.toBe(before);
    expect(read(after)).toBe(expected);
  });
});
