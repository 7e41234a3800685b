// The command table: `flowtx NAME …` runs the command NAME; a first word that names no command starts the
// default command, run, so `flowtx [options] INPUT... [OUTPUT]` stays valid as written. A file whose name
// is a command is given with a path (`./scrub`). New commands (proxy, export) are rows here.

import type { IoPort } from '../pipeline/ports.js';
import type { Summary } from '../pipeline/summary.js';
import { parseArgs, type RunPlan } from './args.js';
import type { Terminal } from './progress.js';
import type { Stop } from './signals.js';
import { run } from './run.js';
import { parseScrubArgs } from './scrub.js';

/** What main needs of every command's plan: where its summary goes and how its terminal behaves. */
export interface CommonPlan {
  inputs: string[];
  /** "-" when flows go to stdout (the JSON summary then goes to stderr). */
  output: string | null;
  jsonSummary: boolean;
  quiet: boolean;
  debug: boolean;
  progress: boolean | undefined;
}

export interface Command<P extends CommonPlan> {
  /** One line for docs and help. */
  readonly summary: string;
  /** argv after the command's name → plan; throws UsageError. Help and version exit here. */
  parse(argv: string[]): Promise<P>;
  /** Runs the plan; `stop` is requested by a signal, and the run then ends as soon as it can. */
  execute(plan: P, io: IoPort, terminal: Terminal, stop: Stop): Promise<Summary>;
}

const runCommand: Command<RunPlan> = {
  summary: 'stream flows through scripts into an output file, one output per input, or a listing (the default)',
  parse: parseArgs,
  execute: run,
};

const scrubCommand: Command<RunPlan> = {
  summary: 'redact secrets in every place they travel (headers, URLs, bodies, WebSocket messages), then write as run does',
  parse: (argv) => parseScrubArgs(argv),
  execute: run,
};

export const COMMANDS: Readonly<Record<string, Command<CommonPlan>>> = {
  run: runCommand as unknown as Command<CommonPlan>,
  scrub: scrubCommand as unknown as Command<CommonPlan>,
};

export const DEFAULT_COMMAND = 'run';

/** The command argv names and the arguments it takes. */
export function pickCommand(argv: readonly string[]): { name: string; command: Command<CommonPlan>; args: string[] } {
  const first = argv[0];
  if (first !== undefined && Object.hasOwn(COMMANDS, first)) return { name: first, command: COMMANDS[first]!, args: argv.slice(1) };
  return { name: DEFAULT_COMMAND, command: COMMANDS[DEFAULT_COMMAND]!, args: [...argv] };
}
