// A FlowRecord is a flow on its way through the pipeline: where it came from, its original bytes, and the
// Flow decoded from them only when someone asks. A record nobody decoded or changed is written back from its
// original bytes by the codec that produced them; that is what makes pass-through lossless and fast.

import type { InputPosition } from '../errors.js';
import { ChangeMark } from './change.js';
import { copyState, Flow } from './flow.js';
import { CREATED, type Origin } from './origin.js';
import type { FlowState } from './state.js';
import { FlowView } from './view.js';

export class FlowRecord {
  /** Where the record was read; null for flows that did not come from a file (live, emitted). */
  readonly position: InputPosition | null;
  /** The record's original bytes, framing included, in `format`; null for flows made by scripts or live. */
  readonly raw: Uint8Array | null;
  /** Identifies the encoding of `raw` (codec name and format version, e.g. "msgpack/1"). */
  readonly format: string | null;
  readonly #load: (() => FlowState) | null;
  /** The origin of a record that has no position; file origins are made from `position` when asked. */
  readonly #origin: Origin | null;
  #flow: Flow | null;
  /** restore()'s state for a record without raw bytes. */
  #checkpoint: FlowState | null = null;

  private constructor(
    position: InputPosition | null,
    origin: Origin | null,
    raw: Uint8Array | null,
    format: string | null,
    load: (() => FlowState) | null,
    flow: Flow | null,
  ) {
    this.position = position;
    this.#origin = origin;
    this.raw = raw;
    this.format = format;
    this.#load = load;
    this.#flow = flow;
  }

  /** A record read from an input; `load` decodes `raw` (and may throw CodecError or SchemaError). */
  static read(position: InputPosition, raw: Uint8Array, format: string, load: () => FlowState): FlowRecord {
    return new FlowRecord(position, null, raw, format, load, null);
  }

  /** A record for a flow with no source bytes: live traffic, a flow a script emitted or code created. */
  static of(flow: Flow, origin: Origin = CREATED): FlowRecord {
    if (origin.kind === 'file') {
      return new FlowRecord({ origin: origin.path, index: origin.index, offset: origin.offset }, null, null, null, null, flow);
    }
    return new FlowRecord(null, origin, null, null, null, flow);
  }

  /** Where the flow came from. */
  get origin(): Origin {
    if (this.#origin !== null) return this.#origin;
    const at = this.position!;
    return { kind: 'file', path: at.origin, index: at.index, offset: at.offset };
  }

  /** The flow, decoded on first access. */
  get flow(): Flow {
    if (this.#flow === null) this.#flow = new Flow(this.#load!(), new ChangeMark());
    return this.#flow;
  }

  /** The flow's read-only view (decodes the flow; never marks it changed). */
  get view(): FlowView {
    return FlowView.of(this.flow);
  }

  get decoded(): boolean {
    return this.#flow !== null;
  }

  /** True when `raw` still describes the flow exactly (never decoded, or decoded and left unchanged). */
  get pristine(): boolean {
    return this.raw !== null && (this.#flow === null || !this.#flow.changed);
  }

  /**
   * Remembers the flow as it stands, for restore(). Free for a record with raw bytes (they are the
   * checkpoint: the state as read); a record without them keeps a deep copy of its state.
   */
  checkpoint(): void {
    if (this.#load === null) this.#checkpoint = copyState(Flow.state(this.flow));
  }

  /**
   * Forgets changes made since the checkpoint (for a record with raw bytes: since it was read). A new Flow
   * stands for the record afterwards; the old one is left as it was.
   */
  restore(): void {
    if (this.#load !== null) this.#flow = null;
    else if (this.#checkpoint !== null) this.#flow = new Flow(copyState(this.#checkpoint), new ChangeMark());
    else throw new Error('FlowRecord.restore() without a checkpoint'); // a driver that forgot checkpoint(): a bug
  }
}
