#!/usr/bin/env node
// `npm run bench`: measures flowtx on a generated archive and prints its figures beside the peer's.
// The peer is mitmdump 8.1.1 as measured on this machine kind by ../shared/bench (README.md there: same
// harness, GNU time, medians of 3 runs, 300 MiB archive of ~9.4 KiB flows).
//
//   npm run bench                 every section: 300 MiB and 3 GiB archives (3 GiB: one run per case), 1 GiB HAR
//   npm run bench -- har          only the named sections: msgpack, flows, har, batch
//   npm run bench -- --quick      300 MiB only (and no HAR section unless it is named)
//   npm run bench -- --runs 5     more runs per case
//   npm run bench -- --no-peer    skip the live mitmdump runs
// Four sections: flowtx's msgpack format on a generated archive (msgpack); mitmproxy flow files on the very
// archive the anchor was measured on (../shared/bench/gen_synthetic_flows.py, seed 20240601, made with
// Debian's mitmproxy), with mitmdump run on the same file in the same session when it is installed, and two
// filters against the pass-through (flows);
// a generated 1 GiB HAR read into msgpack and flow files, against the targets (har); --jobs 2 against
// --jobs 1 over 8 files into --out-dir, passed through and with two scripts (batch).
// Inputs are generated once into $TMPDIR/flowtx-bench and reused while the generator and its parameters match.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:buffer';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/flowtx.js');
const DIR = join(tmpdir(), 'flowtx-bench');
const MiB = 1024 * 1024;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  allowNegative: true,
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '20240601' },
    peer: { type: 'boolean', default: true },
  },
});
const RUNS = Number(values.runs);
const SECTIONS = ['msgpack', 'flows', 'har', 'batch'];
const unknown = positionals.filter((p) => !SECTIONS.includes(p));
if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`);
const sections = new Set(positionals.length > 0 ? positionals : values.quick ? ['msgpack', 'flows'] : SECTIONS);

// mitmdump 8.1.1 on big.flows (300 MiB, 33,504 flows), from ../shared/bench/README.md, "Offline results".
const PEER = {
  source: '../shared/bench/README.md (mitmdump 8.1.1, 300 MiB archive, medians of 3)',
  passthrough: { mibs: 9.4, flowsPerSecond: 1053, rssMiB: 64.2 },
  addHeader: { mibs: 10.0, flowsPerSecond: 1116, rssMiB: 64.6 },
  startupSeconds: 0.99,
};

/** `sources`: the files whose content makes the input; a change to any of them makes it anew. */
async function ensureInput(name, targetMiB, sources, make) {
  const file = join(DIR, name);
  const meta = `${file}.json`;
  const generator = createHash('sha256').update(sources.map((source) => readFileSync(source)).join('\0')).digest('hex').slice(0, 16);
  const wanted = JSON.stringify({ targetMiB, seed: values.seed, generator });
  if (existsSync(file) && existsSync(meta) && readFileSync(meta, 'utf8').startsWith(wanted.slice(0, -1))) {
    return { file, ...JSON.parse(readFileSync(meta, 'utf8')) };
  }
  const info = await make(file);
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(wanted), ...info }));
  return { file, targetMiB, ...info };
}

const MSGPACK_SOURCES = ['bench/generate.mjs', 'bench/flow-mix.mjs'].map((f) => join(ROOT, f));
const HAR_SOURCES = ['bench/generate-har.mjs', 'bench/flow-mix.mjs'].map((f) => join(ROOT, f));

function generate(generator, file, targetMiB) {
  console.error(`generating ${file} (${targetMiB} MiB, seed ${values.seed}) …`);
  const r = spawnSync(process.execPath, [generator, '--target-mb', String(targetMiB), '--seed', values.seed, '-o', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generator failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

/** Runs flowtx as users do (the bin and its shebang's node flags), or `command`, under GNU time; returns wall seconds and peak RSS. */
function timed(args, command = [BIN]) {
  // What earlier runs (and input generation) wrote is flushed first: its writeback would otherwise slow
  // this run's own writes, by however much happens to be pending.
  spawnSync('sync');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...command, ...args], { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${command.at(-1)} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [wall, rssKiB, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, rssMiB: rssKiB / 1024, user, sys };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(label, args, input, runs, command) {
  const out = join(DIR, 'out.ftx');
  const results = [];
  for (let i = 0; i < runs; i++) {
    rmSync(out, { force: true });
    results.push(timed(args(out), command));
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
    spawnSync('sync');
    const r = spawnSync('/usr/bin/time', ['-f', '%e', 'sh', '-c', 'cat "$0" > "$1"', input.file, out], { encoding: 'utf8' });
    walls.push(Number(r.stderr.trim().split('\n').at(-1)));
  }
  rmSync(out, { force: true });
  const wall = median(walls);
  return { label, bytes: input.bytes, flows: input.flows, walls, wall, mibs: input.bytes / MiB / wall, flowsPerSecond: input.flows / wall, peakRssMiB: NaN, peer: null };
}

/** A 10× larger input: `input` written ten times over into `file`. */
async function tenTimes(input, file) {
  console.error(`building ${file} from 10 × ${input.file} …`);
  const out = createWriteStream(file);
  for (let i = 0; i < 10; i++) {
    for await (const chunk of createReadStream(input.file, { highWaterMark: 4 * MiB })) {
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
    }
  }
  await new Promise((resolve) => out.end(resolve));
  return { bytes: statSync(file).size, flows: input.flows * 10 };
}

function warm(file) {
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'ignore'] });
}

// ---- batch: 8 files of 300 MiB into --out-dir, --jobs 2 against --jobs 1 ----
const BATCH_FILES = 8;
const BATCH_TARGET = 1.7;

/**
 * 8 hard links to one 300 MiB input (no extra disk), the one the mitmproxy part uses when it is there: all
 * in `dir`, and in two halves (the first four and the last four) for the two-process ceiling.
 */
function batchInputs(source) {
  const root = join(DIR, 'batch');
  rmSync(root, { recursive: true, force: true });
  const dir = join(root, 'in');
  const halves = [join(root, 'first-half'), join(root, 'second-half')];
  for (const d of [dir, ...halves]) mkdirSync(d, { recursive: true });
  const ext = source.file.endsWith('.flows') ? 'flows' : 'ftx';
  for (let i = 1; i <= BATCH_FILES; i++) {
    linkSync(source.file, join(dir, `part-${i}.${ext}`));
    linkSync(source.file, join(halves[i <= BATCH_FILES / 2 ? 0 : 1], `part-${i}.${ext}`));
  }
  return { dir, halves };
}

const quoted = (arg) => `'${arg.replaceAll("'", "'\\''")}'`;

/**
 * Two flowtx processes at once, --jobs 1 each, on half the files each: what two cores of this machine give
 * for the work when nothing is shared but the machine (memory bandwidth, caches, the kernel), the most any
 * --jobs 2 could reach. Timed as one command, failing if either process fails.
 */
function twoProcesses(args, halves, out) {
  const run = (half, i) => [BIN, ...args, half, '--out-dir', join(out, `half-${i}`), '--jobs', '1'].map(quoted).join(' ');
  return timed([], ['sh', '-c', `${run(halves[0], 1)} & first=$!; ${run(halves[1], 2)}; second=$?; wait $first && [ $second -eq 0 ]`]);
}

/**
 * --jobs 1, --jobs 2 and two processes in turns (1, 2, two, 1, 2, two, …), so a change in the machine's
 * load hits all alike: passing the files through, with the add-header script, and with the scrub-secrets
 * example (the CI job the batch mode is for). Scripts are work on the main thread, which is what more
 * threads share out.
 */
function batchPart(source) {
  const { dir, halves } = batchInputs(source);
  // 2.4 GiB written per run: on disk, the kernel's writeback of one run's output slows the next, whatever
  // --jobs. Written to memory where there is a tmpfs, the runs measure flowtx, not the disk.
  const out = existsSync('/dev/shm') ? join('/dev/shm', `flowtx-bench-batch-${process.pid}`) : join(DIR, 'batch', 'out');
  const bytes = source.bytes * BATCH_FILES;
  warm(source.file);
  const loadBefore = loadavg();
  const cases = [
    { name: 'pass-through', args: [] },
    { name: 'add-header', args: ['-s', addHeader] },
    { name: 'scrub-secrets', args: ['-s', join(ROOT, 'examples/scrub_secrets.mjs')] },
  ];
  const runs = cases.map(() => ({ 1: [], 2: [], processes: [] }));
  for (const [c, { args }] of cases.entries()) {
    for (let i = 0; i < RUNS; i++) {
      for (const jobs of [1, 2]) {
        rmSync(out, { recursive: true, force: true });
        runs[c][jobs].push(timed([...args, dir, '--out-dir', out, '--jobs', String(jobs)]));
      }
      rmSync(out, { recursive: true, force: true });
      runs[c].processes.push(twoProcesses(args, halves, out));
    }
  }
  const loadAfter = loadavg();
  rmSync(out, { recursive: true, force: true });
  rmSync(join(DIR, 'batch'), { recursive: true, force: true });
  const row = (c, jobs) => {
    const wall = median(runs[c][jobs].map((r) => r.wall));
    const how = jobs === 'processes' ? 'two processes at once, --jobs 1 and 4 files each' : `--jobs ${jobs}`;
    return {
      label: `${cases[c].name} ${BATCH_FILES} × ${fmt(source.bytes / MiB, 0)} MiB into --out-dir, ${how}`,
      walls: runs[c][jobs].map((r) => r.wall),
      cpu: median(runs[c][jobs].map((r) => r.user + r.sys)),
      wall,
      mibs: bytes / MiB / wall,
      peakRssMiB: Math.max(...runs[c][jobs].map((r) => r.rssMiB)),
    };
  };
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`\nbatch: ${BATCH_FILES} hard links to ${source.file}, written to ${out}; load average (1, 5, 15 min) before ${load(loadBefore)}, after ${load(loadAfter)} on ${availableParallelism()} cores`);
  console.log('| case | flowtx MiB/s | walls s | CPU s (user+sys, median) | peak RSS MiB |');
  console.log('|---|---|---|---|---|');
  const results = cases.map((c, i) => {
    const [one, two, processes] = [row(i, 1), row(i, 2), row(i, 'processes')];
    const ratio = two.mibs / one.mibs;
    const ceiling = processes.mibs / one.mibs;
    // GNU time's peak RSS of the shell is that of its largest child, not the sum: not shown.
    for (const r of [one, two, processes]) {
      console.log(`| ${r.label} | ${fmt(r.mibs)} | ${r.walls.map((w) => fmt(w, 2)).join(', ')} | ${fmt(r.cpu, 2)} | ${r === processes ? '–' : fmt(r.peakRssMiB)} |`);
    }
    console.log(`| ${c.name}: --jobs 2 / --jobs 1 | ${fmt(ratio, 2)}× (target ≥ ${BATCH_TARGET}×: ${ratio >= BATCH_TARGET ? 'met' : 'not met'}); two processes / --jobs 1: ${fmt(ceiling, 2)}× | | | |`);
    return { name: c.name, one, two, processes, ratio, ceiling };
  });
  // How many cores --jobs 1 keeps busy: the most --jobs 2 can add on this machine is cores / that.
  const busy = results.map((r) => `${r.name} ${fmt(r.one.cpu / r.one.wall, 2)}`).join(', ');
  console.log(`Cores kept busy by --jobs 1 (CPU / wall): ${busy}; the machine has ${availableParallelism()}.`);
  console.log('Two processes sharing nothing but the machine are the ceiling of any --jobs 2 on it.');
  return { cases: results, loadBefore, loadAfter };
}

/** The input the batch part copies: the mitmproxy part's big.flows when it exists, else flowtx's big.ftx. */
function batchSource() {
  for (const name of ['big.flows', 'big.ftx']) {
    const file = join(DIR, name);
    if (existsSync(file) && existsSync(`${file}.json`)) return { file, ...JSON.parse(readFileSync(`${file}.json`, 'utf8')) };
  }
  return undefined;
}

const fmt = (n, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

mkdirSync(DIR, { recursive: true });
const addHeader = join(ROOT, 'examples/add_header.ts');
const PYTHON = '/usr/bin/python3';
const walls = (r) => r.walls.map((w) => fmt(w, 2)).join(', ');
const results = { peer: PEER };
console.log(`\nflowtx ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}, node ${process.version}; sections: ${[...sections].join(', ')}`);

// ---- flowtx's msgpack format, beside the anchor's mitmdump figures ----
async function msgpackSection() {
  const big = await ensureInput('big.ftx', 300, MSGPACK_SOURCES, (file) => generate(join(ROOT, 'bench/generate.mjs'), file, 300));
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
    // Concatenated msgpack files are one valid stream.
    const huge = await ensureInput('huge.ftx', 3000, MSGPACK_SOURCES, (file) => tenTimes(big, file));
    warm(huge.file);
    rows.push(ceiling('cat IN > OUT 3 GiB (ceiling)', huge, 1));
    rows.push({ ...measure('pass-through 3 GiB', (out) => [huge.file, out], huge, 1), peer: null });
    rows.push({ ...measure('add-header 3 GiB', (out) => ['-s', addHeader, huge.file, out], huge, 1), peer: null });
  }

  console.log(`\nmsgpack: input ${fmt(big.bytes / MiB)} MiB, ${big.flows.toLocaleString('en-US')} flows; peer: ${PEER.source}`);
  console.log('| case | flowtx MiB/s | flowtx flows/s | flowtx peak RSS MiB | walls s | mitmdump MiB/s | mitmdump flows/s | mitmdump RSS MiB | ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const peer = r.peer ? [fmt(r.peer.mibs), fmt(r.peer.flowsPerSecond, 0), fmt(r.peer.rssMiB), `${fmt(r.mibs / r.peer.mibs, 0)}×`] : ['–', '–', '–', '–'];
    console.log(`| ${r.label} | ${fmt(r.mibs)} | ${fmt(r.flowsPerSecond, 0)} | ${Number.isNaN(r.peakRssMiB) ? '–' : fmt(r.peakRssMiB)} | ${walls(r)} | ${peer.join(' | ')} |`);
  }
  console.log(`| start-up, empty input (median of 10) | ${fmt(median(startups) * 1000, 0)} ms | | | node -e 0 alone: ${fmt(nodeAlone * 1000, 0)} ms | ${fmt(PEER.startupSeconds * 1000, 0)} ms | | | |`);
  Object.assign(results, { rows, startups, nodeAlone });
}

// ---- mitmproxy flow files, beside mitmdump ----
const FILTERS = ['~d example.com & ~m GET', '~d shop.test & ~m GET'];
const FILTER_TARGET = 0.9;

async function flowsSection() {
  const GENERATOR = join(ROOT, '../shared/bench/gen_synthetic_flows.py');
  const haveMitmproxy = spawnSync(PYTHON, ['-c', 'import mitmproxy'], { encoding: 'utf8' }).status === 0;
  if (!haveMitmproxy || !existsSync(GENERATOR)) {
    console.error('skipping the mitmproxy part: needs Debian\'s mitmproxy (apt-get install mitmproxy) and ../shared/bench');
    return;
  }
  const flowsRows = [];
  const flows = await ensureInput('big.flows', 300, [GENERATOR], (file) => {
    console.error(`generating ${file} with ../shared/bench/gen_synthetic_flows.py (seed ${values.seed}) …`);
    const r = spawnSync(PYTHON, [GENERATOR, '--target-mb', '300', '--seed', values.seed, '-o', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`generator failed: ${r.stderr}`);
    const info = JSON.parse(r.stdout.trim().split('\n').at(-1));
    return { bytes: info.bytes, flows: info.flows };
  });
  const addHeaderPy = join(ROOT, '../shared/bench/add_header.py');
  warm(flows.file);
  const flowsOut = (out) => out.replace(/\.ftx$/, '.flows');
  flowsRows.push({ ...measure('flows pass-through 300 MiB', (out) => [flows.file, flowsOut(out)], flows, RUNS), peer: PEER.passthrough });
  flowsRows.push({ ...measure('flows add-header 300 MiB', (out) => ['-s', addHeader, flows.file, flowsOut(out)], flows, RUNS), peer: PEER.addHeader });
  flowsRows.push({ ...measure('flows to msgpack 300 MiB', (out) => [flows.file, out], flows, RUNS), peer: null });
  // Issue 5's filter (it selects no flow of this archive, whose hosts are *.test) and one that selects
  // about a fifth, against the pass-through measured just before: filtering must not slow the pipeline.
  const filterRows = FILTERS.map((expression) => {
    const row = measure(`flows --filter '${expression}' 300 MiB`, (out) => ['--filter', expression, flows.file, flowsOut(out)], flows, RUNS);
    const summary = spawnSync(BIN, ['--filter', expression, flows.file, flowsOut(join(DIR, 'out.ftx')), '--json-summary'], { encoding: 'utf8' });
    return { ...row, selected: JSON.parse(summary.stdout).flows.written, ratio: row.mibs / flowsRows[0].mibs };
  });
  if (values.peer && spawnSync('mitmdump', ['--version']).status === 0) {
    const live = (label, extra) => {
      const m = measure(label, (out) => ['-q', '-n', '-r', flows.file, '-w', flowsOut(out), ...extra], flows, 1, ['mitmdump']);
      return { ...m, peer: null };
    };
    const pass = live('mitmdump -q -n -r IN -w OUT (this session)', []);
    const script = live('mitmdump … -s add_header.py (this session)', ['-s', addHeaderPy]);
    flowsRows[0].live = pass;
    flowsRows[1].live = script;
    flowsRows.push(pass, script);
  }
  if (!values.quick) {
    // Concatenated flow files are valid flow files.
    const hugeFlows = await ensureInput('huge.flows', 3000, [GENERATOR], (file) => tenTimes(flows, file));
    warm(hugeFlows.file);
    flowsRows.push({ ...measure('flows pass-through 3 GiB', (out) => [hugeFlows.file, flowsOut(out)], hugeFlows, 1), peer: null });
  }
  rmSync(join(DIR, 'out.flows'), { force: true });

  console.log('\nmitmproxy flow files: big.flows, the anchor\'s own input (sha256 4568d016…); "live" = mitmdump run now on this machine');
  console.log('| case | flowtx MiB/s | flowtx flows/s | flowtx peak RSS MiB | walls s | mitmdump MiB/s (anchor / live) | mitmdump RSS MiB | ratio (anchor / live) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of flowsRows) {
    const live = r.live ? ` / ${fmt(r.live.mibs)}` : '';
    const ratio = r.peer ? `${fmt(r.mibs / r.peer.mibs, 0)}×${r.live ? ` / ${fmt(r.mibs / r.live.mibs, 0)}×` : ''}` : '–';
    console.log(`| ${r.label} | ${fmt(r.mibs)} | ${fmt(r.flowsPerSecond, 0)} | ${fmt(r.peakRssMiB)} | ${walls(r)} | ${r.peer ? fmt(r.peer.mibs) + live : '–'} | ${r.peer ? fmt(r.peer.rssMiB) : '–'} | ${ratio} |`);
  }
  console.log(`\nfilters on big.flows, against its pass-through (${fmt(flowsRows[0].mibs)} MiB/s); target ≥ ${FILTER_TARGET * 100}%`);
  console.log('| case | flows selected | MiB/s | walls s | share of pass-through | target met |');
  console.log('|---|---|---|---|---|---|');
  for (const r of filterRows) {
    console.log(`| ${r.label} | ${r.selected.toLocaleString('en-US')} | ${fmt(r.mibs)} | ${walls(r)} | ${fmt(r.ratio * 100, 0)}% | ${r.ratio >= FILTER_TARGET ? 'yes' : 'no'} |`);
  }
  results.flowsRows = flowsRows;
  results.filterRows = filterRows;
}

// ---- HAR: a generated 1 GiB browser-style HAR, read into msgpack and flow files ----
const TARGET = { mibs: 100, rssMiB: 150 };

async function harSection() {
  const har = await ensureInput('big.har', 1024, HAR_SOURCES, (file) => generate(join(ROOT, 'bench/generate-har.mjs'), file, 1024));
  warm(har.file);
  // As many runs as the other sections (a single one of 8 s here can be a quarter off either way).
  const harRows = [
    ceiling('cat IN > OUT 1 GiB (ceiling)', har, RUNS),
    { ...measure('HAR to msgpack 1 GiB', (out) => [har.file, out], har, RUNS), target: TARGET },
    { ...measure('HAR to .flows 1 GiB', (out) => [har.file, out.replace(/\.ftx$/, '.flows')], har, RUNS), target: TARGET },
  ];
  rmSync(join(DIR, 'out.flows'), { force: true });
  // Not a converter: it only parses, holding the whole document in memory; shown for scale.
  if (spawnSync(PYTHON, ['-c', '0']).status === 0) {
    harRows.push(measure('python3 json.load(f) of the file (parse only, for scale)', () => ['-c', 'import json, sys; json.load(open(sys.argv[1], "rb"))', har.file], har, 1, [PYTHON]));
  }

  console.log(`\nHAR: big.har, ${fmt(har.bytes / MiB)} MiB, ${har.flows.toLocaleString('en-US')} entries (bench/generate-har.mjs, seed ${values.seed}); target ≥ ${TARGET.mibs} MiB/s, peak RSS ≤ ${TARGET.rssMiB} MiB`);
  console.log('| case | MiB/s | entries/s | peak RSS MiB | wall s | target met |');
  console.log('|---|---|---|---|---|---|');
  for (const r of harRows) {
    const misses = r.target ? [r.mibs < r.target.mibs && 'speed', r.peakRssMiB > r.target.rssMiB && 'memory'].filter(Boolean) : null;
    const met = misses === null ? '–' : misses.length === 0 ? 'yes' : `no (${misses.join(', ')})`;
    console.log(`| ${r.label} | ${fmt(r.mibs)} | ${fmt(r.flowsPerSecond, 0)} | ${Number.isNaN(r.peakRssMiB) ? '–' : fmt(r.peakRssMiB)} | ${walls(r)} | ${met} |`);
  }
  console.log('No mitmdump figure: mitmproxy 8.1.1 cannot read HAR (its reader knows flow files only; HAR import came in mitmproxy 10.1).');
  if (har.bytes > constants.MAX_STRING_LENGTH) {
    console.log(`Node's own JSON.parse cannot read this file at all: it exceeds the longest string V8 makes (${fmt(constants.MAX_STRING_LENGTH / MiB)} MiB).`);
  }
  results.harRows = harRows;
}

if (sections.has('msgpack')) await msgpackSection();
if (sections.has('flows')) await flowsSection();
if (sections.has('har')) await harSection();
if (sections.has('batch')) {
  const source = batchSource() ?? (await ensureInput('big.ftx', 300, MSGPACK_SOURCES, (file) => generate(join(ROOT, 'bench/generate.mjs'), file, 300)));
  results.batch = batchPart(source);
}
writeFileSync(join(DIR, 'results.json'), JSON.stringify(results, null, 2));
console.log(`\nraw figures: ${join(DIR, 'results.json')}`);
