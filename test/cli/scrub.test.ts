// End to end: `flowtx scrub` as a user types it. Spawns the built command, so --jobs workers load builtin:scrub
// by its -s string (options included) from their own bundle.

import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { createFlow, Flow } from '../../src/model/flow.js';
import { flowtx, readFlows, tmp } from '../helpers/cli.js';
import { encodeAll } from '../helpers/tflow.js';

const SECRET = 'hunter2-e2e-secret';

/** A flow file of two flows: one with a password in its query, one with nothing to redact. */
function capture(dir: string): string {
  const flows = [
    createFlow({ request: { url: `https://a.test/login?password=${SECRET}&q=keep` }, response: { statusCode: 204 }, timestamp: 1 }),
    createFlow({ request: { url: 'https://a.test/static/app.js' }, response: { content: 'console.log(1)' }, timestamp: 2 }),
  ];
  const path = join(dir, 'in.flows');
  writeFileSync(path, encodeAll(mitmproxyCodec, flows.map((f) => Flow.state(f))));
  writeFileSync(join(dir, 'clean.record'), encodeAll(mitmproxyCodec, [Flow.state(flows[1]!)]));
  return path;
}

describe('flowtx scrub', () => {
  test('--out-dir with two workers: the same placeholders as one thread, keyed by --scrub-key, clean flows byte-identical', async () => {
    const dir = tmp('flowtx-scrub-e2e-');
    const input = capture(dir);
    for (const name of ['b.flows', 'c.flows']) copyFileSync(input, join(dir, name));
    const outputs = (jobs: string, key: string): Record<string, Buffer> => {
      const out = join(dir, `out-${jobs}-${key}`);
      const r = flowtx(['scrub', '*.flows', '--out-dir', out, '--jobs', jobs, '--scrub-key', key], { cwd: dir });
      expect(r.stderr).not.toContain(SECRET);
      expect(r.code).toBe(0);
      return Object.fromEntries(readdirSync(out).map((name) => [name, readFileSync(join(out, name))]));
    };
    const one = outputs('1', 'k1');
    expect(outputs('2', 'k1')).toEqual(one);
    expect(outputs('1', 'k2')['in.flows']).not.toEqual(one['in.flows']);
    const text = one['in.flows']!.toString('latin1');
    expect(text).not.toContain(SECRET);
    expect(text).toMatch(/password=REDACTED-[0-9a-f]{8}&q=keep/);
    expect(one['in.flows']!.includes(readFileSync(join(dir, 'clean.record')))).toBe(true);
    const [scrubbed, clean] = await readFlows(join(dir, 'out-1-k1/in.flows'));
    expect(scrubbed!.request.path).toMatch(/^\/login\?password=REDACTED-[0-9a-f]{8}&q=keep$/);
    expect(clean!.request.path).toBe('/static/app.js');
  });

  test('FLOWTX_SCRUB_KEY keys the placeholders; --scrub-style fixed writes REDACTED; a chained script sees the scrubbed flow', async () => {
    const dir = tmp('flowtx-scrub-e2e-');
    const input = capture(dir);
    const byEnv = flowtx(['scrub', input, '-', '--to', 'ndjson'], { env: { FLOWTX_SCRUB_KEY: 'k1' } });
    const byFlag = flowtx(['scrub', input, '-', '--to', 'ndjson', '--scrub-key', 'k1']);
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toBe(byFlag.stdout);
    const script = join(dir, 'see.mjs');
    writeFileSync(script, "export function request(ctx, flow) { ctx.log.warn(flow.request.path); }\n");
    const fixed = flowtx(['scrub', '--scrub-style', 'fixed', '-s', script, input, join(dir, 'out.flows')]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toContain('/login?password=REDACTED&q=keep');
    expect(fixed.stderr).toContain('[builtin:scrub] redacted 1 value in 1 flow');
  });

  test('scrub needs an OUTPUT or --out-dir; --help shows its options', () => {
    const r = flowtx(['scrub', 'in.flows']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('scrub writes flows: give an OUTPUT (or - for stdout) or --out-dir DIR');
    const help = flowtx(['scrub', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--scrub-key');
    expect(help.stdout).toContain('--scrub-style');
  });
});
