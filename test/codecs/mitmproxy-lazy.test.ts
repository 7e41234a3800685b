// Flows read lazily and written back at their version: what nobody changed is copied from the file, the
// rest encoded. Whatever a script did, the bytes must be those the whole encoder writes for the same state.

import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { DOMAINS } from '../../src/model/domains.js';
import { copyState, Flow } from '../../src/model/flow.js';
import { FlowRecord } from '../../src/model/record.js';
import type { HttpFlowState } from '../../src/model/state.js';
import { httpFlowState } from '../helpers/arbitrary.js';
import { chunked, collectRecords } from '../helpers/tflow.js';

function encode(records: FlowRecord[], flowVersion: number): Buffer {
  const encoder = mitmproxyCodec.encoder({ flowVersion });
  return Buffer.concat([...encoder.begin(), ...records.flatMap((r) => encoder.encode(r)), ...encoder.end()]);
}

/** The first request header a script may set again (the arbitrary states hold any bytes; setters refuse some). */
const settable = (f: Flow) => f.request.headers.fields.find(([n, v]) => DOMAINS.headerName.accepts(n) && DOMAINS.headerValue.accepts(v));

/** What scripts do to flows, each through the model as a script would. */
const EDITS: [string, (flow: Flow) => void][] = [
  ['reads the headers only', (f) => void [f.request.headers.get('host'), f.response?.headers.get('content-type')]],
  ['appends a response header', (f) => f.response?.headers.set('newheader', 'foo')],
  ['changes the first settable request header in place', (f) => {
    const first = settable(f);
    if (first !== undefined) f.request.headers.set(first[0], `${first[1]}-changed`);
  }],
  ['sets a request header to the value it has', (f) => {
    const first = settable(f);
    if (first !== undefined) f.request.headers.set(first[0], first[1]);
  }],
  ['removes every request header', (f) => f.request.headers.clear()],
  ['changes the method', (f) => (f.request.method = 'PATCH')],
  ['sets a comment, then the one it had', (f) => {
    const comment = f.comment;
    f.comment = 'temporary';
    f.comment = comment;
  }],
  ['sets a new comment', (f) => (f.comment = 'reviewed')],
  ['drops the response', (f) => (f.response = null)],
  ['reads the error and the marker', (f) => void [f.error, f.marked]],
];

/**
 * Flows with a metadata dict of one plain entry. The writer puts a dict's entries in reverse, as mitmproxy
 * does, so a state read and written whole flips the order of a dict of several keys (as mitmproxy's load and
 * save do), while a copied field keeps the file's order.
 */
const flowStates = fc.array(
  httpFlowState.map((s) => ({ ...s, metadata: { note: 'kept' }, backup: null })),
  { minLength: 1, maxLength: 3 },
);

describe('lazily read flows written back', () => {
  prop.prop([flowStates, fc.constantFrom(17, 18, 19, 20, 21), fc.constantFrom(...EDITS)], { numRuns: 200 })(
    'encode to the bytes the whole encoder gives their state',
    async (states, version, [, edit]) => {
      const file = encode(states.map((s) => FlowRecord.of(new Flow(structuredClone(s)))), version);
      const records = await collectRecords(mitmproxyCodec.decode(chunked(file, 4096), 'in.flows'));
      for (const record of records) edit(record.flow);
      const lazily = encode(records, version);
      const whole = encode(records.map((r) => FlowRecord.of(new Flow(copyState(Flow.state(r.flow) as HttpFlowState)))), version);
      expect(lazily.toString('latin1')).toBe(whole.toString('latin1'));
    },
  );
});
