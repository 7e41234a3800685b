// Python `re` patterns, as mitmproxy's filters take them, rewritten into JavaScript RegExps with the same
// meaning. Python syntax that JavaScript reads differently is translated (named groups, `\A`, `\Z`, `$`,
// inline flags, `\w`/`\d`/`\s` classes, `.`, quantifier and class quirks); what cannot be translated
// exactly (atomic groups, possessive quantifiers, conditionals, the locale flag, …) is rejected with a
// reason, never silently misread. Every literal is emitted escaped, so no character can change meaning.
//
// Two kinds of pattern, as in mitmproxy: a *bytes* pattern is UTF-8-encoded and matched against a latin1
// "binary string" of the data (ASCII-only classes and case folding, done by hand here because the `i`
// flag would also fold latin1 letters); a *text* pattern is matched against a string with the `v` flag
// (Unicode classes, Unicode case folding through `i`).

export type PatternKind = 'bytes' | 'text';

export interface PatternOptions {
  kind: PatternKind;
  /** re.MULTILINE: `^`/`$` at line breaks. */
  multiline?: boolean;
  /** re.DOTALL: `.` matches `\n` too. */
  dotall?: boolean;
  /** re.IGNORECASE (every current mitmproxy filter operator sets it). */
  ignoreCase?: boolean;
}

/**
 * A pattern Python would reject, or one that has no exact JavaScript equivalent. Its own class: the filter
 * parser tells it apart to turn it, with its index, into a FilterSyntaxError at the pattern's column.
 */
export class PatternError extends Error {
  /** 0-based position in the pattern (in its UTF-8 bytes for a bytes pattern). */
  readonly index: number;

  constructor(message: string, index: number) {
    super(message);
    this.index = index;
  }
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  a: boolean;
}

type Last = 'none' | 'anchor' | 'repeat' | 'item';

const DIGIT = /[0-9]/;
const OCT = /[0-7]/;
const HEX = /^[0-9a-fA-F]+$/;
const ASCII_LETTER = /[a-zA-Z]/;
const WORD_CHAR = /[a-zA-Z0-9_]/;
// Python's `\s` for str patterns (str.isspace()); JavaScript's `\s` lacks \x1c-\x1f and adds \ufeff.
const TEXT_SPACE = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u{1680}\\u{2000}-\\u{200a}\\u{2028}\\u{2029}\\u{202f}\\u{205f}\\u{3000}';
// Python's `\s` for bytes: ASCII whitespace only (JavaScript's would take \xa0 too).
const BYTE_SPACE = '\\t-\\r\\x20';
const BYTE_NON_SPACE = '\\x00-\\x08\\x0e-\\x1f\\x21-\\xff';
const WHITESPACE_X = new Set([' ', '\t', '\n', '\r', '\v', '\f']);

function hex(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** A literal character, escaped so it means itself anywhere (in or out of a class, any flag set). */
function literal(code: number): string {
  const ch = String.fromCodePoint(code);
  return WORD_CHAR.test(ch) && ch !== '_' ? ch : hex(code);
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function swapCase(code: number): number {
  return code ^ 0x20;
}

class Translator {
  readonly #chars: string[];
  readonly #kind: PatternKind;
  #pos = 0;
  #flags: Flags;
  /** True when case folding is left to the JavaScript `i` flag (text patterns with Unicode rules). */
  readonly #nativeFold: boolean;
  #groups = 0;
  readonly #closed = new Set<number>();
  readonly #names = new Map<string, number>();

  constructor(pattern: string, options: PatternOptions) {
    this.#kind = options.kind;
    const source = options.kind === 'bytes' ? Buffer.from(pattern, 'utf8').toString('latin1') : pattern;
    this.#chars = Array.from(source);
    this.#flags = { i: options.ignoreCase ?? false, m: options.multiline ?? false, s: options.dotall ?? false, x: false, a: false };
    this.#readGlobalFlags();
    this.#nativeFold = this.#kind === 'text' && this.#flags.i && !this.#flags.a;
  }

  get jsFlags(): string {
    if (this.#kind === 'bytes') return '';
    return this.#nativeFold ? 'iv' : 'v';
  }

  translate(): string {
    const out = this.#alternation(true);
    if (this.#pos < this.#chars.length) throw this.#error('unbalanced parenthesis');
    return out;
  }

  #error(message: string, at = this.#pos): PatternError {
    return new PatternError(message, at);
  }

  #peek(offset = 0): string | undefined {
    return this.#chars[this.#pos + offset];
  }

  #next(): string | undefined {
    return this.#chars[this.#pos++];
  }

  #match(text: string): boolean {
    const n = Array.from(text).length;
    if (this.#chars.slice(this.#pos, this.#pos + n).join('') !== text) return false;
    this.#pos += n;
    return true;
  }

  /**
   * Python takes global inline flags (`(?i)`, `(?x)`, …) only at the very start. They are read before
   * anything else, because `(?x)` changes how the rest is read.
   */
  #readGlobalFlags(): void {
    for (;;) {
      this.#skipVerbose();
      const head = this.#chars.slice(this.#pos, this.#pos + 40).join('');
      const m = /^\(\?([aiLmsux]+)\)/.exec(head);
      if (m !== null) {
        this.#applyFlags(m[1]!, '', this.#pos + 2, this.#flags);
        this.#pos += m[0].length;
      } else if (head.startsWith('(?#')) {
        this.#group(this.#pos++); // a comment adds nothing, so flags may still follow
      } else {
        return;
      }
    }
  }

  #applyFlags(on: string, off: string, at: number, flags: Flags): void {
    for (const f of on) {
      if (f === 'L') throw this.#error('the L (locale) flag has no JavaScript equivalent', at);
      if (f === 'u' && this.#kind === 'bytes') throw this.#error("bad inline flag: cannot use 'u' flag with a bytes pattern", at);
      if (f === 'u') continue;
      flags[f as keyof Flags] = true;
    }
    for (const f of off) flags[f as keyof Flags] = false;
  }

  #skipVerbose(): void {
    if (!this.#flags.x) return;
    for (;;) {
      const c = this.#peek();
      if (c !== undefined && WHITESPACE_X.has(c)) this.#pos++;
      else if (c === '#') {
        while (this.#peek() !== undefined && this.#peek() !== '\n') this.#pos++;
      } else return;
    }
  }

  #alternation(top: boolean): string {
    const branches = [this.#sequence()];
    while (this.#peek() === '|') {
      this.#pos++;
      branches.push(this.#sequence());
    }
    if (!top && this.#peek() !== ')') throw this.#error('missing ), unterminated subpattern');
    return branches.join('|');
  }

  #sequence(): string {
    let out = '';
    let last: Last = 'none';
    for (;;) {
      this.#skipVerbose();
      const c = this.#peek();
      if (c === undefined || c === '|' || c === ')') return out;
      const quantifier = this.#quantifier();
      if (quantifier !== undefined) {
        if (last === 'none' || last === 'anchor') throw this.#error('nothing to repeat', quantifier.at);
        if (last === 'repeat') throw this.#error('multiple repeat', quantifier.at);
        out += quantifier.text;
        last = 'repeat';
        continue;
      }
      const atom = this.#atom();
      if (atom === undefined) continue;
      out += atom.text;
      last = atom.anchor ? 'anchor' : 'item';
    }
  }

  /** A quantifier at the current position, with its lazy `?`; possessive `+` is rejected. */
  #quantifier(): { text: string; at: number } | undefined {
    const at = this.#pos;
    const c = this.#peek();
    let text: string;
    if (c === '*' || c === '+' || c === '?') {
      this.#pos++;
      text = c;
    } else if (c === '{') {
      const m = /^\{(\d*)(,(\d*))?\}/.exec(this.#chars.slice(this.#pos, this.#pos + 40).join(''));
      if (m === null || m[0] === '{}') return undefined; // Python reads a `{` that is no quantifier as itself
      const lo = m[1] === '' ? 0 : Number(m[1]);
      const hi = m[2] === undefined ? lo : m[3] === '' ? undefined : Number(m[3]);
      if (hi !== undefined && hi < lo) throw this.#error('min repeat greater than max repeat', at + 1);
      this.#pos += Array.from(m[0]).length;
      text = hi === undefined ? `{${lo},}` : hi === lo && m[2] === undefined ? `{${lo}}` : `{${lo},${hi}}`;
    } else {
      return undefined;
    }
    // No verbose-mode skipping here: Python reads the lazy `?` (or possessive `+`) right after the quantifier.
    if (this.#peek() === '?') {
      this.#pos++;
      text += '?';
    } else if (this.#peek() === '+') {
      throw this.#error('possessive quantifiers (*+, ++, ?+, {m,n}+) have no JavaScript equivalent');
    }
    return { text, at };
  }

  #atom(): { text: string; anchor: boolean } | undefined {
    const at = this.#pos;
    const c = this.#next()!;
    switch (c) {
      case '(':
        return this.#group(at);
      case '[':
        return { text: this.#charClass(at), anchor: false };
      case '.':
        return { text: this.#flags.s ? '[^]' : '[^\\n]', anchor: false };
      case '^':
        return { text: this.#flags.m ? '(?<![^\\n])' : '(?<![^])', anchor: true };
      case '$':
        // Python's `$` also matches before a final newline; with MULTILINE, before every newline.
        return { text: this.#flags.m ? '(?![^\\n])' : '(?=\\n?(?![^]))', anchor: true };
      case '\\':
        return this.#escape(at);
      default:
        return { text: this.#literal(c.codePointAt(0)!), anchor: false };
    }
  }

  #literal(code: number): string {
    if (this.#flags.i && !this.#nativeFold && isAsciiLetter(code)) return `[${literal(code)}${literal(swapCase(code))}]`;
    return literal(code);
  }

  #group(at: number): { text: string; anchor: boolean } | undefined {
    if (this.#peek() !== '?') return this.#capture(at, undefined);
    this.#pos++;
    const c = this.#next();
    if (c === ':') return { text: `(?:${this.#body()})`, anchor: false };
    // Lookarounds are wrapped in a group: Python lets a quantifier follow one, JavaScript only a group.
    if (c === '=' || c === '!') return { text: `(?:(?${c}${this.#body()}))`, anchor: false };
    if (c === '<' && (this.#peek() === '=' || this.#peek() === '!')) {
      const kind = this.#next()!;
      return { text: `(?:(?<${kind}${this.#body()}))`, anchor: false };
    }
    if (c === 'P') {
      if (this.#match('<')) return this.#capture(at, this.#groupName('>'));
      if (this.#match('=')) {
        const name = this.#groupName(')');
        const index = this.#names.get(name);
        if (index === undefined || !this.#closed.has(index)) throw this.#error(`unknown group name '${name}'`, at);
        return { text: this.#backreference(index, at), anchor: false };
      }
      throw this.#error('unknown extension ?P' + (this.#peek() ?? ''), at + 1);
    }
    if (c === '#') {
      while (this.#peek() !== undefined && this.#peek() !== ')') this.#pos++;
      if (this.#next() === undefined) throw this.#error('missing ), unterminated comment', at);
      return undefined;
    }
    if (c === '>') throw this.#error('atomic groups (?>…) have no JavaScript equivalent', at);
    if (c === '(') throw this.#error('conditional groups (?(…)…) have no JavaScript equivalent', at);
    if (c !== undefined && /[aiLmsux-]/.test(c)) return this.#scopedFlags(c, at);
    if (c === '<') throw this.#error('unknown extension ?<' + (this.#peek() ?? '') + ' (Python names groups with (?P<name>…))', at + 1);
    throw this.#error(`unknown extension ?${c ?? ''}`, at + 1);
  }

  #capture(at: number, name: string | undefined): { text: string; anchor: boolean } {
    const index = ++this.#groups;
    if (name !== undefined) {
      if (this.#names.has(name)) throw this.#error(`redefinition of group name '${name}'`, at);
      this.#names.set(name, index);
    }
    const body = this.#body();
    this.#closed.add(index);
    return { text: name === undefined ? `(${body})` : `(?<${name}>${body})`, anchor: false };
  }

  /** The rest of a group up to and including its `)`. */
  #body(): string {
    const body = this.#alternation(false);
    this.#pos++; // the `)`
    return body;
  }

  #groupName(end: string): string {
    let name = '';
    const at = this.#pos;
    for (let c = this.#next(); c !== end; c = this.#next()) {
      if (c === undefined) throw this.#error('missing group name terminator', at);
      name += c;
    }
    const identifier = this.#kind === 'bytes' ? /^[A-Za-z_][A-Za-z0-9_]*$/ : /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;
    if (!identifier.test(name)) throw this.#error(`bad character in group name '${name}'`, at);
    return name;
  }

  #scopedFlags(first: string, at: number): { text: string; anchor: boolean } {
    let on = '';
    let off = '';
    let c: string | undefined = first;
    while (c !== undefined && /[aiLmsux]/.test(c)) {
      on += c;
      c = this.#next();
    }
    if (c === '-') {
      c = this.#next();
      while (c !== undefined && /[imsx]/.test(c)) {
        off += c;
        c = this.#next();
      }
      if (off === '') throw this.#error('missing flag', this.#pos - 1);
    }
    if (c === ')') throw this.#error('global flags not at the start of the expression', at);
    if (c !== ':') throw this.#error('unknown flag', this.#pos - 1);
    // Text patterns fold case with the `i` flag, which cannot be switched within a pattern: only scopes
    // that keep the folding as it is can be translated.
    if (this.#kind === 'text') {
      const folds = (on.includes('i') || this.#flags.i) && !off.includes('i');
      const ascii = on.includes('a') || this.#flags.a;
      if (this.#nativeFold ? !folds || ascii : folds && !ascii) {
        throw this.#error(`(?${on}${off === '' ? '' : `-${off}`}:…) changes case folding inside a text pattern, which has no JavaScript equivalent`, at);
      }
    }
    const saved = this.#flags;
    this.#flags = { ...saved };
    this.#applyFlags(on, off, at + 2, this.#flags);
    try {
      return { text: `(?:${this.#body()})`, anchor: false };
    } finally {
      this.#flags = saved;
    }
  }

  #backreference(index: number, at: number): string {
    if (this.#flags.i && !this.#nativeFold) {
      throw this.#error('a backreference that ignores case has no exact JavaScript equivalent here (mitmproxy ignores ASCII case only)', at);
    }
    return `(?:\\${index})`;
  }

  /** An escape outside a class. */
  #escape(at: number): { text: string; anchor: boolean } {
    const c = this.#next();
    if (c === undefined) throw this.#error('bad escape (end of pattern)', at);
    switch (c) {
      case 'A':
        return { text: '(?<![^])', anchor: true };
      case 'Z':
      case 'z':
        return { text: '(?![^])', anchor: true };
      case 'b':
      case 'B':
        return { text: this.#wordBoundary(c === 'B'), anchor: true };
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
        return { text: this.#category(c, false), anchor: false };
    }
    if (DIGIT.test(c)) return { text: this.#numericEscape(c, at), anchor: false };
    return { text: this.#literal(this.#codeEscape(c, at, false)), anchor: false };
  }

  /** Python's `\b`: ASCII word characters for bytes and (?a), Unicode ones for text. */
  #wordBoundary(negated: boolean): string {
    // Python's \B never matches in an empty string (before 3.14); JavaScript's does.
    const nonEmpty = '(?:(?<=[^])|(?=[^]))';
    if (this.#kind === 'bytes' || this.#flags.a) return negated ? `${nonEmpty}\\B` : '\\b';
    const w = '[\\p{L}\\p{N}_]';
    return negated ? `${nonEmpty}(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))` : `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`;
  }

  /** `\d \D \s \S \w \W` as a class (or class members when `inClass`). */
  #category(c: string, inClass: boolean): string {
    const negated = c === 'D' || c === 'S' || c === 'W';
    const lower = c.toLowerCase();
    if (this.#kind === 'bytes') {
      if (lower === 's') return inClass ? (negated ? BYTE_NON_SPACE : BYTE_SPACE) : negated ? `[${BYTE_NON_SPACE}]` : `[${BYTE_SPACE}]`;
      return `\\${c}`; // JavaScript's \d and \w without the u flag are ASCII, as Python's are for bytes
    }
    const ascii = this.#flags.a;
    const members = lower === 'd' ? (ascii ? '0-9' : '\\p{Nd}') : lower === 'w' ? (ascii ? 'a-zA-Z0-9_' : '\\p{L}\\p{N}_') : ascii ? '\\t-\\r\\x20' : TEXT_SPACE;
    const set = negated ? `[^${members}]` : `[${members}]`;
    return inClass && !negated ? members : set;
  }

  /** `\0`, octal escapes and backreferences `\1` … `\99`, by Python's rules. */
  #numericEscape(c: string, at: number): string {
    if (c === '0') {
      let digits = '0';
      while (digits.length < 3 && OCT.test(this.#peek() ?? '')) digits += this.#next();
      return this.#literal(parseInt(digits, 8));
    }
    const d2 = this.#peek();
    if (d2 !== undefined && DIGIT.test(d2)) {
      const d3 = this.#peek(1);
      if (OCT.test(c) && OCT.test(d2) && d3 !== undefined && OCT.test(d3)) {
        this.#pos += 2;
        const value = parseInt(c + d2 + d3, 8);
        if (value > 0o377) throw this.#error(`octal escape value \\${c}${d2}${d3} outside of range 0-0o377`, at);
        return this.#literal(value);
      }
      this.#pos++;
      return this.#groupReference(Number(c + d2), at);
    }
    return this.#groupReference(Number(c), at);
  }

  #groupReference(index: number, at: number): string {
    if (index > this.#groups) throw this.#error(`invalid group reference ${index}`, at + 1);
    if (!this.#closed.has(index)) throw this.#error('cannot refer to an open group', at);
    return this.#backreference(index, at);
  }

  /** The code of a character escape (`\n`, `\x41`, `\u00e9`, `\.` …); rejects unknown letter escapes. */
  #codeEscape(c: string, at: number, inClass: boolean): number {
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (inClass && c === 'b') return 8;
    if (simple[c] !== undefined) return simple[c];
    if (c === 'x' || ((c === 'u' || c === 'U') && this.#kind === 'text')) {
      const n = c === 'x' ? 2 : c === 'u' ? 4 : 8;
      const digits = this.#chars.slice(this.#pos, this.#pos + n).join('');
      if (digits.length !== n || !HEX.test(digits)) throw this.#error(`incomplete escape \\${c}${digits}`, at);
      this.#pos += n;
      const code = parseInt(digits, 16);
      if (code > 0x10ffff) throw this.#error(`bad escape \\${c}${digits}`, at);
      return code;
    }
    if (c === 'N' && this.#kind === 'text') throw this.#error('named characters \\N{…} are not supported; write the character or \\uXXXX', at);
    if (ASCII_LETTER.test(c) || DIGIT.test(c)) throw this.#error(`bad escape \\${c}`, at);
    return c.codePointAt(0)!;
  }

  #charClass(at: number): string {
    const negated = this.#peek() === '^';
    if (negated) this.#pos++;
    const members: string[] = [];
    const start = this.#pos;
    for (;;) {
      const itemAt = this.#pos;
      const c = this.#next();
      if (c === undefined) throw this.#error('unterminated character set', at);
      if (c === ']' && itemAt !== start) break;
      const first = this.#classItem(c, itemAt);
      if (this.#peek() === '-') {
        this.#pos++;
        const thatAt = this.#pos;
        const that = this.#next();
        if (that === undefined) throw this.#error('unterminated character set', at);
        if (that === ']') {
          members.push(this.#classMember(first), literal(0x2d));
          break;
        }
        const second = this.#classItem(that, thatAt);
        if (typeof first !== 'number' || typeof second !== 'number' || second < first) {
          throw this.#error(`bad character range ${this.#chars.slice(itemAt, this.#pos).join('')}`, itemAt);
        }
        members.push(this.#range(first, second));
      } else {
        members.push(this.#classMember(first));
      }
    }
    return `[${negated ? '^' : ''}${members.join('')}]`;
  }

  /** One class item: a character code, or a category (`\d` …) as ready-made members. */
  #classItem(c: string, at: number): number | { members: string } {
    if (c !== '\\') return c.codePointAt(0)!;
    const e = this.#next();
    if (e === undefined) throw this.#error('unterminated character set', at);
    if ('dDsSwW'.includes(e)) return { members: this.#category(e, true) };
    if (OCT.test(e)) {
      let digits = e;
      while (digits.length < 3 && OCT.test(this.#peek() ?? '')) digits += this.#next();
      const value = parseInt(digits, 8);
      if (value > 0o377) throw this.#error(`octal escape value \\${digits} outside of range 0-0o377`, at);
      return value;
    }
    return this.#codeEscape(e, at, true);
  }

  #classMember(item: number | { members: string }): string {
    if (typeof item !== 'number') return item.members;
    if (this.#flags.i && !this.#nativeFold && isAsciiLetter(item)) return literal(item) + literal(swapCase(item));
    return literal(item);
  }

  /** A range, plus its other-case counterpart for the ASCII letters it covers when folding by hand. */
  #range(lo: number, hi: number): string {
    let out = `${literal(lo)}-${literal(hi)}`;
    if (!this.#flags.i || this.#nativeFold) return out;
    for (const [from, to] of [
      [0x41, 0x5a],
      [0x61, 0x7a],
    ] as const) {
      const a = Math.max(lo, from);
      const b = Math.min(hi, to);
      if (a <= b) out += `${literal(swapCase(a))}-${literal(swapCase(b))}`;
    }
    return out;
  }
}

/** The JavaScript RegExp that searches like Python's `re.compile(pattern, flags).search`. */
export function translatePattern(pattern: string, options: PatternOptions): RegExp {
  const translator = new Translator(pattern, options);
  let source: string;
  try {
    source = translator.translate();
  } catch (cause) {
    if (cause instanceof RangeError) throw new PatternError('the pattern nests too deeply', 0);
    throw cause;
  }
  try {
    return new RegExp(source, translator.jsFlags);
  } catch (cause) {
    throw new PatternError(`not a usable pattern: ${(cause as Error).message.replace(/^Invalid regular expression: /, '')}`, 0);
  }
}
