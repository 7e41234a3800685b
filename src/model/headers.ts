// HTTP header fields as a list: wire order, original case and duplicates are kept, lookups ignore case.
// Names and values are byte strings (one character per byte, latin1), as Node's http module uses, so any
// bytes a capture holds survive a round trip.

import { ChangeMark } from './change.js';
import { checkHeader } from './domains.js';
import { FieldError } from '../errors.js';
import { headerValue, headerValues } from './http.js';

export type HeaderField = [name: string, value: string];

export type HeadersInit = Iterable<readonly [string, string]> | Record<string, string | readonly string[]>;

/** The values a script gives for one name: one string or a list of them. */
function valueList(name: string, value: string | readonly string[]): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw new FieldError(`header ${JSON.stringify(name)}`, 'a string or a list of strings', value);
  return [...(value as readonly string[])];
}

export class Headers implements Iterable<HeaderField> {
  #fields: HeaderField[];
  #mark: ChangeMark;

  /** Wraps `fields` without copying: the list is the model's storage. */
  static wrap(fields: HeaderField[], mark: ChangeMark): Headers {
    const headers = new Headers();
    headers.#fields = fields;
    headers.#mark = mark;
    return headers;
  }

  constructor(init?: HeadersInit) {
    this.#mark = new ChangeMark();
    this.#fields = [];
    if (init === undefined) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.#push(name, value);
    } else {
      for (const [name, value] of Object.entries(init)) for (const v of valueList(name, value)) this.#push(name, v);
    }
  }

  /** The fields in wire order. The returned list is a copy. */
  get fields(): HeaderField[] {
    return this.#fields.map(([n, v]) => [n, v]);
  }

  get size(): number {
    return this.#fields.length;
  }

  /** All values of `name` joined with ", ", or undefined when absent. Case-insensitive. */
  get(name: string): string | undefined {
    return headerValue(this.#fields, name.toLowerCase());
  }

  getAll(name: string): string[] {
    return headerValues(this.#fields, name.toLowerCase());
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#fields.some(([n]) => n.toLowerCase() === key);
  }

  /**
   * Replaces every field called `name` with one field holding `value`, kept at the position of the first
   * one (as mitmproxy does); appends when absent. An array sets several fields of that name.
   */
  set(name: string, value: string | readonly string[]): this {
    const values = valueList(name, value);
    for (const v of values) checkHeader(name, v);
    const key = name.toLowerCase();
    const at = this.#fields.findIndex(([n]) => n.toLowerCase() === key);
    const kept = this.#fields.filter(([n]) => n.toLowerCase() !== key);
    const spelled = at >= 0 ? this.#fields[at]![0] : name;
    const inserted: HeaderField[] = values.map((v) => [spelled, v]);
    kept.splice(at >= 0 ? at : kept.length, 0, ...inserted);
    this.#fields.splice(0, this.#fields.length, ...kept);
    this.#mark.touch();
    return this;
  }

  /** Appends a field, keeping any existing ones of the same name. */
  add(name: string, value: string): this {
    this.#push(name, value);
    this.#mark.touch();
    return this;
  }

  /** Removes every field called `name`; returns whether any was removed. */
  delete(name: string): boolean {
    const key = name.toLowerCase();
    const before = this.#fields.length;
    const kept = this.#fields.filter(([n]) => n.toLowerCase() !== key);
    if (kept.length === before) return false;
    this.#fields.splice(0, before, ...kept);
    this.#mark.touch();
    return true;
  }

  #push(name: string, value: string): void {
    checkHeader(name, value);
    this.#fields.push([name, value]);
  }

  clear(): void {
    if (this.#fields.length === 0) return;
    this.#fields.length = 0;
    this.#mark.touch();
  }

  /** Distinct names in first-seen order, in their first spelling. */
  names(): string[] {
    const seen = new Map<string, string>();
    for (const [n] of this.#fields) if (!seen.has(n.toLowerCase())) seen.set(n.toLowerCase(), n);
    return [...seen.values()];
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }

  entries(): IterableIterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }

  /** A plain object, several values of one name joined with ", " (lossy; for logging and JSON). */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of this.names()) out[name] = this.get(name)!;
    return out;
  }

  /** @internal The backing list, shared with the flow's state. */
  static storage(headers: Headers): HeaderField[] {
    return headers.#fields;
  }

  /** @internal Rebinds headers assigned into another flow to that flow's change mark. */
  static adopt(headers: Headers, mark: ChangeMark): void {
    headers.#mark = mark;
  }
}
