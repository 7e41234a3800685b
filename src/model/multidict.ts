// Live, ordered multi-value views (a request's query and cookies) that write every change back to where
// they were read from, so `flow.request.query.set('a', '1')` changes the flow's path.

export type Pair = [name: string, value: string];

export class MultiDictView implements Iterable<Pair> {
  readonly #read: () => Pair[];
  readonly #write: (pairs: Pair[]) => void;

  constructor(read: () => Pair[], write: (pairs: Pair[]) => void) {
    this.#read = read;
    this.#write = write;
  }

  get size(): number {
    return this.#read().length;
  }

  /** The first value of `name`, or undefined. Names are case-sensitive. */
  get(name: string): string | undefined {
    return this.#read().find(([n]) => n === name)?.[1];
  }

  getAll(name: string): string[] {
    return this.#read()
      .filter(([n]) => n === name)
      .map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.#read().some(([n]) => n === name);
  }

  /** Replaces all values of `name` with `value`, at the position of the first; appends when absent. */
  set(name: string, value: string): this {
    const pairs = this.#read();
    const at = pairs.findIndex(([n]) => n === name);
    const kept = pairs.filter(([n]) => n !== name);
    kept.splice(at >= 0 ? at : kept.length, 0, [name, value]);
    this.#write(kept);
    return this;
  }

  append(name: string, value: string): this {
    this.#write([...this.#read(), [name, value]]);
    return this;
  }

  delete(name: string): boolean {
    const pairs = this.#read();
    const kept = pairs.filter(([n]) => n !== name);
    if (kept.length === pairs.length) return false;
    this.#write(kept);
    return true;
  }

  [Symbol.iterator](): Iterator<Pair> {
    return this.#read()[Symbol.iterator]();
  }

  entries(): IterableIterator<Pair> {
    return this.#read()[Symbol.iterator]();
  }

  keys(): string[] {
    return this.#read().map(([n]) => n);
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#read());
  }
}
