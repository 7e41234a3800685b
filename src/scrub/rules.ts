// The "well-known key formats" detector: gitleaks' rules (rules/gitleaks.json, converted from its MIT rule
// file by scripts/convert-gitleaks.mjs) run over a text as gitleaks runs them: one keyword prefilter, a
// rule's regex only when one of its keywords occurs, then its entropy floor and the allowlists. A finding
// carries offsets only, never the secret, so nothing that prints a finding can print a secret.

import data from './rules/gitleaks.json' with { type: 'json' };
import { KeywordScanner } from './keywords.js';

export interface Finding {
  /** The gitleaks rule id, e.g. `github-pat`. */
  readonly rule: string;
  /** The secret's UTF-16 offsets in the text: `text.slice(start, end)`. */
  readonly start: number;
  readonly end: number;
}

interface Pattern {
  source: string;
  flags: string;
}

interface AllowlistData {
  /** What the regexes test: the secret (default), the whole `match`, or the `line` around it. */
  regexTarget?: string;
  /** `AND`: every check present must hold; otherwise any one does. */
  condition?: string;
  regexes?: Pattern[];
  stopwords?: string[];
}

export interface RuleData {
  id: string;
  description: string;
  /** `shape`: the token's own format (on by default); `keyword-context`: a value found by the name before it. */
  kind: string;
  regex: Pattern;
  secretGroup?: number;
  /** Shannon entropy (bits per character) the secret must exceed. */
  entropy?: number;
  /** Lower-case; the rule runs only on text containing one of them, in any case. */
  keywords: string[];
  allowlists: AllowlistData[];
}

const file: { allowlist: AllowlistData; rules: RuleData[] } = data;

/** Every converted rule, in the file's order. */
export const RULES: readonly RuleData[] = file.rules;

export type Detector = (text: string) => Finding[];

interface Allowlist {
  target: 'secret' | 'match' | 'line';
  all: boolean;
  regexes: RegExp[];
  stopwords: KeywordScanner | undefined;
}

interface Rule {
  id: string;
  regex: RegExp;
  secretGroup: number | undefined;
  entropy: number | undefined;
  allowlists: Allowlist[];
}

/** Compiles the rules once; the detector then finds their secrets in any number of texts. */
export function createDetector(rules: readonly RuleData[]): Detector {
  const global = compileAllowlist(file.allowlist);
  const compiled = rules.map(
    (rule): Rule => ({
      id: rule.id,
      // d: the offsets of the secret group; g: every match, as gitleaks' FindAll.
      regex: new RegExp(rule.regex.source, `${rule.regex.flags}dg`),
      secretGroup: rule.secretGroup,
      entropy: rule.entropy,
      allowlists: [global, ...rule.allowlists.map(compileAllowlist)],
    }),
  );
  const keywords = [...new Set(rules.flatMap((rule) => rule.keywords))];
  const scanner = new KeywordScanner(keywords);
  const rulesOf = keywords.map((keyword) => compiled.filter((_, i) => rules[i]!.keywords.includes(keyword)));
  const found = new Uint8Array(keywords.length);
  const run = new Set<Rule>();

  return (text) => {
    found.fill(0);
    if (scanner.scan(text, found) === 0) return [];
    run.clear();
    for (let k = 0; k < found.length; k++) if (found[k]) for (const rule of rulesOf[k]!) run.add(rule);
    // In the rules' order, not the keywords', so findings come out the same whatever text triggered them.
    return compiled.filter((rule) => run.has(rule)).flatMap((rule) => match(rule, text));
  };
}

/** The detector of the rules on by default: the shape rules. */
export const findSecrets: Detector = createDetector(RULES.filter((rule) => rule.kind === 'shape'));

function match(rule: Rule, text: string): Finding[] {
  const findings: Finding[] = [];
  const { regex } = rule;
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    if (m[0] === '') {
      regex.lastIndex++;
      continue;
    }
    const [start, end] = secretSpan(m, rule.secretGroup);
    if (start === end) continue;
    const secret = text.slice(start, end);
    if (rule.entropy !== undefined && entropy(secret) <= rule.entropy) continue;
    const [matchStart, matchEnd] = m.indices![0]!;
    if (rule.allowlists.some((list) => allows(list, secret, text, matchStart, matchEnd))) continue;
    findings.push({ rule: rule.id, start, end });
  }
  return findings;
}

/**
 * gitleaks' secret: the `secretGroup` if the rule names one, else the first capture group that matched
 * something, else the whole match without surrounding line feeds.
 */
function secretSpan(m: RegExpExecArray, secretGroup: number | undefined): readonly [number, number] {
  const indices = m.indices!;
  if (secretGroup !== undefined) return indices[secretGroup] ?? [0, 0];
  for (let g = 1; g < indices.length; g++) {
    const span = indices[g];
    if (span !== undefined && span[1] > span[0]) return span;
  }
  let [start, end] = indices[0]!;
  while (start < end && m.input.charCodeAt(start) === 0x0a) start++;
  while (end > start && m.input.charCodeAt(end - 1) === 0x0a) end--;
  return [start, end];
}

/** Shannon entropy in bits per character, as gitleaks computes it on the secret. */
export function entropy(text: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function compileAllowlist(list: AllowlistData): Allowlist {
  const target = list.regexTarget ?? 'secret';
  if (target !== 'secret' && target !== 'match' && target !== 'line') throw new Error(`unknown regexTarget ${target}`);
  return {
    target,
    all: list.condition === 'AND',
    regexes: (list.regexes ?? []).map(({ source, flags }) => new RegExp(source, flags)),
    stopwords: list.stopwords ? new KeywordScanner(list.stopwords) : undefined,
  };
}

/** gitleaks' checkFindingAllowed for one list: its regexes test the target, its stopwords the secret. */
function allows(list: Allowlist, secret: string, text: string, matchStart: number, matchEnd: number): boolean {
  const checks: boolean[] = [];
  if (list.regexes.length) {
    const target =
      list.target === 'secret'
        ? secret
        : list.target === 'match'
          ? text.slice(matchStart, matchEnd)
          : text.slice(text.lastIndexOf('\n', matchStart - 1) + 1, lineEnd(text, matchEnd));
    checks.push(list.regexes.some((regex) => regex.test(target)));
  }
  if (list.stopwords) checks.push(list.stopwords.occursIn(secret));
  return list.all ? checks.every(Boolean) : checks.some(Boolean);
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end;
}
