// Where a flow came from: a saved file (path, index, byte offset), live traffic (the client and the flow's
// number on the proxy), a script that emitted it, or code that created it (the library API, tests). Messages, listings and summaries describe each kind
// through describeOrigin, so none of them has to guess from missing fields.

export type Origin =
  | { readonly kind: 'file'; readonly path: string; readonly index: number; readonly offset: number }
  | { readonly kind: 'live'; readonly client: string; readonly seq: number }
  | { readonly kind: 'emitted'; readonly by: string }
  | { readonly kind: 'created' };

export const CREATED: Origin = Object.freeze({ kind: 'created' });

/** "flow #3 of in.ftx", "live flow #12 from 127.0.0.1:51514", "a flow emitted by x.ts", "a new flow". */
export function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'file':
      return `flow #${origin.index} of ${origin.path}`;
    case 'live':
      return `live flow #${origin.seq} from ${origin.client}`;
    case 'emitted':
      return `a flow emitted by ${origin.by}`;
    case 'created':
      return 'a new flow';
  }
}
