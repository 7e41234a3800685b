// The flowtx command: pick the command, parse, run, report, return the exit code (0 ok, 1 runtime failure,
// 2 usage). The only module that decides exit codes. It reaches the world through `Stdio` (the process's
// streams by default), so tests run the command in-process.

import type { Readable, Writable } from 'node:stream';
import { isFlowtxError, UsageError } from '../errors.js';
import { filterHelpText } from '../filter/help.js';
import { fileSystem } from '../pipeline/ports.js';
import { countFiles, emptySummary, type Summary } from '../pipeline/summary.js';
import { pickCommand, type CommonPlan } from './commands.js';
import { describe, Terminal, type TextOut } from './progress.js';

export interface Stdio {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & TextOut;
}

/** The summary of a command that failed before it read anything (usage, a missing input, a script). */
function failedSummary(plan: CommonPlan | undefined, message: string, exitCode: number): Summary {
  const summary = { ...emptySummary(plan?.inputs ?? [], []), ok: false, exitCode, errors: [message] };
  for (const input of summary.inputs) input.status = 'skipped';
  countFiles(summary);
  return summary;
}

export { hooksLeftRunning } from '../engine/guard.js';

export async function main(argv: string[], stdio: Stdio = process): Promise<number> {
  let plan: CommonPlan | undefined;
  const wantsDebug = argv.includes('--debug');
  let summary: Summary;
  if (argv.includes('--help-filters')) {
    stdio.stdout.write(filterHelpText());
    return 0;
  }
  try {
    const { command, args } = pickCommand(argv);
    plan = await command.parse(args);
    summary = await command.execute(plan, fileSystem(stdio.stdin, stdio.stdout), new Terminal(plan, stdio.stderr));
  } catch (err) {
    const message = describe(err, wantsDebug);
    stdio.stderr.write(`flowtx: error: ${message}\n`);
    if (err instanceof UsageError) stdio.stderr.write('Run flowtx --help for usage.\n');
    summary = failedSummary(plan, isFlowtxError(err) ? err.message : message, err instanceof UsageError ? 2 : 1);
  }
  if (plan?.jsonSummary) {
    const stream = plan.output === '-' ? stdio.stderr : stdio.stdout;
    stream.write(`${JSON.stringify(summary)}\n`);
  }
  return summary.exitCode;
}
