// The ES module face of the script API inside a run: `import … from 'flowtx'` in a script resolves here
// (see loader-hooks.ts), and gets the very classes the running flowtx uses, bundled or not, so instanceof,
// flow.copy() and ctx.emit() work. Kept in step with index.ts by test/api.test.ts.

import type * as Api from './index.js';

const api = (globalThis as Record<symbol, unknown>)[Symbol.for('flowtx.api')] as typeof Api | undefined;
if (api === undefined) throw new Error('flowtx/api.mjs is loaded by scripts run by flowtx; elsewhere import "flowtx"');

export const { Flow, createFlow, makeResponse, Request, Response, Headers, FlowView, FlowtxError, BodyError, BodyLimitError, defineScript } = api;
