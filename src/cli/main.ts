// The flowtx command: parse, run, report, exit. The only module that decides exit codes or calls
// process.exit (0 ok, 1 runtime failure, 2 usage).

import { isFlowtxError, UsageError } from '../errors.js';
import { filterHelpText } from '../filter/help.js';
import { countFiles, emptySummary, type Summary } from '../pipeline/summary.js';
import { pickCommand, type CommonPlan } from './commands.js';
import { describe, Terminal } from './progress.js';

/** The summary of a command that failed before it read anything (usage, a missing input, a script). */
function failedSummary(plan: CommonPlan | undefined, message: string, exitCode: number): Summary {
  const summary = { ...emptySummary(plan?.inputs ?? [], []), ok: false, exitCode, errors: [message] };
  for (const input of summary.inputs) input.status = 'skipped';
  countFiles(summary);
  return summary;
}

export async function main(argv: string[]): Promise<number> {
  let plan: CommonPlan | undefined;
  const wantsDebug = argv.includes('--debug');
  let summary: Summary;
  if (argv.includes('--help-filters')) {
    process.stdout.write(filterHelpText());
    return 0;
  }
  try {
    const { command, args } = pickCommand(argv);
    plan = await command.parse(args);
    summary = await command.execute(plan, new Terminal(plan));
  } catch (err) {
    const message = describe(err, wantsDebug);
    process.stderr.write(`flowtx: error: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write('Run flowtx --help for usage.\n');
    summary = failedSummary(plan, isFlowtxError(err) ? err.message : message, err instanceof UsageError ? 2 : 1);
  }
  if (plan?.jsonSummary) {
    const stream = plan.output === '-' ? process.stderr : process.stdout;
    stream.write(`${JSON.stringify(summary)}\n`);
  }
  return summary.exitCode;
}
