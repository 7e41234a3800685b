// --out-dir: every input gets its own output at its relative path (see inputs.ts) below the directory, in the
// --to format or its own. Plans those paths (refusing collisions and outputs that are inputs) and runs one
// input into its output; batch.ts decides where (this thread or a worker).

import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Cancelled, IoError, UsageError } from '../errors.js';
import type { Codec } from '../codecs/codec.js';
import { codecByExtension, formatExtension } from '../codecs/registry.js';
import type { LoadedScript } from '../engine/hooks.js';
import type { IoPort, Reporter } from '../pipeline/ports.js';
import { runStream, type StreamSettings } from '../pipeline/run.js';
import { errorMessage, findingsOf, type InputSummary } from '../pipeline/summary.js';
import type { InputFile } from './inputs.js';

export interface FileTask {
  input: string;
  /** null: the flows are kept nowhere (flowtx scrub --check). */
  output: string | null;
  /** The --to codec's name; undefined: the input's own format. */
  format: string | undefined;
}

/** `relative` renamed for `codec`: its format extension replaced (a `.gz` suffix kept), or added. */
export function outputName(relative: string, codec: Codec | undefined): string {
  if (codec === undefined || codecByExtension(relative) === codec) return relative;
  const gz = /\.gz$/i.exec(relative)?.[0] ?? '';
  const stem = relative.slice(0, relative.length - gz.length);
  const ext = formatExtension(relative);
  const bare = ext !== undefined && codecByExtension(relative) !== undefined ? stem.slice(0, -(ext.length + 1)) : stem;
  return `${bare}.${codec.extensions[0]}${gz}`;
}

/**
 * The output of each input below `outDir`. Two inputs that would write one file, and an output that is an
 * input (without --in-place), are usage errors found before anything runs.
 */
export function planOutputs(
  files: readonly InputFile[],
  outDir: string,
  codec: Codec | undefined,
  isInput: (path: string) => boolean,
  inPlace: boolean,
): FileTask[] {
  const taken = new Map<string, string>();
  return files.map((file) => {
    if (file.path === '-') throw new UsageError('stdin ("-") cannot be an input with --out-dir: it has no name to write under');
    const output = join(outDir, outputName(file.relative, codec));
    // A relative path may climb (a glob's alternatives below different folders): never out of DIR.
    if (relative(resolve(outDir), resolve(output)).split(sep)[0] === '..') {
      throw new UsageError(`${file.path} would be written outside --out-dir ${outDir} (as ${output}); give patterns whose matches lie below their static part`);
    }
    const other = taken.get(output);
    if (other !== undefined) throw new UsageError(`${other} and ${file.path} would both be written to ${output}`);
    taken.set(output, file.path);
    if (!inPlace && isInput(output)) throw new UsageError(`output ${output} is also an input; add --in-place to rewrite it safely`);
    return { input: file.path, output, format: codec?.name };
  });
}

/** Runs one input into its own output; the result is that input's summary, failures included. */
export async function runFile(
  task: FileTask,
  settings: StreamSettings,
  scripts: readonly LoadedScript[],
  io: IoPort,
  reporter: Reporter,
  cancelled: () => boolean,
): Promise<InputSummary> {
  if (task.output !== null) {
    try {
      await mkdir(dirname(task.output), { recursive: true });
    } catch (cause) {
      const err = new IoError('write', dirname(task.output), (cause as Error).message, { cause });
      reporter.error(err);
      return { path: task.input, format: null, flows: 0, bytes: 0, status: 'failed', error: err.message, output: null };
    }
  }
  const job = { inputs: [task.input], output: task.output, format: task.format, discard: task.output === null };
  const result = await runStream(job, settings, scripts, io, reporter, cancelled);
  const { written, dropped, emitted, filtered, scriptErrors } = result.counts;
  const summary: InputSummary = { ...result.inputs[0]!, output: result.output, written, dropped, emitted, filtered, scriptErrors, lost: result.lost };
  if (result.findings !== undefined) summary.findings = findingsOf(result.findings, task.input);
  if (result.failure instanceof Cancelled) summary.status = 'skipped';
  else if (result.failure !== null && summary.status === 'ok') {
    summary.status = 'failed';
    summary.error = errorMessage(result.failure);
  }
  return summary;
}
