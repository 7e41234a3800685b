// The CommonJS face of the script API: `require('flowtx')` in a .cjs script gets the very classes the
// running flowtx uses (the ES module registers them before scripts load), so instanceof and flow.copy() work.

const api = (globalThis as Record<symbol, unknown>)[Symbol.for('flowtx.api')];
if (api === undefined) {
  throw new Error("require('flowtx') works inside scripts run by flowtx; elsewhere use import('flowtx')");
}
export = api;
