// Change tracking shared by a flow and all of its parts. A flow whose mark stays clean is written back
// from its original bytes by a codec that can (byte-identical and the fastest path).

export class ChangeMark {
  changed = false;
  /** Counts changes, so that what was derived from the flow (its FlowView) knows when to be made again. */
  version = 0;

  touch(): void {
    this.changed = true;
    this.version++;
  }
}
