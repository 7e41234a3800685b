// Wires one command: expands and shards the inputs, then runs them as one stream (concatenated into one
// output, or listed) or as one stream per input (--out-dir, on worker threads with --jobs), and sums up what
// happened. Failures are reported as they happen; the summary says which inputs failed and sets the exit code.

import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Cancelled, Interrupted, UsageError } from '../errors.js';
import { codecByExtension, codecByName, codecNames, formatExtension } from '../codecs/registry.js';
import type { LoadedScript } from '../engine/hooks.js';
import type { IoPort } from '../pipeline/ports.js';
import { runStream, type StreamSettings } from '../pipeline/run.js';
import { addLost, countFiles, emptySummary, errorMessage, findingsOf, type Summary } from '../pipeline/summary.js';
import { loadScript } from '../scripts/load.js';
import type { RunPlan } from './args.js';
import { runBatch } from './batch.js';
import { expandInputs, type InputFile } from './inputs.js';
import { planOutputs } from './outdir.js';
import type { Terminal } from './progress.js';
import type { Stop } from './signals.js';
import { inShard } from './shard.js';
import { compileFilter } from '../filter/compile.js';

/** The codec named by --to or by OUTPUT's extension; undefined: the first input's. */
function outputFormat(plan: RunPlan): string | undefined {
  if (plan.to !== undefined) return codecByName(plan.to).name;
  if (plan.output === null || plan.output === '-') return undefined;
  const ext = formatExtension(plan.output);
  if (ext === undefined) return undefined;
  const codec = codecByExtension(plan.output);
  if (codec === undefined) {
    throw new UsageError(`unknown output format ".${ext}" for ${plan.output}; known formats: ${codecNames().join(', ')} (or use --to)`);
  }
  return codec.name;
}

/**
 * The file a path names, as device and inode: equal for two names of one file, whether a symbolic link or a
 * hard link made them. Undefined when nothing is there (an output not written yet is no input).
 */
function fileIdentity(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path, { bigint: true });
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

/** Is `path` one of `files` under another name? */
function isInputOf(files: readonly InputFile[]): (path: string) => boolean {
  const inputs = new Set(files.flatMap((f) => (f.path === '-' ? [] : [fileIdentity(f.path)])));
  return (path) => {
    const identity = fileIdentity(path);
    return identity !== undefined && inputs.has(identity);
  };
}

/** Concatenation: every input, in order, through one engine into one output or the listing. */
async function concatenate(plan: RunPlan, files: readonly InputFile[], settings: StreamSettings, io: IoPort, terminal: Terminal, stop: Stop, summary: Summary): Promise<void> {
  const format = outputFormat(plan);
  if (plan.output !== null && plan.output !== '-' && !plan.inPlace) {
    if (isInputOf(files)(plan.output)) {
      throw new UsageError(`output ${plan.output} is also an input; add --in-place to rewrite it safely`);
    }
  }
  const scripts: LoadedScript[] = [];
  for (const spec of plan.scripts) scripts.push(await loadScript(spec, (m) => terminal.warn(m)));
  terminal.startProgress(totalSize(files));
  try {
    const result = await runStream({ inputs: files.map((f) => f.path), output: plan.output, format }, settings, scripts, io, terminal, () => stop.requested);
    summary.inputs = result.inputs;
    summary.output = result.output;
    const { scriptErrors, ...flows } = result.counts;
    summary.flows = flows;
    summary.scriptErrors = scriptErrors;
    summary.lost = result.lost;
    if (result.findings !== undefined) for (const input of summary.inputs) input.findings = findingsOf(result.findings, input.path);
    // A failure that belongs to no input (a script, the output) ends the whole stream. A signal is main's to
    // report; it left nothing written, so no input was processed.
    if (result.failure instanceof Cancelled) for (const input of summary.inputs) input.status = input.status === 'ok' ? 'skipped' : input.status;
    else if (result.failure !== null) summary.errors.push(errorMessage(result.failure));
    summary.interrupted = result.failure instanceof Interrupted;
  } finally {
    terminal.stopProgress();
  }
}

/** --out-dir: one output per input, on `--jobs` threads; outDir null: one stream per input that keeps no flow (scrub --check). */
async function mirror(plan: RunPlan, outDir: string | null, files: readonly InputFile[], settings: StreamSettings, io: IoPort, terminal: Terminal, stop: Stop, summary: Summary): Promise<void> {
  const codec = plan.to === undefined ? undefined : codecByName(plan.to);
  const tasks = outDir === null ? files.map((f) => ({ input: f.path, output: null, format: undefined })) : planOutputs(files, outDir, codec, isInputOf(files), plan.inPlace);
  summary.output = outDir === null ? null : { path: outDir, format: codec?.name ?? null };
  // stdin (scrub --check -) is this thread's: a worker thread cannot read it.
  const stdin = files.some((f) => f.path === '-');
  if (stdin && (plan.jobs ?? 1) > 1) throw new UsageError('stdin ("-") is read on the main thread: --jobs takes no stdin');
  const jobs = stdin ? 1 : (plan.jobs ?? (tasks.length > 1 ? availableParallelism() : 1));
  terminal.startProgress(totalSize(files));
  try {
    summary.inputs = await runBatch(tasks, { settings, scripts: plan.scripts, jobs, debug: plan.debug }, io, terminal, stop);
  } finally {
    terminal.stopProgress();
  }
  for (const input of summary.inputs) {
    summary.flows.read += input.flows;
    summary.flows.written += input.written ?? 0;
    summary.flows.dropped += input.dropped ?? 0;
    summary.flows.emitted += input.emitted ?? 0;
    summary.flows.filtered += input.filtered ?? 0;
    summary.scriptErrors += input.scriptErrors ?? 0;
    addLost(summary.lost, input.lost);
  }
}

function totalSize(files: readonly InputFile[]): number | undefined {
  let total = 0;
  for (const file of files) {
    if (file.size === undefined) return undefined; // stdin: no known end
    total += file.size;
  }
  return total;
}

/**
 * --report FILE: per input, place and rule, how many values were redacted (or found, with --check); written
 * through the outputs' sink (atomic, 0600). Documented in docs/scrub.md.
 */
async function writeReport(path: string, summary: Summary, check: boolean, io: IoPort): Promise<void> {
  const counted = check ? 'found' : 'redacted';
  const files = summary.inputs.map((input) => {
    const findings = input.findings ?? [];
    return { path: input.path, status: input.status, findings, [counted]: findings.reduce((n, f) => n + f.count, 0) };
  });
  const report = { files, total: summary.findings ?? 0 };
  const sink = await io.sink(path);
  try {
    await sink.write([Buffer.from(`${JSON.stringify(report, null, 2)}\n`)]);
    await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

export async function run(plan: RunPlan, io: IoPort, terminal: Terminal, stop: Stop): Promise<Summary> {
  const started = performance.now();
  const expanded = await expandInputs(plan.inputs);
  const files = plan.shard === undefined ? expanded : expanded.filter((f) => inShard(f.relative, plan.shard!));
  const settings: StreamSettings = {
    flowVersion: plan.flowVersion,
    options: plan.options,
    onScriptError: plan.onScriptError,
    failFast: plan.failFast,
    listing: plan.json ? 'json' : 'lines',
    filter: plan.filter,
    select: plan.select,
    maxBodySize: plan.maxBodySize,
    hookTimeout: plan.hookTimeout,
  };
  // Expressions are checked here, once, so that a syntax error is a usage error before anything runs.
  for (const expression of [plan.filter, plan.select]) if (expression !== undefined) compileFilter(expression);
  if (plan.select !== undefined && plan.scripts.length === 0) terminal.warn('--select has no effect without a script (-s); --filter leaves flows out');
  if (plan.report !== undefined && plan.report !== '-' && (isInputOf(files)(plan.report) || plan.report === plan.output)) {
    throw new UsageError(`--report ${plan.report} names an input or the output; give the report a file of its own`);
  }
  const summary = emptySummary(files.map((f) => f.path), terminal.warnings);
  if (plan.check === true) await mirror(plan, null, files, settings, io, terminal, stop, summary);
  else if (plan.outDir === undefined) await concatenate(plan, files, settings, io, terminal, stop, summary);
  else await mirror(plan, plan.outDir, files, settings, io, terminal, stop, summary);

  if (summary.inputs.some((i) => i.findings !== undefined)) {
    summary.findings = summary.inputs.reduce((n, i) => n + (i.findings ?? []).reduce((m, f) => m + f.count, 0), 0);
  }
  if (plan.check === true && (summary.findings ?? 0) > 0) {
    const files = summary.inputs.filter((i) => (i.findings ?? []).length > 0).length;
    const message = `${summary.findings} secret value(s) remain in ${files} input(s)`;
    summary.errors.push(message);
    terminal.errorText(message);
  }
  if (plan.report !== undefined) {
    try {
      await writeReport(plan.report, summary, plan.check === true, io);
    } catch (err) {
      terminal.error(err);
      summary.errors.push(errorMessage(err));
    }
  }

  countFiles(summary);
  for (const input of summary.inputs) if (input.error !== null) summary.errors.push(input.error);
  if (summary.files.failed > 0 && summary.files.total > 1) {
    terminal.errorText(`${summary.files.failed} of ${summary.files.total} inputs failed${summary.files.skipped > 0 ? `, ${summary.files.skipped} skipped` : ''}`);
  }
  if (summary.scriptErrors > 0 && !plan.allowScriptErrors) {
    const message = `${summary.scriptErrors} flow(s) failed in a script hook`;
    summary.errors.push(message);
    terminal.errorText(message);
  }
  // 130: what a shell reports for a command ended by Ctrl-C (128 + SIGINT).
  summary.exitCode = summary.interrupted ? 130 : summary.errors.length > 0 ? 1 : 0;
  summary.ok = summary.exitCode === 0;
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}
