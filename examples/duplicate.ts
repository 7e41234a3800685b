// Emit a copy of every POST request right after it, with a marker header and a comment.
import type { Flow, ScriptContext } from 'flowtx';

export function request(ctx: ScriptContext, flow: Flow): void {
  if (flow.request.method !== 'POST') return;
  const copy = flow.copy();
  copy.request.headers.set('x-replayed-from', flow.id);
  copy.comment = `copy of flow #${ctx.index} of ${ctx.input}`;
  ctx.emit(copy);
}
