#!/usr/bin/env node
// `npm run bench`: measures flowtx on a generated archive and prints its figures beside the peer's.
// The peer is mitmdump 8.1.1 as measured on this machine kind by ../shared/bench (README.md there: same
// harness, GNU time, medians of 3 runs, 300 MiB archive of ~9.4 KiB flows).
//
//   npm run bench                 300 MiB and 3 GiB archives (3 GiB: one run per case)
//   npm run bench -- --quick      300 MiB only
//   npm run bench -- --runs 5     more runs per case
// Inputs are generated once into $TMPDIR/flowtx-bench and reused while the generator parameters match.

import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/flowtx.js');
const DIR = join(tmpdir(), 'flowtx-bench');
const MiB = 1024 * 1024;

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, runs: { type: 'string', default: '3' }, seed: { type: 'string', default: '20240601' } },
});
const RUNS = Number(values.runs);

// mitmdump 8.1.1 on big.flows (300 MiB, 33,504 flows), from ../shared/bench/README.md, "Offline results".
const PEER = {
  source: '../shared/bench/README.md (mitmdump 8.1.1, 300 MiB archive, medians of 3)',
  passthrough: { mibs: 9.4, flowsPerSecond: 1053, rssMiB: 64.2 },
  addHeader: { mibs: 10.0, flowsPerSecond: 1116, rssMiB: 64.6 },
  startupSeconds: 0.99,
};

async function ensureInput(name, targetMiB, make) {
  const file = join(DIR, name);
  const meta = `${file}.json`;
  const wanted = JSON.stringify({ targetMiB, seed: values.seed, generator: readFileSync(join(ROOT, 'bench/generate.mjs'), 'utf8').length });
  if (existsSync(file) && existsSync(meta) && readFileSync(meta, 'utf8').startsWith(wanted.slice(0, -1))) {
    return { file, ...JSON.parse(readFileSync(meta, 'utf8')) };
  }
  const info = await make(file);
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(wanted), ...info }));
  return { file, targetMiB, ...info };
}

function generate(file, targetMiB) {
  console.error(`generating ${file} (${targetMiB} MiB, seed ${values.seed}) …`);
  const r = spawnSync(process.execPath, [join(ROOT, 'bench/generate.mjs'), '--target-mb', String(targetMiB), '--seed', values.seed, '-o', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generator failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

/** Runs one command under GNU time; returns wall seconds and peak RSS. */
function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`flowtx ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [wall, rssKiB, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, rssMiB: rssKiB / 1024, user, sys };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(label, args, input, runs) {
  const out = join(DIR, 'out.ftx');
  const results = [];
  for (let i = 0; i < runs; i++) {
    rmSync(out, { force: true });
    results.push(timed(args(out)));
  }
  rmSync(out, { force: true });
  const wall = median(results.map((r) => r.wall));
  const rss = Math.max(...results.map((r) => r.rssMiB));
  return {
    label,
    bytes: input.bytes,
    flows: input.flows,
    walls: results.map((r) => r.wall),
    wall,
    mibs: input.bytes / MiB / wall,
    flowsPerSecond: input.flows / wall,
    peakRssMiB: rss,
  };
}

/** `cat IN > OUT`: the machine's read+write ceiling for the same bytes (the anchor measures it too). */
function ceiling(label, input, runs) {
  const out = join(DIR, 'out.ftx');
  const walls = [];
  for (let i = 0; i < runs; i++) {
    rmSync(out, { force: true });
    const r = spawnSync('/usr/bin/time', ['-f', '%e', 'sh', '-c', 'cat "$0" > "$1"', input.file, out], { encoding: 'utf8' });
    walls.push(Number(r.stderr.trim().split('\n').at(-1)));
  }
  rmSync(out, { force: true });
  const wall = median(walls);
  return { label, bytes: input.bytes, flows: input.flows, walls, wall, mibs: input.bytes / MiB / wall, flowsPerSecond: input.flows / wall, peakRssMiB: NaN, peer: null };
}

function warm(file) {
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] });
}

mkdirSync(DIR, { recursive: true });
const big = await ensureInput('big.ftx', 300, (file) => generate(file, 300));
const addHeader = join(ROOT, 'examples/add_header.ts');
const rows = [];

warm(big.file);
const empty = join(DIR, 'empty.ftx');
writeFileSync(empty, '');
const startups = Array.from({ length: 10 }, () => timed([empty]).wall);
const nodeAlone = median(Array.from({ length: 10 }, () => {
  const r = spawnSync('/usr/bin/time', ['-f', '%e', process.execPath, '-e', '0'], { encoding: 'utf8' });
  return Number(r.stderr.trim());
}));

rows.push(ceiling('cat IN > OUT 300 MiB (ceiling)', big, RUNS));
rows.push({ ...measure('pass-through 300 MiB', (out) => [big.file, out], big, RUNS), peer: PEER.passthrough });
rows.push({ ...measure('add-header 300 MiB', (out) => ['-s', addHeader, big.file, out], big, RUNS), peer: PEER.addHeader });
rows.push({ ...measure('to NDJSON 300 MiB', (out) => [big.file, out.replace(/\.ftx$/, '.ndjson'), '--to', 'ndjson'], big, RUNS), peer: null });

if (!values.quick) {
  const huge = await ensureInput('huge.ftx', 3000, async (file) => {
    console.error(`building ${file} from 10 × big.ftx (concatenated msgpack files are one valid stream) …`);
    const out = createWriteStream(file);
    for (let i = 0; i < 10; i++) {
      for await (const chunk of createReadStream(big.file, { highWaterMark: 4 * MiB })) {
        if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
      }
    }
    await new Promise((resolve) => out.end(resolve));
    return { bytes: statSync(file).size, flows: big.flows * 10 };
  });
  warm(huge.file);
  rows.push(ceiling('cat IN > OUT 3 GiB (ceiling)', huge, 1));
  rows.push({ ...measure('pass-through 3 GiB', (out) => [huge.file, out], huge, 1), peer: null });
  rows.push({ ...measure('add-header 3 GiB', (out) => ['-s', addHeader, huge.file, out], huge, 1), peer: null });
}

const fmt = (n, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
console.log(`\nflowtx ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}, node ${process.version}; input ${fmt(big.bytes / MiB)} MiB, ${big.flows.toLocaleString('en-US')} flows (msgpack)`);
console.log(`peer: ${PEER.source}\n`);
console.log('| case | flowtx MiB/s | flowtx flows/s | flowtx peak RSS MiB | walls s | mitmdump MiB/s | mitmdump flows/s | mitmdump RSS MiB | ratio |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const peer = r.peer ? [fmt(r.peer.mibs), fmt(r.peer.flowsPerSecond, 0), fmt(r.peer.rssMiB), `${fmt(r.mibs / r.peer.mibs, 0)}×`] : ['–', '–', '–', '–'];
  console.log(`| ${r.label} | ${fmt(r.mibs)} | ${fmt(r.flowsPerSecond, 0)} | ${Number.isNaN(r.peakRssMiB) ? '–' : fmt(r.peakRssMiB)} | ${r.walls.map((w) => fmt(w, 2)).join(', ')} | ${peer.join(' | ')} |`);
}
console.log(`| start-up, empty input (median of 10) | ${fmt(median(startups) * 1000, 0)} ms | | | node -e 0 alone: ${fmt(nodeAlone * 1000, 0)} ms | ${fmt(PEER.startupSeconds * 1000, 0)} ms | | | |`);
writeFileSync(join(DIR, 'results.json'), JSON.stringify({ rows, startups, nodeAlone, peer: PEER }, null, 2));
console.log(`\nraw figures: ${join(DIR, 'results.json')}`);
