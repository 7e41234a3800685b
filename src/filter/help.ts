// The operator table rendered for people: `flowtx --help-filters` (plain text) and the generated part of
// docs/filters.md (Markdown). Both come from OPERATORS, so neither can fall behind the parser.

import { OPERATORS, type Operator } from './operators.js';

const ARGUMENT: Record<Operator['argument'], string> = { none: '', bytes: 'regex', text: 'regex', int: 'int' };
const MATCHED_AGAINST: Record<Operator['argument'], string> = { none: '', bytes: 'bytes', text: 'text', int: 'integer' };

const COMBINATORS: readonly [string, string][] = [
  ['!A', 'not A'],
  ['A & B', 'A and B'],
  ['A | B', 'A or B (binds looser than &)'],
  ['A B', 'A and B: words side by side are ANDed, looser than | (A | B C means (A | B) & C)'],
  ['( A )', 'grouping (an operator needs a space before ")")'],
  ['regex', 'a bare or quoted pattern with no operator means ~u regex'],
];

function synopsis(op: Operator): string {
  const arg = ARGUMENT[op.argument];
  return arg === '' ? `~${op.name}` : `~${op.name} ${arg}`;
}

export function filterHelpText(): string {
  const rows = [...OPERATORS.map((op): [string, string] => [synopsis(op), op.help]), ...COMBINATORS];
  const width = Math.max(...rows.map(([s]) => s.length)) + 2;
  const lines = rows.map(([s, help]) => `  ${s.padEnd(width)}${help}`);
  return [
    'Filter expressions (mitmproxy syntax), for --filter, --select, a trailing expression and ctx.filter():',
    '',
    ...lines,
    '',
    'Patterns are Python regular expressions, searched (not anchored), ignoring case. Quote a pattern that',
    'contains spaces, parentheses, ~ or quotes: ~h "content-type: text/(html|css)". Every operator must be',
    'followed by a space or the end. Docs: docs/filters.md.',
    '',
  ].join('\n');
}

const escapeCell = (text: string): string => text.replaceAll('|', '\\|');

/** The generated operator table of docs/filters.md. */
export function filterHelpMarkdown(): string {
  const rows = OPERATORS.map(
    (op) =>
      `| \`${synopsis(op)}\` | ${escapeCell(op.help)} | ${op.types.join(', ')} | ${MATCHED_AGAINST[op.argument] || '—'}${flagsOf(op)} |`,
  );
  return [
    '| operator | true for | flow types | pattern matched against |',
    '|---|---|---|---|',
    ...rows,
    '',
    '| combinator | meaning |',
    '|---|---|',
    ...COMBINATORS.map(([s, help]) => `| \`${escapeCell(s)}\` | ${escapeCell(help)} |`),
    '',
  ].join('\n');
}

function flagsOf(op: Operator): string {
  if (op.argument !== 'bytes' && op.argument !== 'text') return '';
  const flags = [op.multiline ? 'MULTILINE' : '', op.dotall ? 'DOTALL' : ''].filter(Boolean);
  return flags.length === 0 ? '' : ` (${flags.join(', ')})`;
}
