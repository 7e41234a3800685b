// Change tracking shared by a flow and all of its parts. A flow whose mark stays clean is written back
// from its original bytes by a codec that can (byte-identical and the fastest path).

export class ChangeMark {
  changed = false;

  touch(): void {
    this.changed = true;
  }
}
