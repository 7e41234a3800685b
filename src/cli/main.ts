// The flowtx command: parse, run, report, exit. The only module that decides exit codes or calls
// process.exit (0 ok, 1 runtime failure, 2 usage).

import { isFlowtxError, UsageError } from '../errors.js';
import { filterHelpText } from '../filter/help.js';
import { parseArgs, type RunPlan } from './args.js';
import { Terminal } from './progress.js';
import { run, RunFailure, type Summary } from './run.js';

function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}

/** The message a user sees: ours as they are, anything else (a bug) with its name; stacks only with --debug. */
function describe(err: unknown, debug: boolean): string {
  if (debug && err instanceof Error && err.stack !== undefined) {
    const causes: string[] = [err.stack];
    for (let c = (err as Error).cause; c instanceof Error; c = c.cause) causes.push(`caused by: ${c.stack ?? c.message}`);
    return causes.join('\n');
  }
  if (isFlowtxError(err)) return err.message;
  if (err instanceof Error) return `internal error: ${err.name}: ${err.message} (run with --debug for the stack trace)`;
  return String(err);
}

function emptySummary(plan: RunPlan | undefined, message: string, exitCode: number): Summary {
  return {
    ok: false,
    exitCode,
    inputs: (plan?.inputs ?? []).map((path) => ({ path, format: null, flows: 0, bytes: 0 })),
    output: null,
    flows: { read: 0, written: 0, dropped: 0, emitted: 0, filtered: 0 },
    scriptErrors: 0,
    errors: [message],
    warnings: [],
    lost: {},
    durationMs: 0,
  };
}

export async function main(argv: string[]): Promise<number> {
  let plan: RunPlan | undefined;
  const wantsDebug = argv.includes('--debug');
  let summary: Summary;
  let terminal: Terminal | undefined;
  if (argv.includes('--help-filters')) {
    process.stdout.write(filterHelpText());
    return 0;
  }
  try {
    plan = await parseArgs(argv);
    terminal = new Terminal(plan);
    summary = await run(plan, terminal);
    if (summary.exitCode !== 0) process.stderr.write(`flowtx: error: ${summary.errors.join('; ')}\n`);
  } catch (err) {
    const cause = err instanceof RunFailure ? err.cause : err;
    const message = describe(cause, wantsDebug);
    process.stderr.write(`flowtx: error: ${message}\n`);
    if (cause instanceof UsageError) process.stderr.write('Run flowtx --help for usage.\n');
    summary = err instanceof RunFailure ? err.summary : emptySummary(plan, isFlowtxError(cause) ? cause.message : message, exitCodeOf(cause));
  }
  if (plan?.jsonSummary) {
    const stream = plan.output === '-' ? process.stderr : process.stdout;
    stream.write(`${JSON.stringify(summary)}\n`);
  }
  return summary.exitCode;
}
