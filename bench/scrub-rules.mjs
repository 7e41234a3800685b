// Throughput of the key-format detector (src/scrub/rules.ts) on generated, realistic decoded field values:
// JSON API bodies, HTML pages, minified JS, headers and URLs, with the look-alikes real traffic carries
// (UUIDs, hashes, SRI, nonces, data URIs) and the short keywords real text is full of ("key", "task", "s.").
// Not a test: it prints Markdown tables. Needs the build of src/ (`npx tsc -b`).
//
//   node bench/scrub-rules.mjs [--mib 8] [--runs 5] [--seed 1]
//
// Sections: the prefilter alone (the Aho–Corasick scanner against one alternation regex), the detector
// with and without planted secrets, and each default rule's regex on adversarial text (the backtracking
// check of docs/scrubbing.md).

import { parseArgs } from 'node:util';
import { KeywordScanner } from '../dist/scrub/keywords.js';
import { findSecrets, RULES } from '../dist/scrub/rules.js';

const { values: options } = parseArgs({
  options: { mib: { type: 'string', default: '8' }, runs: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' } },
});
const TARGET_CHARS = Number(options.mib) * 2 ** 20;
const RUNS = Number(options.runs);

/** mulberry32: the same seed gives the same text on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = prng(Number(options.seed));
const pick = (list) => list[Math.floor(random() * list.length)];
const chars = (alphabet, n) => Array.from({ length: n }, () => pick(alphabet)).join('');
const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const WORDS = (
  'the they key keyboard monkey task ask desk risk this options value values status user users account name ' +
  'email api version session token tokens secret public path paths request response data items item count ' +
  'price page pages next previous search query result results config settings enabled disabled title ' +
  'description content message messages error errors warning created updated deleted author authors'
).split(' ');
const uuid = () => `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-a${chars(HEX, 3)}-${chars(HEX, 12)}`;
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

const json = () =>
  JSON.stringify({
    id: uuid(),
    request_id: uuid(),
    sha: chars(HEX, 40),
    etag: `W/"${chars(HEX, 32)}"`,
    user: { name: pick(WORDS), email: `${pick(WORDS)}@example.com`, avatar_url: `https://cdn.example.com/a/${chars(HEX, 64)}.png` },
    client_id: chars(ALNUM, 20),
    items: Array.from({ length: 20 + Math.floor(random() * 60) }, (_, i) => ({
      id: i,
      key: `${pick(WORDS)}_${pick(WORDS)}`,
      title: sentence(6),
      description: sentence(20),
      price: Math.round(random() * 10000) / 100,
      enabled: random() < 0.5,
      checksum: `sha256-${chars(B64, 43)}=`,
    })),
  });
const html = () =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${sentence(4)}</title>` +
  `<link rel="stylesheet" href="/assets/app.${chars(HEX, 64)}.css" integrity="sha384-${chars(B64, 64)}" crossorigin="anonymous">` +
  `<script nonce="${chars(B64, 22)}==" src="/assets/main.${chars(HEX, 20)}.js"></script></head><body>` +
  Array.from(
    { length: 40 },
    () => `<div class="card px-4 py-2"><a href="/docs/${pick(WORDS)}?ref=${pick(WORDS)}&page=${Math.floor(random() * 9)}">${sentence(3)}</a><p>${sentence(30)}</p></div>`,
  ).join('\n') +
  `<img alt="logo" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA${chars(B64, 2000)}=">` +
  '</body></html>';
const js = () =>
  Array.from({ length: 60 }, () => {
    const [a, b, c] = [pick(WORDS), pick(WORDS), pick(WORDS)];
    return (
      `function ${a}_${b}(e,t){var n=this.options.${c}||e.keyCode;if(!n)throw new Error("${sentence(5)}");` +
      `return t.map(function(r){return r.${a}===n?Object.assign({},r,{${b}:!0}):r})}` +
      `var ${c}Map={"${a}":"${chars(HEX, 8)}","api-version":"2024-0${Math.floor(random() * 9) + 1}-01"};`
    );
  }).join('');
const header = () =>
  pick([
    () => `Sec-WebSocket-Key: ${chars(B64, 22)}==`,
    () => `X-Request-Id: ${uuid()}`,
    () => `ETag: "${chars(HEX, 40)}"`,
    () => `Content-Security-Policy: script-src 'nonce-${chars(B64, 22)}' 'strict-dynamic'`,
    () => `https://api.example.com/v2/${pick(WORDS)}/${uuid()}?page=${Math.floor(random() * 99)}&fields=${pick(WORDS)},${pick(WORDS)}`,
    () => `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36`,
  ])();
const SHAPES = [
  () => `ghp_${chars(ALNUM, 36)}`,
  () => `AKIA${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
  () => `xoxb-${chars('0123456789', 12)}-${chars('0123456789', 12)}-${chars(ALNUM, 24)}`,
  () => `sk_live_${chars(ALNUM, 24)}`,
  () => `AIza${chars(ALNUM, 35)}`,
  () => `eyJ${chars(ALNUM, 30)}.eyJ${chars(ALNUM, 40)}.${chars(ALNUM, 43)}`,
  () => `glpat-${chars(ALNUM, 20)}`,
  () => `npm_${chars(ALNUM, 36)}`,
];

/** Field values of the kinds above, `1 in plantEvery` of them with a secret inside (0: none). */
function corpus(plantEvery) {
  const values = [];
  let size = 0;
  while (size < TARGET_CHARS) {
    let value = pick([json, json, html, js, header, header, header])();
    if (plantEvery && values.length % plantEvery === 0) {
      const at = Math.floor(random() * value.length);
      value = `${value.slice(0, at)} "${pick(SHAPES)()}" ${value.slice(at)}`;
    }
    // Decoded field values are flat strings; a concatenation is a rope that every reader would flatten first.
    values.push(Buffer.from(value).toString());
    size += value.length;
  }
  return { values, size };
}

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

/**
 * Median MiB/s of `fn` over every value, in CPU time of this process: the 2 cores are shared with other
 * work, and wall time measured that work as much as this. The first run warms up and is not counted.
 */
function throughput({ values, size }, fn) {
  const times = [];
  for (let run = 0; run <= RUNS; run++) {
    const start = cpu();
    for (const value of values) fn(value);
    if (run > 0) times.push(cpu() - start);
  }
  return size / 2 ** 20 / median(times);
}

const clean = corpus(0);
const planted = corpus(50);
const shape = RULES.filter((rule) => rule.kind === 'shape');
const keywords = [...new Set(shape.flatMap((rule) => rule.keywords))];
const scanner = new KeywordScanner(keywords);
const found = new Uint8Array(keywords.length);
// The alternative measured against: one alternation over the lower-cased text, longest words first so
// that a word inside a longer one is still reported at its own position (lastIndex steps one character).
const escaped = [...keywords].sort((a, b) => b.length - a.length).map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const alternation = new RegExp(escaped.join('|'), 'g');
const byAlternation = (text) => {
  const lower = text.toLowerCase();
  alternation.lastIndex = 0;
  for (let m = alternation.exec(lower); m !== null; m = alternation.exec(lower)) alternation.lastIndex = m.index + 1;
};

let findings = 0;
console.log(`## scrub rules: ${shape.length} shape rules, ${keywords.length} keywords; ${(clean.size / 2 ** 20).toFixed(1)} MiB of text, median of ${RUNS} runs\n`);
console.log('| what | MiB/s |\n|---|---|');
console.log(`| prefilter: Aho–Corasick scan, no secrets | ${throughput(clean, (t) => scanner.scan(t, found.fill(0))).toFixed(0)} |`);
console.log(`| prefilter: lower-case + one alternation regex, no secrets | ${throughput(clean, byAlternation).toFixed(0)} |`);
console.log(`| \`String.prototype.toLowerCase\` alone (for scale) | ${throughput(clean, (t) => t.toLowerCase()).toFixed(0)} |`);
console.log(`| findSecrets, no secrets | ${throughput(clean, findSecrets).toFixed(0)} |`);
console.log(`| findSecrets, a secret in 1 of 50 values | ${throughput(planted, (t) => (findings += findSecrets(t).length)).toFixed(0)} |`);
console.log(`\n${findings / (RUNS + 1)} findings per run in ${planted.values.length} values (${Math.ceil(planted.values.length / 50)} planted)\n`);

// Adversarial text: per rule, each keyword followed by runs of characters its pattern may accept, 1 MiB a
// text; a pattern that rescans a run from every start would show here as seconds, and grow 16× from the
// 256 KiB row to the 1 MiB one instead of 4×.
const FILLS = ['', 'a', '0', 'aB3', '-_', ' ', '.', 'a.', 'a-', '=', '+/', '\n'];
function worstMs(rule, size) {
  const regex = new RegExp(rule.regex.source, `${rule.regex.flags}dg`);
  let worst = 0;
  for (const keyword of rule.keywords) {
    for (const fill of FILLS) {
      const unit = keyword + fill.repeat(40);
      for (const text of [unit.repeat(size / unit.length), keyword + (fill || keyword).repeat(size / (fill || keyword).length)]) {
        const start = cpu();
        regex.lastIndex = 0;
        while (regex.exec(text) !== null);
        worst = Math.max(worst, (cpu() - start) * 1000);
      }
    }
  }
  return worst;
}
const slowest = shape.map((rule) => ({ id: rule.id, worst: worstMs(rule, 2 ** 20) })).sort((a, b) => b.worst - a.worst);
console.log('| rule (slowest 8 on adversarial text) | worst ms, 1 MiB | worst ms, 256 KiB |\n|---|---|---|');
for (const { id, worst } of slowest.slice(0, 8)) {
  const small = worstMs(shape.find((rule) => rule.id === id), 2 ** 18);
  console.log(`| ${id} | ${worst.toFixed(1)} | ${small.toFixed(1)} |`);
}
