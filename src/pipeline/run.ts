// One stream of flows: inputs → replay through the scripts → one output (a file in a format, or the
// listing). Concatenation runs one stream over every input; --out-dir runs one stream per input. Its output
// rule: every complete flow before an input fault is kept and the output committed; a script failure, a
// write failure or a cancellation leaves no output (an existing file stays as it was).

import { Cancelled, isInputFault } from '../errors.js';
import { codecByName } from '../codecs/registry.js';
import { Dispatcher, type Counts, type ScriptErrorPolicy } from '../engine/dispatch.js';
import type { FindingCount, LoadedScript } from '../engine/hooks.js';
import { replay, type Gates } from '../engine/replay.js';
import { compileFilter } from '../filter/compile.js';
import { DEFAULT_MAX_BODY_SIZE, setMaxBodySize } from '../model/body-limit.js';
import { Inputs } from './inputs.js';
import { encodedSink, listingSink, nullSink, type FlowSink } from './outputs.js';
import type { IoPort, Reporter } from './ports.js';
import type { InputSummary, Lost } from './summary.js';

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
  /** --max-body-size in bytes (0: none); undefined: the default. */
  maxBodySize?: number | undefined;
  /** --hook-timeout in seconds; undefined: hooks may take as long as they take. */
  hookTimeout: number | undefined;
}

export interface StreamJob {
  inputs: readonly string[];
  /** A file, "-" for stdout, or null to list the flows on stdout. */
  output: string | null;
  /** The output codec's name; undefined: the format of the first input that is recognised. */
  format: string | undefined;
  /** Keep no flow (a run whose result is what the scripts found: flowtx scrub --check); `output` is then unused. */
  discard?: boolean;
}

export interface StreamResult {
  inputs: InputSummary[];
  output: { path: string; format: string } | null;
  counts: Counts & { written: number };
  lost: Lost;
  /** What scripts that report findings found, by input (undefined: no such script ran). */
  findings: FindingCount[] | undefined;
  /**
   * What ended the stream early and belongs to no input (a script failure, a write failure, a
   * cancellation), already reported unless a cancellation; null if nothing did. Input faults are in
   * `inputs[i].error`.
   */
  failure: unknown;
}

function gates(settings: StreamSettings): Gates {
  return {
    filter: settings.filter === undefined ? undefined : compileFilter(settings.filter),
    select: settings.select === undefined ? undefined : compileFilter(settings.select),
  };
}

/** The stream's output, or undefined when it is to be a file and no input can be read to learn its format. */
async function openOutput(job: StreamJob, settings: StreamSettings, inputs: Inputs, io: IoPort, reporter: Reporter): Promise<{ sink: FlowSink; format: string } | undefined> {
  if (job.discard === true) return { sink: nullSink(), format: 'none' };
  if (job.output === null) return { sink: listingSink(settings.listing, await io.sink('-')), format: 'listing' };
  // The output takes the format of the first input that can be read.
  const codec = job.format === undefined ? await inputs.firstCodec() : codecByName(job.format);
  if (codec === undefined) return undefined;
  return { sink: await encodedSink(codec, { flowVersion: settings.flowVersion }, await io.sink(job.output), reporter), format: codec.name };
}

export async function runStream(
  job: StreamJob,
  settings: StreamSettings,
  scripts: readonly LoadedScript[],
  io: IoPort,
  reporter: Reporter,
  cancelled: () => boolean = () => false,
): Promise<StreamResult> {
  // The thread's setting (model/body-limit.ts says why it is one), set per stream: a --jobs worker runs
  // streams only, and the streams of one run share their settings.
  setMaxBodySize(settings.maxBodySize ?? DEFAULT_MAX_BODY_SIZE);
  const dispatcher = new Dispatcher(scripts, {
    options: settings.options,
    onScriptError: settings.onScriptError,
    hookTimeout: settings.hookTimeout === undefined ? undefined : settings.hookTimeout * 1000,
    log: (level, source, message) => reporter.log(level, source, message),
  });
  const inputs = new Inputs(job.inputs, io, reporter, { failFast: settings.failFast, release: !dispatcher.retainsFlows, cancelled });
  let failure: unknown = null;
  let output: StreamResult['output'] = null;
  let opened: Awaited<ReturnType<typeof openOutput>> = undefined;
  try {
    opened = await openOutput(job, settings, inputs, io, reporter);
    if (opened !== undefined) {
      const { sink } = opened;
      try {
        for await (const batch of replay(inputs.batches(), dispatcher, gates(settings))) await sink.write(batch);
      } catch (err) {
        // An input fault ends the stream after every complete flow before it; anything else, the output.
        if (!isInputFault(err)) throw err;
        if (!inputs.claim(err)) {
          failure = err;
          reporter.error(err);
        }
      }
      await sink.close(inputs.envelope);
      if (job.output !== null && job.discard !== true) output = { path: job.output, format: opened.format };
    }
  } catch (err) {
    await opened?.sink.abort();
    if (isInputFault(err) && inputs.claim(err)) {
      // reported with its input
    } else {
      failure = err;
      if (!(err instanceof Cancelled)) reporter.error(err);
    }
  }
  inputs.finish();
  return {
    inputs: inputs.summaries,
    output,
    counts: { ...dispatcher.counts, written: job.discard === true ? 0 : (opened?.sink.written ?? 0) },
    lost: opened?.sink.lost ?? {},
    findings: dispatcher.findings(),
    failure,
  };
}
