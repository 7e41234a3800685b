// Python regex → JavaScript: a table of patterns, subjects and the result Python's `re.search` gives (checked
// against the real Python when it is installed), and a table of patterns that must be refused with a reason.

import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PatternError, translatePattern, type PatternKind } from '../../src/filter/pyregex.js';
import { binary } from '../../src/model/byte-string.js';

const PYTHON = '/usr/bin/python3';
const havePython = spawnSync(PYTHON, ['--version']).status === 0;
/** Appended to the names of the tests that ask Python itself, where there is none. */
const noPython = havePython ? '' : ` (skipped: ${PYTHON} is not there)`;

type Flag = 'i' | 'm' | 's';

// [pattern, kind, flags, subject, Python's answer]. Bytes patterns and subjects are UTF-8 encoded, as mitmproxy does.
const MATCHES: [string, PatternKind, Flag[], string, boolean][] = [
  // named groups and backreferences
  ['(?P<word>ab)(?P=word)', 'text', [], 'xababx', true],
  ['(?P<word>ab)(?P=word)', 'text', [], 'xabx', false],
  ['(a)(b)\\2\\1', 'text', [], 'abba', true],
  ['(?P<n>x)(?:y)(?P=n)', 'bytes', [], 'xyx', true],
  // anchors
  ['\\Aab', 'text', ['m'], 'ab', true],
  ['\\Aab', 'text', ['m'], 'x\nab', false],
  ['^ab', 'text', ['m'], 'x\nab', true],
  ['^ab', 'text', [], 'x\nab', false],
  ['ab\\Z', 'text', [], 'ab\n', false],
  ['ab$', 'text', [], 'ab\n', true],
  ['ab$', 'text', [], 'ab\n\n', false],
  ['ab$', 'text', ['m'], 'ab\r\nx', false],
  ['ab\\r$', 'bytes', ['m'], 'ab\r\nx', true],
  ['ab$', 'text', ['m'], 'ab\nx', true],
  ['x$', 'text', [], 'x\u2028', false],
  // dot
  ['a.b', 'text', [], 'a\nb', false],
  ['a.b', 'text', ['s'], 'a\nb', true],
  ['a.b', 'text', [], 'a\rb', true],
  ['a.b', 'text', [], 'a\u2028b', true],
  ['a.b', 'bytes', [], 'a\u00e9b', false],
  ['a..b', 'bytes', [], 'a\u00e9b', true],
  // inline flags
  ['(?i)ABC', 'text', [], 'xabcx', true],
  ['(?s)a.b', 'text', [], 'a\nb', true],
  ['(?m)^b', 'text', [], 'a\nb', true],
  ['(?x) a b  # comment', 'text', [], 'ab', true],
  ['(?x) a\\ b', 'text', [], 'a b', true],
  ['(?x)[ ]', 'text', [], ' ', true],
  ['(?s:a.b)c', 'text', [], 'a\nbc', true],
  ['a(?-s:.)b', 'text', ['s'], 'a\nb', false],
  ['(?m:^b)', 'text', [], 'a\nb', true],
  ['(?-i:ABC)', 'bytes', ['i'], 'abc', false],
  ['(?-i:ABC)', 'bytes', ['i'], 'ABC', true],
  ['(?a)\\w+', 'text', [], '\u00e9', false],
  ['(?a)É', 'text', ['i'], 'é', false],
  // classes: Unicode for text, ASCII for bytes
  ['\\w', 'text', [], '\u00e9', true],
  ['\\w', 'bytes', [], '\u00e9', false],
  ['\\d', 'text', [], '\u0663', true],
  ['\\d', 'bytes', [], '\u0663', false],
  ['\\s', 'text', [], '\x1c', true],
  ['\\s', 'text', [], '\ufeff', false],
  ['\\s', 'bytes', [], '\u00a0', false],
  ['[\\s]', 'bytes', [], '\u00a0', false],
  ['[^\\S]', 'bytes', [], ' ', true],
  ['\\bcat\\b', 'text', [], 'écat', false],
  ['\\bcat\\b', 'text', [], '-cat-', true],
  ['\\bcat', 'bytes', [], '\u00e9cat', true],
  ['[\\W]', 'text', [], '\u00e9', false],
  ['[^\\w]', 'text', [], '-', true],
  // class syntax quirks
  ['[]a]', 'text', [], ']', true],
  ['[^]a]', 'text', [], ']', false],
  ['[a-]', 'text', [], '-', true],
  ['[\\]]', 'text', [], ']', true],
  ['[[]', 'text', [], '[', true],
  ['[\\b]', 'bytes', [], '\b', true],
  // case folding: ASCII only for bytes, Unicode for text
  ['abc', 'bytes', ['i'], 'ABC', true],
  ['[a-c]+x', 'bytes', ['i'], 'CBAX', true],
  ['é', 'bytes', ['i'], 'É', false],
  ['é', 'text', ['i'], 'É', true],
  ['k', 'text', ['i'], '\u212a', true],
  // escapes
  ['\\x41', 'text', [], 'A', true],
  ['\\u00e9', 'text', [], 'é', true],
  ['\\U0001f600', 'text', [], '\u{1f600}', true],
  ['\\101', 'text', [], 'A', true],
  ['\\0', 'text', [], '\0', true],
  ['\\a', 'text', [], '\x07', true],
  ['\\a', 'text', [], 'a', false],
  ['\\#\\&\\~\\-', 'text', [], '#&~-', true],
  ['a\\.b', 'text', [], 'axb', false],
  // quantifiers
  ['a{,2}b', 'text', [], 'b', true],
  ['^a{2}$', 'text', [], 'aa', true],
  ['a{', 'text', [], 'a{', true],
  ['a{}', 'text', [], 'a{}', true],
  ['a{x}', 'text', [], 'a{x}', true],
  ['^a{1,}?$', 'text', [], 'aaa', true],
  ['a(?#comment)+', 'text', [], 'aa', true],
  // lookarounds
  ['(?<=a)b', 'text', [], 'ab', true],
  ['(?<!a)b', 'text', [], 'ab', false],
  ['a(?=b)', 'bytes', [], 'ab', true],
  // bytes patterns are UTF-8: a quantifier after é repeats its last byte
  ['^é+$', 'bytes', [], 'é\u00a9', false],
  ['é', 'bytes', [], 'é', true],
  ['\u{1f600}', 'text', [], '\u{1f600}', true],
];

// [pattern, kind, flags, what our message says, does Python accept it?]
const REFUSED: [string, PatternKind, Flag[], RegExp, boolean][] = [
  ['(?>a)', 'text', [], /atomic groups/, true],
  ['a*+', 'text', [], /possessive/, true],
  ['a{1,2}+', 'bytes', [], /possessive/, true],
  ['(a)?(?(1)b|c)', 'text', [], /conditional/, true],
  ['(?L)a', 'bytes', [], /locale/, true],
  ['(?u)a', 'bytes', [], /bytes pattern/, false],
  ['\\N{DIGIT ONE}', 'text', [], /named characters/, true],
  ['(?-i:a)', 'text', ['i'], /case folding/, true],
  ['(a)\\1', 'bytes', ['i'], /backreference that ignores case/, true],
  ['a(?i)', 'text', [], /global flags not at the start/, false],
  ['(?<n>a)', 'text', [], /\(\?P<name>/, false],
  ['\\q', 'text', [], /bad escape \\q/, false],
  ['\\u00e9', 'bytes', [], /bad escape \\u/, false],
  ['\\x4', 'text', [], /incomplete escape/, false],
  ['(a', 'text', [], /missing \)/, false],
  ['a)', 'text', [], /unbalanced parenthesis/, false],
  ['[a', 'text', [], /unterminated character set/, false],
  ['[z-a]', 'text', [], /bad character range/, false],
  ['*a', 'text', [], /nothing to repeat/, false],
  ['^*', 'text', [], /nothing to repeat/, false],
  ['a**', 'text', [], /multiple repeat/, false],
  ['a{3,2}', 'text', [], /min repeat greater than max repeat/, false],
  ['\\2(a)', 'text', [], /invalid group reference/, false],
  ['(a\\1)', 'text', [], /open group/, false],
  ['(?P=x)', 'text', [], /unknown group name/, false],
  ['(?P<a>x)(?P<a>y)', 'text', [], /redefinition of group name/, false],
  ['(?P<1a>x)', 'text', [], /bad character in group name/, false],
  ['\\400', 'text', [], /outside of range/, false],
  ['a\\', 'text', [], /bad escape \(end of pattern\)/, false],
  ['(?x)a* ?', 'text', [], /multiple repeat/, false],
];

function search(pattern: string, kind: PatternKind, flags: Flag[], subject: string): boolean {
  const re = translatePattern(pattern, { kind, ignoreCase: flags.includes('i'), multiline: flags.includes('m'), dotall: flags.includes('s') });
  return re.test(kind === 'bytes' ? binary(Buffer.from(subject, 'utf8')) : subject);
}

/** Python's answers for the same tables: true/false for a search, null when re.compile refuses. */
function python(cases: [string, PatternKind, Flag[], string][]): (boolean | null)[] {
  const program = `
import json, re, sys
out = []
for pattern, kind, flags, subject in json.load(sys.stdin):
    f = (re.I if 'i' in flags else 0) | (re.M if 'm' in flags else 0) | (re.S if 's' in flags else 0)
    try:
        r = re.compile(pattern.encode() if kind == 'bytes' else pattern, f)
    except re.error:
        out.append(None); continue
    out.append(r.search(subject.encode() if kind == 'bytes' else subject) is not None)
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ['-c', program], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as (boolean | null)[];
}

describe('translated patterns search as Python does', () => {
  test.each(MATCHES)('%j (%s, flags %j) on %j → %s', (pattern, kind, flags, subject, expected) => {
    expect(search(pattern, kind, flags, subject)).toBe(expected);
  });

  test.skipIf(!havePython)(`the expectations are Python 3's own answers${noPython}`, () => {
    const answers = python(MATCHES.map(([p, k, f, s]) => [p, k, f, s]));
    expect(MATCHES.map(([p], i) => [p, answers[i]])).toEqual(MATCHES.map(([p, , , , expected]) => [p, expected]));
  });
});

describe('patterns with no exact translation, or that Python refuses, are refused with a reason', () => {
  test.each(REFUSED)('%j (%s)', (pattern, kind, flags, message) => {
    let error: unknown;
    try {
      translatePattern(pattern, { kind, ignoreCase: flags.includes('i') });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PatternError);
    expect((error as Error).message).toMatch(message);
  });

  test.skipIf(!havePython)(`Python accepts exactly the ones marked so${noPython}`, () => {
    const answers = python(REFUSED.map(([p, k, f]) => [p, k, f, '']));
    expect(REFUSED.map(([p], i) => [p, answers[i] !== null])).toEqual(REFUSED.map(([p, , , , accepted]) => [p, accepted]));
  });
});

describe.skipIf(!havePython)(`generated patterns and subjects: the same answer as Python, or a refusal with a reason${noPython}`, () => {
  const tokens = ['a', 'b', 'A', 'é', 'É', 'k', 'K', '\u212a', 'ǅ', '0', '9', ' ', '\n', '\r', '_', '-', '#', '.', '^', '$', '*', '+', '?', '{2}', '{,2}',
    '{1,}', '{', '}', '|', '(', ')', '(?:', '(?P<g>', '(?P=g)', '[', ']', '[^', '\\d', '\\w', '\\s', '\\b', '\\B', '\\A', '\\Z', '\\D', '\\W',
    '\\S', '\\1', '\\x41', '\\n', '\\.', '\\-', '(?=', '(?!', '(?i)', '(?s)', '(?m)', '(?x)', '(?a)', '(?#c)', '(?s:', '(?-i:',
    '(?<=a)', '(?<!b)', '\\0', '\\101', '[a-z]', '[^\\d]', '[\\w-]', '[.-9]', '\\t', '\\a', '(?x:', '(?m:'];
  const subject = fc.array(fc.constantFrom('a', 'A', 'b', 'é', 'É', ' ', '0', '9', '\n', '\r', '_', '-', '.', 'k', 'K', '\u212a', '#', '{', '}', 'ǅ', 'ǆ'), { maxLength: 8 }).map((c) => c.join(''));
  const cases = fc.sample(
    fc.tuple(
      fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 9 }).map((t) => t.join('')),
      fc.constantFrom<PatternKind>('bytes', 'text'),
      fc.subarray<Flag>(['i', 'm', 's']),
      subject,
    ),
    { numRuns: 5000, seed: 10 },
  );

  test('5000 cases', () => {
    const answers = python(cases);
    const wrong: unknown[] = [];
    let compared = 0;
    cases.forEach(([pattern, kind, flags, text], i) => {
      let ours: boolean | null;
      try {
        ours = search(pattern, kind, flags, text);
      } catch (err) {
        if (!(err instanceof PatternError)) throw err;
        // A documented refusal of something Python accepts is allowed; anything else must agree.
        if (answers[i] !== null && /no (exact )?JavaScript equivalent/.test(err.message)) return;
        ours = null;
      }
      compared++;
      if (ours !== answers[i]) wrong.push({ pattern, kind, flags, text, ours, python: answers[i] });
    });
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(4500);
    // Most generated patterns are ones Python refuses; enough of them search for the comparison to tell.
    expect(answers.filter((a) => a === true).length).toBeGreaterThan(250);
    expect(answers.filter((a) => a === false).length).toBeGreaterThan(800);
  });
});
