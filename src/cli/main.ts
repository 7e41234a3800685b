// The flowtx command: pick the command, parse, run, report, return the exit code (0 ok, 1 runtime failure,
// 2 usage, 128 + the signal's number when interrupted). The only module that decides exit codes. It reaches
// the world through `Stdio` and `Host` (the process's by default), so tests run the command in-process.

import type { Readable, Writable } from 'node:stream';
import { IoError, isFlowtxError, UsageError } from '../errors.js';
import { filterHelpText } from '../filter/help.js';
import { removeTemporariesSync } from '../io/temporaries.js';
import { fileSystem } from '../pipeline/ports.js';
import { countFiles, emptySummary, type Summary } from '../pipeline/summary.js';
import { pickCommand, type CommonPlan } from './commands.js';
import { describe, Terminal, type TextOut } from './progress.js';
import { signalExitCode, SignalWatch, stoppable, type SignalSource } from './signals.js';

export interface Stdio {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & TextOut;
}

/**
 * The summary of a command that failed before it read anything (usage, a script, an input that is missing or
 * yields no file): that input failed, the others were skipped.
 */
function failedSummary(plan: CommonPlan | undefined, err: unknown, message: string, exitCode: number): Summary {
  const summary = { ...emptySummary(plan?.inputs ?? [], []), ok: false, exitCode, errors: [message] };
  const missing = err instanceof IoError && err.side === 'read' ? err.path : undefined;
  for (const input of summary.inputs) {
    input.status = input.path === missing ? 'failed' : 'skipped';
    if (input.path === missing) input.error = message;
  }
  countFiles(summary);
  return summary;
}

export { hooksLeftRunning } from '../engine/guard.js';

/** What main needs of the process besides its streams: signals, and a way out at once on a second one. */
export interface Host extends SignalSource {
  exit(code: number): void;
}

export async function main(argv: string[], stdio: Stdio = process, host: Host = process): Promise<number> {
  let plan: CommonPlan | undefined;
  const wantsDebug = argv.includes('--debug');
  let summary: Summary;
  if (argv.includes('--help-filters')) {
    stdio.stdout.write(filterHelpText());
    return 0;
  }
  let terminal: Terminal | undefined;
  const signals = new SignalWatch(host, (signal) => {
    removeTemporariesSync();
    terminal?.stopProgress();
    stdio.stderr.write(`flowtx: error: interrupted by ${signal} again: stopped at once\n`);
    host.exit(signalExitCode(signal));
  });
  try {
    const { command, args } = pickCommand(argv);
    plan = await command.parse(args);
    terminal = new Terminal(plan, stdio.stderr);
    summary = await command.execute(plan, stoppable(fileSystem(stdio.stdin, stdio.stdout), signals), terminal, signals);
  } catch (err) {
    const message = describe(err, wantsDebug);
    stdio.stderr.write(`flowtx: error: ${message}\n`);
    if (err instanceof UsageError) stdio.stderr.write('Run flowtx --help for usage.\n');
    summary = failedSummary(plan, err, isFlowtxError(err) ? err.message : message, err instanceof UsageError ? 2 : 1);
  } finally {
    signals.close();
  }
  if (signals.signal !== undefined) {
    // What was complete stays (outputs of --out-dir already written); what was in progress was given up. A
    // hook the signal interrupted was reported with its script and flow already.
    const message = `interrupted by ${signals.signal}`;
    if (summary.interrupted !== true) stdio.stderr.write(`flowtx: error: ${message}\n`);
    summary = { ...summary, ok: false, exitCode: signalExitCode(signals.signal), errors: [...summary.errors, message] };
  }
  if (plan?.jsonSummary) {
    const stream = plan.output === '-' ? stdio.stderr : stdio.stdout;
    stream.write(`${JSON.stringify(summary)}\n`);
  }
  return summary.exitCode;
}
