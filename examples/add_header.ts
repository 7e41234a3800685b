// The seed's example: add a header to every response.
import type { Flow, ScriptContext } from 'flowtx';

export function response(ctx: ScriptContext, flow: Flow): void {
  flow.response!.headers.set('newheader', 'foo');
}
