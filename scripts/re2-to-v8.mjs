// RE2 (Go regexp) syntax → a V8 RegExp source and flags that match the same strings. Build-time only: the
// gitleaks converter uses it; nothing at run time parses RE2.
//
// The rewrites, each because V8 (Node 20, no `u` flag) reads the RE2 form differently or not at all:
//   1. `(?P<name>` → `(?<name>`.
//   2. POSIX classes `[[:alnum:]]` → their ASCII ranges.
//   3. `.` → `[^\n]` (RE2's dot excludes only \n; V8's also \r, U+2028/9); inside `(?s:…)` → `[\s\S]`.
//   4. `\z` → `$` and `\A` → `^` (V8 without the `m` flag reads `$` and `^` as RE2 does).
//   5. A leading `(?i)` that holds for the whole pattern → the `i` flag.
//   6. Any other case-insensitive stretch (`x(?i)…`, `(?i:…)`, or a `(?i)` pattern with a `(?-i:…)` hole) →
//      each letter and class widened to both cases, exactly, since Node 20 has no inline modifiers.
//   7. `]` first in a class (`[]a]`, `[^]]`) → `\]`: V8 reads `[^]` as "any character".
// Also exact: `\s`/`\S` → RE2's ASCII `[\t\n\f\r ]` (V8's `\s` adds Unicode spaces and \v).

const POSIX = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const SPACE = '\\t\\n\\f\\r ';

/** @param {string} re2 @returns {{ source: string, flags: string }} */
export function translate(re2) {
  // Rewrite 5: one flag when nothing turns case-insensitivity off again.
  const wholeI = re2.startsWith('(?i)') && !/\(\?[a-z]*-[a-z]*i/.test(re2);
  const source = convert(wholeI ? re2.slice(4) : re2, wholeI);
  const flags = wholeI ? 'i' : '';
  new RegExp(source, flags); // a rewrite that yields invalid V8 syntax fails the build here, not at run time
  return { source, flags };
}

/** Walks the pattern once, tracking RE2's per-group flags; `flagI` says the `i` flag already covers case. */
function convert(pattern, flagI) {
  let out = '';
  let i = 0;
  // One frame per open group: the flags in force inside it (a bare `(?i)` changes its own frame's).
  const frames = [{ ci: false, dotAll: false }];
  const top = () => frames[frames.length - 1];
  const fail = (why) => {
    throw new Error(`cannot translate RE2 pattern at ${i}: ${why}: ${pattern}`);
  };

  while (i < pattern.length) {
    const ch = pattern[i];
    const ci = top().ci && !flagI;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) fail('trailing backslash');
      if (next === 'z') out += '$';
      else if (next === 'A') out += '^';
      else if (next === 's') out += `[${SPACE}]`;
      else if (next === 'S') out += `[^${SPACE}]`;
      else if (next === 'Q' || next === 'p' || next === 'P' || next === 'C') fail(`\\${next} is not supported`);
      else if (next === 'x') {
        const hex = pattern.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail('\\x needs two hex digits');
        const ch = String.fromCharCode(parseInt(hex, 16));
        out += ci && swapCase(ch) !== ch ? literal(ch, true) : `\\x${hex}`;
        i += 4;
        continue;
      } else out += ci && /[a-zA-Z]/.test(next) && !/[dDwWbBnrtfv]/.test(next) ? fail(`\\${next} under (?i)`) : `\\${next}`;
      i += 2;
    } else if (ch === '[') {
      const { text, end } = charClass(pattern, i, ci, fail);
      out += text;
      i = end;
    } else if (ch === '(') {
      if (pattern.startsWith('(?P<', i)) {
        out += '(?<';
        i += 4;
        frames.push({ ...top() });
      } else if (pattern.startsWith('(?<', i) || pattern[i + 1] !== '?') {
        out += '(';
        i += 1;
        frames.push({ ...top() });
      } else {
        const m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(pattern.slice(i));
        if (!m) fail('unknown group syntax');
        const [whole, on = '', off = '', close] = m;
        if (/[^is]/.test(on + off)) fail(`flag ${on}-${off} is not supported`);
        const flags = { ...top() };
        if (on.includes('i')) flags.ci = true;
        if (off.includes('i')) flags.ci = false;
        if (on.includes('s')) flags.dotAll = true;
        if (off.includes('s')) flags.dotAll = false;
        if (close === ')') frames[frames.length - 1] = flags; // `(?i)`: the rest of this group
        else {
          out += '(?:';
          frames.push(flags);
        }
        i += whole.length;
      }
    } else if (ch === ')') {
      if (frames.length === 1) fail('unbalanced )');
      frames.pop();
      out += ')';
      i += 1;
    } else if (ch === '.') {
      out += top().dotAll ? '[\\s\\S]' : '[^\\n]';
      i += 1;
    } else {
      out += literal(ch, ci);
      i += 1;
    }
  }
  if (frames.length !== 1) fail('unbalanced (');
  return out;
}

/** A character outside a class (an operator stays one); a letter under (?i) becomes a class of both cases. */
function literal(ch, ci) {
  const other = swapCase(ch);
  return ci && other !== ch ? `[${ch}${other}]` : ch;
}

function swapCase(ch) {
  const lower = ch.toLowerCase();
  return ch === lower ? ch.toUpperCase() : lower;
}

/**
 * Reads the class that starts at `start` with RE2's rules (a `]` right after `[` or `[^` is literal; POSIX
 * names) and writes it in V8's; under (?i) every letter and letter range gains its other case.
 */
function charClass(pattern, start, ci, fail) {
  let i = start + 1;
  let negated = false;
  if (pattern[i] === '^') {
    negated = true;
    i += 1;
  }
  /** Parts as V8 text; ranges of letters are also kept as code points to widen them under (?i). */
  const parts = [];
  const ranges = [];
  let first = true;
  while (first || pattern[i] !== ']') {
    if (i >= pattern.length) fail('unterminated class');
    const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
    if (posix) {
      if (posix[1] || !(posix[2] in POSIX)) fail(`POSIX class ${posix[0]}`);
      parts.push(POSIX[posix[2]]);
      i += posix[0].length;
      first = false;
      continue;
    }
    const [lo, afterLo] = classAtom(pattern, i, fail);
    if (lo.code !== undefined && pattern[afterLo] === '-' && pattern[afterLo + 1] !== ']') {
      const [hi, afterHi] = classAtom(pattern, afterLo + 1, fail);
      if (hi.code === undefined) fail('range to a class escape');
      parts.push(`${lo.text}-${hi.text}`);
      ranges.push([lo.code, hi.code]);
      i = afterHi;
    } else {
      parts.push(lo.text);
      if (lo.code !== undefined) ranges.push([lo.code, lo.code]);
      i = afterLo;
    }
    first = false;
  }
  if (ci) for (const [lo, hi] of ranges) parts.push(...otherCase(lo, hi));
  return { text: `[${negated ? '^' : ''}${parts.join('')}]`, end: i + 1 };
}

/** One class member: a character (with its code point) or an escape such as \d (no code point). */
function classAtom(pattern, i, fail) {
  const ch = pattern[i];
  if (ch !== '\\') return [{ text: classChar(ch.charCodeAt(0)), code: ch.charCodeAt(0) }, i + 1];
  const next = pattern[i + 1];
  if (next === 'x') {
    const code = parseInt(pattern.slice(i + 2, i + 4), 16);
    if (Number.isNaN(code)) fail('\\x needs two hex digits');
    return [{ text: classChar(code), code }, i + 4];
  }
  if (next === 's') return [{ text: SPACE }, i + 2];
  const controls = { n: 10, r: 13, t: 9, f: 12, v: 11 };
  if (next in controls) return [{ text: `\\${next}`, code: controls[next] }, i + 2];
  if (/[dDwWS]/.test(next)) return [{ text: `\\${next}` }, i + 2];
  if (/[a-zA-Z0-9]/.test(next)) fail(`class escape \\${next}`);
  return [{ text: classChar(next.charCodeAt(0)), code: next.charCodeAt(0) }, i + 2];
}

/** A code point as class text, escaped where V8 would read it as syntax. */
function classChar(code) {
  const ch = String.fromCharCode(code);
  if (code < 0x20 || code > 0x7e) return `\\x${code.toString(16).padStart(2, '0')}`;
  return /[\\\]\[^-]/.test(ch) ? `\\${ch}` : ch;
}

/** The other-case ranges of the letters within lo..hi (ASCII, as RE2's simple folding does for them). */
function otherCase(lo, hi) {
  const extra = [];
  for (const [a, z, shift] of [
    [0x61, 0x7a, -0x20],
    [0x41, 0x5a, 0x20],
  ]) {
    const from = Math.max(lo, a);
    const to = Math.min(hi, z);
    if (from <= to) extra.push(`${classChar(from + shift)}-${classChar(to + shift)}`);
  }
  return extra;
}
