// A FlowRecord is a flow on its way through the pipeline: where it came from, its original bytes, and the
// Flow decoded from them only when someone asks. A record nobody decoded or changed is written back from its
// original bytes by the codec that produced them; that is what makes pass-through lossless and fast.

import type { InputPosition } from '../errors.js';
import { ChangeMark } from './change.js';
import { Flow } from './flow.js';
import type { FlowState } from './state.js';

export class FlowRecord {
  /** Where the record was read; null for flows made by scripts. */
  readonly position: InputPosition | null;
  /** The record's original bytes, framing included, in `format`; null for flows made by scripts. */
  readonly raw: Uint8Array | null;
  /** Identifies the encoding of `raw` (codec name and format version, e.g. "msgpack/1"). */
  readonly format: string | null;
  readonly #load: (() => FlowState) | null;
  #flow: Flow | null;

  private constructor(
    position: InputPosition | null,
    raw: Uint8Array | null,
    format: string | null,
    load: (() => FlowState) | null,
    flow: Flow | null,
  ) {
    this.position = position;
    this.raw = raw;
    this.format = format;
    this.#load = load;
    this.#flow = flow;
  }

  /** A record read from an input; `load` decodes `raw` (and may throw CodecError or SchemaError). */
  static read(position: InputPosition, raw: Uint8Array, format: string, load: () => FlowState): FlowRecord {
    return new FlowRecord(position, raw, format, load, null);
  }

  /** A record for a flow with no source bytes (made by a script, or converted state). */
  static of(flow: Flow, position: InputPosition | null = null): FlowRecord {
    return new FlowRecord(position, null, null, null, flow);
  }

  /** The flow, decoded on first access. */
  get flow(): Flow {
    if (this.#flow === null) this.#flow = new Flow(this.#load!(), new ChangeMark());
    return this.#flow;
  }

  get decoded(): boolean {
    return this.#flow !== null;
  }

  /** True when `raw` still describes the flow exactly (never decoded, or decoded and left unchanged). */
  get pristine(): boolean {
    return this.raw !== null && (this.#flow === null || !this.#flow.changed);
  }

  /** Forgets changes made to the decoded flow; the next access decodes `raw` again. No-op without `raw`. */
  revert(): void {
    if (this.#load !== null) this.#flow = null;
  }
}
