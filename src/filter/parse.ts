// The filter expression parser: mitmproxy's grammar (a pyparsing `infixNotation`), rewritten as a
// backtracking recursive descent so that it accepts exactly what mitmproxy accepts and builds the same
// tree, quirks included:
//
//   expression  := or+                      juxtaposition ANDs, at the *lowest* precedence
//   or          := and ("|" and)*
//   and         := not ("&" not)*
//   not         := "!" not | primary        `!` falls back to a bare word when nothing follows it
//   primary     := atom | "(" or ")"
//   atom        := "~" NAME [argument] | pattern          a bare pattern means ~u
//
// An operator name must end at whitespace (or the end): `~q)` and `~c200` are errors, `~q )` is not. A bare
// word runs up to whitespace or one of ( ) ~ ' " (so `!`, `&`, `|` inside a word are literal); a quoted
// string takes backslash escapes. Errors name the column and show a caret under it.

import { FilterSyntaxError } from '../errors.js';
import { OPERATORS, operatorNamed, URL_OPERATOR, type Operator, type PatternOperator } from './operators.js';
import { PatternError, translatePattern } from './pyregex.js';

export type FilterNode =
  | { kind: 'operator'; operator: Operator; argument?: string | number; pattern?: RegExp }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'and'; operands: FilterNode[] }
  | { kind: 'or'; operands: FilterNode[] };

// pyparsing's default whitespace; other space characters belong to words.
const SPACE = new Set([' ', '\t', '\n', '\r']);
const WORD_STOP = new Set(['(', ')', '~', "'", '"']);
const QUOTE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** pyparsing's WordEnd: the next character is not a printable ASCII character. */
function isPrintable(c: string | undefined): boolean {
  return c !== undefined && c > ' ' && c <= '~';
}

class Parser {
  readonly #text: string;
  #pos = 0;
  /** Where parsing got furthest before failing, for the error message. */
  #furthest = 0;
  /** Where a group lacked its ")" although an expression followed: the likely fault. */
  #unclosedAt = -1;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): FilterNode {
    const first = this.#or();
    if (first === null) throw this.#unexpected();
    const terms = [first];
    for (let next = this.#attempt(() => this.#or()); next !== null; next = this.#attempt(() => this.#or())) terms.push(next);
    this.#skipSpace();
    if (this.#pos < this.#text.length) throw this.#unexpected();
    return terms.length === 1 ? first : { kind: 'and', operands: terms };
  }

  #error(message: string, at: number): FilterSyntaxError {
    return new FilterSyntaxError(this.#text, at, message);
  }

  #unexpected(): FilterSyntaxError {
    const at = Math.max(this.#furthest, this.#pos);
    const c = this.#text[at];
    if (c === undefined) return this.#error('the expression ends too early', at);
    if (c === ')') return this.#error('unexpected ")": no "(" is open here (an operator needs a space before ")")', at);
    if (c === '(') return this.#error('missing ")" for this "("', at);
    if (at === this.#unclosedAt) {
      return this.#error('expected ")" or an operator: inside parentheses, join expressions with & or | (side by side they are ANDed only outside)', at);
    }
    return this.#error(`unexpected ${JSON.stringify(c)}`, at);
  }

  /** Runs `rule`; on failure puts the position back (PEG backtracking). */
  #attempt<T>(rule: () => T | null): T | null {
    const start = this.#pos;
    const result = rule();
    if (result === null) {
      this.#furthest = Math.max(this.#furthest, this.#pos);
      this.#pos = start;
    }
    return result;
  }

  #skipSpace(): void {
    while (SPACE.has(this.#text[this.#pos]!)) this.#pos++;
  }

  #binary(kind: 'and' | 'or', symbol: string, operand: () => FilterNode | null): FilterNode | null {
    const first = operand();
    if (first === null) return null;
    const operands = [first];
    for (;;) {
      const next = this.#attempt(() => {
        this.#skipSpace();
        if (this.#text[this.#pos] !== symbol) return null;
        this.#pos++;
        return operand();
      });
      if (next === null) break;
      operands.push(next);
    }
    return operands.length === 1 ? first : { kind, operands };
  }

  #or(): FilterNode | null {
    return this.#binary('or', '|', () => this.#and());
  }

  #and(): FilterNode | null {
    return this.#binary('and', '&', () => this.#attempt(() => this.#not()));
  }

  #not(): FilterNode | null {
    this.#skipSpace();
    if (this.#text[this.#pos] === '!') {
      const negated = this.#attempt(() => {
        this.#pos++;
        const operand = this.#not();
        return operand === null ? null : ({ kind: 'not', operand } as const);
      });
      if (negated !== null) return negated;
    }
    return this.#primary();
  }

  #primary(): FilterNode | null {
    this.#skipSpace();
    const c = this.#text[this.#pos];
    if (c === '(') {
      return this.#attempt(() => {
        this.#pos++;
        const inner = this.#or();
        if (inner === null) return null;
        this.#skipSpace();
        if (this.#text[this.#pos] !== ')') {
          if (this.#pos < this.#text.length) this.#unclosedAt = this.#pos;
          return null;
        }
        this.#pos++;
        return inner;
      });
    }
    if (c === '~') return this.#operator();
    const at = this.#pos;
    const pattern = this.#pattern();
    return pattern === null ? null : this.#withPattern(URL_OPERATOR, pattern, at, 'pattern');
  }

  #operator(): FilterNode {
    const at = this.#pos;
    let end = at + 1;
    while (isPrintable(this.#text[end])) end++;
    const name = this.#text.slice(at + 1, end);
    const operator = operatorNamed(name);
    if (operator === undefined) throw this.#unknownOperator(name, at);
    this.#pos = end;
    if (operator.argument === 'none') return { kind: 'operator', operator };
    this.#skipSpace();
    const argAt = this.#pos;
    if (operator.argument === 'int') {
      const digits = /^[0-9]+/.exec(this.#text.slice(argAt))?.[0];
      if (digits === undefined) throw this.#error(`~${name} needs a number (a status code) after it`, argAt);
      this.#pos += digits.length;
      return { kind: 'operator', operator, argument: Number(digits) };
    }
    const pattern = this.#pattern();
    if (pattern === null) {
      throw this.#error(`~${name} needs a pattern after it (quote it if it contains spaces, parentheses, ~ or quotes)`, argAt);
    }
    return this.#withPattern(operator, pattern, argAt, `~${name} pattern`);
  }

  #unknownOperator(name: string, at: number): FilterSyntaxError {
    const known = OPERATORS.find((op) => name.startsWith(op.name) && /^[()&|!]/.test(name.slice(op.name.length)));
    if (known !== undefined) {
      const after = name[known.name.length]!;
      return this.#error(`an operator must be followed by a space: write "~${known.name} ${after}" instead of "~${known.name}${after}"`, at + 1 + known.name.length);
    }
    if (name === '') return this.#error('"~" must be followed by an operator name; see flowtx --help-filters', at);
    return this.#error(`unknown operator "~${name}"; see flowtx --help-filters`, at);
  }

  /** A bare word or a quoted string at the current position, or null. */
  #pattern(): string | null {
    const c = this.#text[this.#pos];
    if (c === '"' || c === "'") return this.#quoted(c);
    let end = this.#pos;
    while (end < this.#text.length && !SPACE.has(this.#text[end]!) && !WORD_STOP.has(this.#text[end]!)) end++;
    if (end === this.#pos) return null;
    const word = this.#text.slice(this.#pos, end);
    this.#pos = end;
    return word;
  }

  #quoted(quote: string): string {
    const at = this.#pos;
    let out = '';
    for (let i = at + 1; i < this.#text.length; i++) {
      const c = this.#text[i]!;
      if (c === '\n' || c === '\r') break;
      if (c === quote) {
        this.#pos = i + 1;
        return out;
      }
      if (c === '\\') {
        const next = this.#text[++i];
        if (next === undefined || next === '\n' || next === '\r') break;
        out += QUOTE_ESCAPES[next] ?? next;
      } else {
        out += c;
      }
    }
    throw this.#error(`unterminated ${quote === '"' ? 'double' : 'single'}-quoted string (it must close on the same line)`, at);
  }

  #withPattern(operator: PatternOperator, argument: string, at: number, label: string): FilterNode {
    try {
      const pattern = translatePattern(argument, { kind: operator.argument, multiline: operator.multiline, dotall: operator.dotall, ignoreCase: true });
      return { kind: 'operator', operator, argument, pattern };
    } catch (cause) {
      if (!(cause instanceof PatternError)) throw cause;
      throw new FilterSyntaxError(this.#text, at, `${label} ${JSON.stringify(argument)}: ${cause.message}`, { cause });
    }
  }
}

/** Parses a filter expression; throws FilterSyntaxError (a UsageError) with the column of the fault. */
export function parseFilter(expression: string): FilterNode {
  if (expression.trim() === '') throw new FilterSyntaxError(expression, 0, 'empty filter expression');
  try {
    return new Parser(expression).parse();
  } catch (cause) {
    // The parser recurses once per nesting level; thousands of "(" or "!" exhaust the stack.
    if (cause instanceof RangeError) throw new FilterSyntaxError(expression, 0, 'the expression nests too deeply', { cause });
    throw cause;
  }
}
