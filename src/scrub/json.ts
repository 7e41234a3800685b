// Secrets in JSON text at any depth: values under secret keys (arrays of them included), `{"name": "password",
// "value": …}` pairs, GraphQL `variables` (plain keys), JSON inside a JSON string, URLs in strings and shapes
// in every other string. Only the secret values' spans are rewritten, so the formatting, key order and numbers
// (large integers too) of the rest stay as they were. Several top-level values (NDJSON) are read one by one.

import type { Scrubber } from './context.js';
import { isSecretKey } from './keys.js';
import { isPlaceholder } from './placeholder.js';
import { scrubText } from './text.js';
import { scrubUrl } from './url.js';

type JsonNode =
  | { kind: 'string'; start: number; end: number }
  | { kind: 'scalar'; start: number; end: number; literal: boolean }
  | { kind: 'object'; entries: [key: string, value: JsonNode][] }
  | { kind: 'array'; items: JsonNode[] };

/** Not JSON (or nested too deep to walk): the caller scrubs the text as text. */
class NotJson extends Error {}

const MAX_DEPTH = 256;
const WS = /[ \t\r\n]*/y;
const SCALAR = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;

/** A minimal JSON reader that keeps every string's and scalar's span in the text. */
class Reader {
  at = 0;
  constructor(readonly text: string) {}

  skip(): void {
    WS.lastIndex = this.at;
    WS.test(this.text);
    this.at = WS.lastIndex;
  }

  /** The end of the string literal starting at `start` (its opening quote), past the closing quote. */
  stringEnd(start: number): number {
    let at = start + 1;
    for (;;) {
      const quote = this.text.indexOf('"', at);
      if (quote < 0) throw new NotJson();
      let backslashes = 0;
      while (this.text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) return quote + 1;
      at = quote + 1;
    }
  }

  value(depth: number): JsonNode {
    if (depth > MAX_DEPTH) throw new NotJson();
    this.skip();
    const start = this.at;
    const c = this.text[start];
    if (c === '"') {
      this.at = this.stringEnd(start);
      return { kind: 'string', start, end: this.at };
    }
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    SCALAR.lastIndex = start;
    if (!SCALAR.test(this.text)) throw new NotJson();
    this.at = SCALAR.lastIndex;
    return { kind: 'scalar', start, end: this.at, literal: c === 't' || c === 'f' || c === 'n' };
  }

  object(depth: number): JsonNode {
    const entries: [string, JsonNode][] = [];
    this.at++;
    this.skip();
    if (this.text[this.at] === '}') {
      this.at++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.skip();
      if (this.text[this.at] !== '"') throw new NotJson();
      const keyStart = this.at;
      this.at = this.stringEnd(keyStart);
      const key = decodeString(this.text, keyStart, this.at);
      this.skip();
      if (this.text[this.at++] !== ':') throw new NotJson();
      entries.push([key, this.value(depth + 1)]);
      this.skip();
      const next = this.text[this.at++];
      if (next === '}') return { kind: 'object', entries };
      if (next !== ',') throw new NotJson();
    }
  }

  array(depth: number): JsonNode {
    const items: JsonNode[] = [];
    this.at++;
    this.skip();
    if (this.text[this.at] === ']') {
      this.at++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skip();
      const next = this.text[this.at++];
      if (next === ']') return { kind: 'array', items };
      if (next !== ',') throw new NotJson();
    }
  }
}

function decodeString(text: string, start: number, end: number): string {
  const inner = text.slice(start + 1, end - 1);
  if (!inner.includes('\\')) return inner;
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    throw new NotJson();
  }
}

/** A replacement of the span start..end by `text`. */
type Edit = [start: number, end: number, text: string];

/** Walks a parsed value, collecting edits; `path` is the JSONPath of the node being walked. */
class Walk {
  readonly edits: Edit[] = [];
  constructor(
    readonly text: string,
    readonly scrubber: Scrubber,
    readonly where: string,
  ) {}

  node(node: JsonNode, path: string): void {
    switch (node.kind) {
      case 'string':
        return this.string(node, path);
      case 'scalar':
        return;
      case 'array':
        node.items.forEach((item, i) => this.node(item, `${path}[${i}]`));
        return;
      case 'object': {
        const named = namesSecret(this.text, node.entries);
        for (const [key, value] of node.entries) {
          const at = `${path}.${key}`;
          if (isSecretKey(key) || (named && key === 'value')) this.secret(value, at);
          else this.node(value, at);
        }
      }
    }
  }

  /** A value under a secret key: strings and numbers are redacted, arrays item by item, objects walked. */
  secret(node: JsonNode, path: string): void {
    if (node.kind === 'array') node.items.forEach((item, i) => this.secret(item, `${path}[${i}]`));
    else if (node.kind === 'object') this.node(node, path);
    else if (node.kind === 'scalar' ? !node.literal : true) {
      const value = node.kind === 'string' ? decodeString(this.text, node.start, node.end) : this.text.slice(node.start, node.end);
      if (value === '' || isPlaceholder(value)) return;
      this.edits.push([node.start, node.end, JSON.stringify(this.scrubber.redact(value))]);
      this.scrubber.report(`${this.where} ${path}`, 'key');
    }
  }

  /** A string under a plain key: JSON inside it, a URL, or shapes. */
  string(node: { start: number; end: number }, path: string): void {
    const value = decodeString(this.text, node.start, node.end);
    const where = `${this.where} ${path}`;
    const first = value.trimStart()[0];
    let scrubbed = first === '{' || first === '[' ? (scrubJson(value, this.scrubber, where) ?? undefined) : undefined;
    if (scrubbed === undefined && value.includes('://')) scrubbed = scrubUrl(value, this.scrubber, where);
    scrubbed = scrubText(scrubbed ?? value, this.scrubber, where) ?? scrubbed;
    if (scrubbed !== undefined) this.edits.push([node.start, node.end, JSON.stringify(scrubbed)]);
  }
}

/** `{"name": "password", "value": …}` (or `key`/`value`, as HAR and form serialisers write): a secret name. */
function namesSecret(text: string, entries: [string, JsonNode][]): boolean {
  if (entries.length > 8 || !entries.some(([key]) => key === 'value')) return false;
  return entries.some(([key, node]) => (key === 'name' || key === 'key') && node.kind === 'string' && isSecretKey(decodeString(text, node.start, node.end)));
}

/**
 * `text` as JSON with its secrets redacted, or undefined when nothing was found; throws NotJson (caught by
 * scrubJson) when the text is not JSON.
 */
function walkJson(text: string, scrubber: Scrubber, where: string): string | undefined {
  const reader = new Reader(text);
  const walk = new Walk(text, scrubber, where);
  reader.skip();
  while (reader.at < text.length) {
    walk.node(reader.value(0), '$');
    reader.skip();
  }
  if (walk.edits.length === 0) return undefined;
  let out = '';
  let at = 0;
  for (const [start, end, replacement] of walk.edits) {
    out += text.slice(at, start) + replacement;
    at = end;
  }
  return out + text.slice(at);
}

/**
 * JSON text with its secrets redacted; undefined when nothing was found; null when the text is not JSON (the
 * caller then scrubs it as text). Findings of a text that turns out not to be JSON are not kept.
 */
export function scrubJson(text: string, scrubber: Scrubber, where: string): string | undefined | null {
  const mark = scrubber.mark();
  try {
    return walkJson(text, scrubber, where);
  } catch (err) {
    if (!(err instanceof NotJson)) throw err;
    scrubber.rewind(mark);
    return null;
  }
}
