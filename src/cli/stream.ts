// One stream of flows: inputs read in order → codec decode → engine → codec encode → one output (or the
// listing). Concatenation runs one stream over every input; --out-dir runs one stream per input. Knows the
// output rules: every complete flow before an input fault is kept and the output committed; a script
// failure, a write failure or a cancellation leaves no output (an existing file stays as it was).

import { CodecError, InputError, IoError } from '../errors.js';
import type { Codec } from '../codecs/codec.js';
import { codecByExtension, codecByName, codecNames, sniffCodec } from '../codecs/registry.js';
import { Engine, type ScriptErrorPolicy } from '../engine/pipeline.js';
import type { LoadedScript } from '../engine/script.js';
import { fileSink, stdoutSink, type Sink } from '../io/sinks.js';
import { fileSource, stdinSource, type Source } from '../io/sources.js';
import type { FlowRecord } from '../model/record.js';
import { flowJson, flowLine } from './listing.js';
import type { Reporter } from './progress.js';
import { compileFilter } from '../filter/compile.js';
import { inputSummary, type FlowCounts, type InputSummary, type Lost } from './summary.js';

/** What every stream of a run shares; plain data, so it crosses to worker threads as it is. */
export interface StreamSettings {
  flowVersion: number | undefined;
  options: Record<string, string>;
  onScriptError: ScriptErrorPolicy;
  /** Stop at the first input fault instead of going on with the next input. */
  failFast: boolean;
  /** The listing's form when there is no output. */
  listing: 'lines' | 'json';
  /** --filter: only matching flows are seen by scripts and written. */
  filter: string | undefined;
  /** --select: scripts run only on matching flows. */
  select: string | undefined;
}

export interface StreamJob {
  inputs: readonly string[];
  /** A file, "-" for stdout, or null to list the flows on stdout. */
  output: string | null;
  /** The output codec's name; undefined: the format of the first input that is recognised. */
  format: string | undefined;
}

export interface StreamResult {
  inputs: InputSummary[];
  output: { path: string; format: string } | null;
  counts: FlowCounts & { scriptErrors: number };
  lost: Lost;
  /**
   * What ended the stream early and belongs to no input (a script failure, a write failure, a
   * cancellation), already reported; null if nothing did. Input faults are in `inputs[i].error`.
   */
  failure: unknown;
}

/** Thrown into a stream that is given up because another one failed (--fail-fast with --jobs). */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
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

/** Is the error a fault in an input (after which complete flows are still written)? */
function isInputFault(err: unknown): err is InputError | IoError {
  return err instanceof InputError || (err instanceof IoError && err.side === 'read');
}

interface Opened {
  source: Source;
  codec: Codec;
}

export async function runStream(
  job: StreamJob,
  settings: StreamSettings,
  scripts: readonly LoadedScript[],
  reporter: Reporter,
  cancelled: () => boolean = () => false,
): Promise<StreamResult> {
  const inputs = job.inputs.map(inputSummary);
  const reported = new WeakSet<object>();
  let stopped = false;
  let failure: unknown = null;

  /** Marks the input a fault belongs to as failed and reports the fault, once. */
  const fault = (i: number, err: InputError | IoError): void => {
    if (reported.has(err)) return;
    reported.add(err);
    inputs[i]!.status = 'failed';
    inputs[i]!.error = err.message;
    reporter.error(err);
  };
  /** An input fault met while reading input `i`: the stream goes on with the next input unless --fail-fast. */
  const readFault = (i: number, err: InputError | IoError): void => {
    fault(i, err);
    if (settings.failFast) {
      stopped = true;
      throw err;
    }
  };
  /** An input fault met inside a hook (a lazily decoded part) names its input; it ends the stream. */
  const hookFault = (err: InputError | IoError): void => {
    if (reported.has(err)) return;
    const i = err instanceof InputError ? job.inputs.indexOf(err.position.origin) : -1;
    if (i >= 0) return fault(i, err);
    failure = err;
    reporter.error(err);
  };

  const opened = new Map<number, Opened>();
  const started = new Set<number>();
  const open = async (i: number): Promise<Opened | undefined> => {
    started.add(i);
    const path = job.inputs[i]!;
    const count = (bytes: number): void => {
      inputs[i]!.bytes += bytes;
      reporter.countBytes(bytes);
    };
    try {
      const source = path === '-' ? await stdinSource(count) : await fileSource(path, count);
      const result = { source, codec: detect(source) };
      inputs[i]!.format = result.codec.name;
      opened.set(i, result);
      return result;
    } catch (err) {
      if (!isInputFault(err)) throw err;
      readFault(i, err);
      return undefined;
    }
  };

  // Without scripts nothing keeps a record past its batch (the sink copies what it holds on to), so the
  // decoder may hand read chunks back to be read into again.
  const reuse = scripts.length === 0;
  async function* records(): AsyncIterable<FlowRecord[]> {
    for (let i = 0; i < job.inputs.length && !stopped; i++) {
      const input = opened.get(i) ?? (await open(i));
      if (input === undefined) continue;
      const { source } = input;
      try {
        for await (const batch of input.codec.decode(source.chunks, source.name, reuse ? (chunk) => source.release(chunk) : undefined)) {
          if (cancelled()) throw new Cancelled();
          inputs[i]!.flows += batch.length;
          reporter.countFlows(batch.length);
          yield batch;
        }
      } catch (err) {
        if (!isInputFault(err)) throw err;
        readFault(i, err);
      }
    }
  }

  const engine = new Engine({
    scripts,
    options: settings.options,
    onScriptError: settings.onScriptError,
    filter: settings.filter === undefined ? undefined : compileFilter(settings.filter),
    select: settings.select === undefined ? undefined : compileFilter(settings.select),
    log: (level, source, message) => reporter.log(level, source, message),
  });
  const counts = { read: 0, written: 0, dropped: 0, emitted: 0, filtered: 0, scriptErrors: 0 };
  const lost: Lost = {};

  async function list(): Promise<void> {
    const out = stdoutSink();
    const line = settings.listing === 'json' ? flowJson : (record: FlowRecord) => flowLine(record.flow);
    try {
      for await (const batch of engine.run(records())) {
        await out.write([Buffer.from(batch.map((record) => `${line(record)}\n`).join(''))]);
        counts.written += batch.length;
      }
    } finally {
      await out.commit();
    }
  }

  async function write(path: string, codec: Codec): Promise<void> {
    const sink: Sink = path === '-' ? stdoutSink() : await fileSink(path);
    const lose = (what: string): void => {
      lost[what] = (lost[what] ?? 0) + 1;
    };
    const encoder = codec.encoder({ warn: (m) => reporter.warn(m), lose, flowVersion: settings.flowVersion });
    try {
      await sink.write(encoder.begin());
      try {
        for await (const batch of engine.run(records())) {
          const pieces: Uint8Array[] = [];
          for (const record of batch) {
            const encoded = encoder.encode(record);
            if (encoded.length > 0) counts.written++; // a format may leave out a flow it cannot hold
            pieces.push(...encoded);
          }
          await sink.write(pieces);
        }
      } catch (err) {
        if (!isInputFault(err)) throw err;
        hookFault(err); // and keep every complete flow before the fault
      }
      await sink.write(encoder.end());
      for (const [what, flows] of Object.entries(lost)) reporter.warn(`${codec.name} output cannot carry ${what}: ${flows} flow(s)`);
      await sink.commit();
    } catch (err) {
      await sink.abort();
      throw err;
    }
  }

  let output: StreamResult['output'] = null;
  try {
    if (job.output === null) await list();
    else {
      let codec = job.format === undefined ? undefined : codecByName(job.format);
      // The output takes the format of the first input that can be read.
      for (let i = 0; codec === undefined && i < job.inputs.length && !stopped; i++) codec = (await open(i))?.codec;
      if (codec !== undefined) {
        await write(job.output, codec);
        output = { path: job.output, format: codec.name };
      }
    }
  } catch (err) {
    if (isInputFault(err)) hookFault(err);
    else {
      failure = err;
      if (!(err instanceof Cancelled)) reporter.error(err);
    }
  }

  // A stream that ended early never reached the inputs after the one that ended it.
  for (const [i, input] of inputs.entries()) if (!started.has(i)) input.status = 'skipped';
  Object.assign(counts, engine.counts);
  return { inputs, output, counts, lost, failure };
}
