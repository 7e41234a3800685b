// Wires one run: sources → codec decode → engine → codec encode → sink (or the listing). Knows the order
// of things and the output rules (keep every complete flow before an input fault; no output on a script
// failure); the work itself is in the layers.

import { stat } from 'node:fs/promises';
import { CodecError, InputError, IoError, UsageError } from '../errors.js';
import type { Codec } from '../codecs/codec.js';
import { codecByExtension, codecByName, codecNames, formatExtension, sniffCodec } from '../codecs/registry.js';
import { Engine } from '../engine/pipeline.js';
import { compileFilter } from '../filter/compile.js';
import { loadScript, type LoadedScript } from '../engine/script.js';
import { fileSink, stdoutSink, type Sink } from '../io/sinks.js';
import { fileSource, readError, stdinSource, type Source } from '../io/sources.js';
import type { FlowRecord } from '../model/record.js';
import type { RunPlan } from './args.js';
import { flowLine } from './listing.js';
import type { Terminal } from './progress.js';

export interface InputSummary {
  path: string;
  format: string | null;
  flows: number;
  bytes: number;
}

export interface Summary {
  ok: boolean;
  exitCode: number;
  inputs: InputSummary[];
  output: { path: string; format: string } | null;
  /** `filtered`: flows left out by --filter. */
  flows: { read: number; written: number; dropped: number; emitted: number; filtered: number };
  scriptErrors: number;
  errors: string[];
  /** flowtx's warnings: flows an output format could not hold, script export typos, … */
  warnings: string[];
  /** What the output format could not carry, by name: how many flows lost it (see EncoderOptions.lose). */
  lost: Record<string, number>;
  durationMs: number;
}

function detect(source: Source): Codec {
  const codec = sniffCodec(source.head) ?? codecByExtension(source.name);
  if (codec !== undefined) return codec;
  const shown = Buffer.from(source.head.subarray(0, 16)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  throw new CodecError(
    { origin: source.name, index: 0, offset: 0 },
    `unrecognised format (starts with "${shown}"); known formats: ${codecNames().join(', ')}`,
  );
}

function outputCodec(plan: RunPlan, firstInput: Codec): Codec {
  if (plan.to !== undefined) return codecByName(plan.to);
  if (plan.output === '-' || plan.output === null) return firstInput;
  const ext = formatExtension(plan.output);
  if (ext === undefined) return firstInput;
  const codec = codecByExtension(plan.output);
  if (codec === undefined) {
    throw new UsageError(
      `unknown output format ".${ext}" for ${plan.output}; known formats: ${codecNames().join(', ')} (or use --to)`,
    );
  }
  return codec;
}

async function openInput(path: string, terminal: Terminal, summary: InputSummary): Promise<Source> {
  const count = (bytes: number): void => {
    summary.bytes += bytes;
    terminal.bytes += bytes;
  };
  return path === '-' ? stdinSource(count) : fileSource(path, count);
}

/** Is the error a fault in the input (after which complete flows are still written)? */
function isInputFault(err: unknown): boolean {
  return err instanceof InputError || (err instanceof IoError && err.side === 'read');
}

export async function run(plan: RunPlan, terminal: Terminal): Promise<Summary> {
  const started = performance.now();
  const summary: Summary = {
    ok: true,
    exitCode: 0,
    inputs: plan.inputs.map((path) => ({ path, format: null, flows: 0, bytes: 0 })),
    output: null,
    flows: { read: 0, written: 0, dropped: 0, emitted: 0, filtered: 0 },
    scriptErrors: 0,
    errors: [],
    warnings: terminal.warnings,
    lost: {},
    durationMs: 0,
  };

  const filter = plan.filter === undefined ? undefined : compileFilter(plan.filter);
  const select = plan.select === undefined ? undefined : compileFilter(plan.select);
  if (select !== undefined && plan.scripts.length === 0) terminal.warn('--select has no effect without a script (-s); --filter leaves flows out');
  // Every input must exist before anything is written; their sizes drive the progress bar.
  const sizes = await Promise.all(
    plan.inputs.map((p) =>
      p === '-'
        ? 0
        : stat(p).then(
            (info) => info.size,
            (cause) => {
              throw readError(p, cause);
            },
          ),
    ),
  );
  const scripts: LoadedScript[] = [];
  for (const spec of plan.scripts) scripts.push(await loadScript(spec, (m) => terminal.warn(m)));

  terminal.startProgress(plan.inputs.includes('-') ? undefined : sizes.reduce((a, b) => a + b, 0));

  const first = await openInput(plan.inputs[0]!, terminal, summary.inputs[0]!);
  const firstCodec = detect(first);

  async function* records(): AsyncIterable<FlowRecord[]> {
    for (const [i, path] of plan.inputs.entries()) {
      const source = i === 0 ? first : await openInput(path, terminal, summary.inputs[i]!);
      const codec = i === 0 ? firstCodec : detect(source);
      summary.inputs[i]!.format = codec.name;
      for await (const batch of codec.decode(source.chunks, source.name)) {
        summary.inputs[i]!.flows += batch.length;
        terminal.flows += batch.length;
        yield batch;
      }
    }
  }

  const engine = new Engine({
    scripts,
    options: plan.options,
    onScriptError: plan.onScriptError,
    filter,
    select,
    log: (level, source, message) => terminal.log(level, source, message),
  });

  let failure: unknown;
  try {
    if (plan.output === null) {
      const out = stdoutSink();
      try {
        for await (const batch of engine.run(records())) {
          await out.write([Buffer.from(batch.map((record) => `${flowLine(record.flow)}\n`).join(''))]);
          summary.flows.written += batch.length;
        }
      } finally {
        await out.commit();
      }
    } else {
      const codec = outputCodec(plan, firstCodec);
      summary.output = { path: plan.output, format: codec.name };
      const sink: Sink = plan.output === '-' ? stdoutSink() : await fileSink(plan.output);
      const lost = summary.lost;
      const lose = (what: string): void => {
        lost[what] = (lost[what] ?? 0) + 1;
      };
      const encoder = codec.encoder({ warn: (m) => terminal.warn(m), lose, flowVersion: plan.flowVersion });
      try {
        await sink.write(encoder.begin());
        try {
          for await (const batch of engine.run(records())) {
            const pieces: Uint8Array[] = [];
            for (const record of batch) {
              const encoded = encoder.encode(record);
              if (encoded.length > 0) summary.flows.written++; // a format may leave out a flow it cannot hold
              pieces.push(...encoded);
            }
            await sink.write(pieces);
          }
        } catch (err) {
          if (!isInputFault(err)) throw err;
          failure = err; // keep every complete flow before the fault
        }
        await sink.write(encoder.end());
        for (const [what, flows] of Object.entries(lost)) terminal.warn(`${codec.name} output cannot carry ${what}: ${flows} flow(s)`);
        await sink.commit();
      } catch (err) {
        await sink.abort();
        throw err;
      }
    }
  } catch (err) {
    failure = err;
  } finally {
    terminal.stopProgress();
  }

  Object.assign(summary.flows, { read: engine.counts.read, dropped: engine.counts.dropped, emitted: engine.counts.emitted, filtered: engine.counts.filtered });
  summary.scriptErrors = engine.counts.scriptErrors;
  summary.durationMs = Math.round(performance.now() - started);
  if (summary.scriptErrors > 0 && !plan.allowScriptErrors) {
    summary.errors.push(`${summary.scriptErrors} flow(s) failed in a script hook`);
    summary.exitCode = 1;
  }
  if (failure !== undefined) {
    summary.errors.push(failure instanceof Error ? failure.message : String(failure));
    summary.exitCode = failure instanceof UsageError ? 2 : 1;
    summary.ok = false;
    throw Object.assign(new RunFailure(summary), { cause: failure });
  }
  summary.ok = summary.exitCode === 0;
  return summary;
}

/** Carries the summary of a run that failed, with the cause for the report. */
export class RunFailure extends Error {
  readonly summary: Summary;

  constructor(summary: Summary) {
    super('run failed');
    this.summary = summary;
  }
}
