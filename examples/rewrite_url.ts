// Point every request at another origin, keeping path and query:
//   -s "examples/rewrite_url.ts https://staging.example.com"
import type { Flow, ScriptContext } from 'flowtx';

let origin = 'http://127.0.0.1:8080';

export function start(ctx: ScriptContext, argv: string[]): void {
  if (argv[1] !== undefined) origin = argv[1].replace(/\/$/, '');
}

export function request(ctx: ScriptContext, flow: Flow): void {
  flow.request.url = origin + flow.request.path;
}
