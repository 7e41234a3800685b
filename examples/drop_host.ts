// Drop every flow to the hosts given as arguments: -s "examples/drop_host.ts tracker.test ads.test"
import type { Flow, ScriptContext } from 'flowtx';

let hosts = new Set<string>();

export function start(ctx: ScriptContext, argv: string[]): void {
  hosts = new Set(argv.slice(1).map((h) => h.toLowerCase()));
  if (hosts.size === 0) ctx.log.warn('no hosts given; nothing will be dropped');
}

export function request(ctx: ScriptContext, flow: Flow): void {
  if (hosts.has(flow.request.prettyHost.toLowerCase())) ctx.drop();
}

export function done(ctx: ScriptContext): void {
  ctx.log.info(`dropped ${ctx.counts.dropped} of ${ctx.counts.read} flows`);
}
