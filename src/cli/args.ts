// The command line: yargs spec → RunPlan. Flags follow mitmdump where mitmdump has one (-r, -w, -s, -q).

import { statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { ScriptErrorPolicy } from '../engine/dispatch.js';
import { codecNames } from '../codecs/registry.js';
import { builtinSummaries } from '../scripts/builtins.js';
import { DEFAULT_MAX_BODY_SIZE } from '../model/body-limit.js';
import { flowtx } from '../version.js';
import { parseShard, type Shard } from './shard.js';
import { parseSize } from './size.js';

export interface RunPlan {
  /** As given: files, directories, glob patterns, "-". */
  inputs: string[];
  /** null: list flows on stdout instead of writing them (or, with outDir, one output per input). */
  output: string | null;
  /** --out-dir: each input is written to its own file below this directory. */
  outDir: string | undefined;
  /** Worker threads for --out-dir; undefined: one per core when there are several files. */
  jobs: number | undefined;
  shard: Shard | undefined;
  failFast: boolean;
  /** Listing: one JSON object per flow instead of a line. */
  json: boolean;
  to: string | undefined;
  flowVersion: number | undefined;
  scripts: string[];
  options: Record<string, string>;
  onScriptError: ScriptErrorPolicy;
  allowScriptErrors: boolean;
  inPlace: boolean;
  quiet: boolean;
  debug: boolean;
  jsonSummary: boolean;
  progress: boolean | undefined;
  /** --filter or a trailing expression: only matching flows are seen by scripts and written. */
  filter: string | undefined;
  /** --select: scripts run only on matching flows; the others pass through unchanged. */
  select: string | undefined;
  /** --max-body-size in bytes: the most a body's content-encoding may decode to; 0 for no limit. */
  maxBodySize: number;
  /** --hook-timeout: seconds a hook call may take; undefined: no limit. */
  hookTimeout: number | undefined;
  /** flowtx scrub --check: write nothing; exit 1 when a script found anything (summary.findings > 0). */
  check?: boolean;
  /** flowtx scrub --report FILE: what was found (or redacted) per input, place and rule, as JSON. */
  report?: string | undefined;
}

const EPILOG = `Examples:
  flowtx -s examples/add_header.ts fixtures/sample.flows out.flows
      run a script over every flow
  flowtx fixtures/sample.flows
      list the flows, one line each
  flowtx -r a.ftx -r b.ndjson
      list several inputs (with -r, a lone positional is the OUTPUT)
  flowtx fixtures/sample.flows out.ndjson
      convert (output format from the extension, or --to)
  flowtx capture.flows old.flows --flow-version 17
      write a file mitmproxy 8.1 opens
  flowtx -s "examples/drop_host.ts tracker.test" -s examples/add_header.ts in.ftx out.ftx.gz
      chain scripts, pass them arguments, write gzip-compressed
  cat in.ftx | flowtx -s x.ts - - --to ndjson | jq .request.path
      read stdin, write stdout
  flowtx -s fix.ts --in-place capture.ftx
      rewrite a file in place, safely
  flowtx -s scrub.ts 'captures/**/*.flows' --out-dir clean/ --jobs 4
      one output per input below clean/ (paths mirrored), four files at a time
  flowtx captures/ --shard 2/8 --out-dir clean/
      this machine's share (one of 8) of the files below captures/
  flowtx 'captures/*.flows' --json | jq -r .url
      list many inputs as JSON, one object per flow
  flowtx capture.flows api.flows '~d api.example.com & ~m POST'
      keep only matching flows (mitmproxy filter syntax; see --help-filters)
  flowtx -s scrub.ts --select '~u /login' in.flows out.flows
      run the script on matching flows only, pass the others through

Exit codes: 0 success; 1 runtime failure (script error, corrupt or unreadable input, write failure);
2 usage error (including a filter expression that does not parse). Docs: docs/cli.md, docs/filters.md,
docs/scripting.md, docs/formats.md.`;

const POLICIES = ['fail', 'skip', 'keep'] as const;

/** The options, once: the fast parser and yargs (help, errors) both read this table. */
const OPTIONS = {
  read: { alias: 'r', type: 'string', array: true, nargs: 1, requiresArg: true, description: 'Input file (repeatable; "-" = stdin), as mitmdump -r' },
  write: { alias: 'w', type: 'string', requiresArg: true, description: 'Output file ("-" = stdout), as mitmdump -w' },
  script: { alias: 's', type: 'string', array: true, nargs: 1, requiresArg: true, description: `Script path plus arguments in one string, e.g. -s "scrub.ts --keep-cookies", or a built-in (${builtinSummaries().map(([name]) => name).join(', ')}); repeatable: scripts run in order` },
  to: { type: 'string', requiresArg: true, description: `Output format (${codecNames().join(', ')}); default: from the output's extension, else the input's format` },
  'flow-version': { type: 'number', choices: [17, 18, 19, 20, 21], requiresArg: true, description: 'mitmproxy output: the flow format version to write (17 = mitmproxy 8.1, 18 = 9.x, 20 = 10.x, 21 = 11.x and later); default: the input\'s when it is one of these, else 21' },
  set: { type: 'string', array: true, nargs: 1, requiresArg: true, description: 'key=value option scripts read as ctx.options (repeatable)' },
  'in-place': { type: 'boolean', default: false, description: 'Allow writing onto an input (rewritten safely through a temporary file)' },
  'on-script-error': { type: 'string', choices: POLICIES, default: 'fail', description: 'When a hook throws: fail the run, skip (drop) the flow, or keep the flow unchanged' },
  'hook-timeout': { type: 'number', requiresArg: true, description: 'Seconds a hook call may run or stay pending before it fails as a script error (default: no limit; a hook that can never settle fails anyway; with a limit, synchronous hooks cost about 0.1 ms more per call)' },
  'allow-script-errors': { type: 'boolean', default: false, description: 'With skip/keep: exit 0 even if hooks failed' },
  'out-dir': { type: 'string', requiresArg: true, description: 'Write each input to its own file below DIR, at its path relative to its directory or glob base (then every positional is an input)' },
  jobs: { alias: 'j', type: 'number', requiresArg: true, description: 'With --out-dir: files processed in parallel on worker threads (default: one per core when there are several files)' },
  shard: { type: 'string', requiresArg: true, description: 'K/N: only this share of the input files, chosen by a stable hash of each path relative to its base (1 ≤ K ≤ N)' },
  'fail-fast': { type: 'boolean', default: false, description: 'Stop at the first input that fails (default: report it and go on with the others)' },
  json: { type: 'boolean', default: false, description: 'Listing: print one JSON object per flow instead of a line' },
  'json-summary': { type: 'boolean', default: false, description: 'Print a JSON summary (counts, errors, time) at the end: on stdout, or stderr when stdout carries flows' },
  progress: { type: 'boolean', description: 'Show a progress bar on stderr (default: when stderr is a terminal)' },
  quiet: { alias: 'q', type: 'boolean', default: false, description: 'Only warnings and errors on stderr' },
  debug: { type: 'boolean', default: false, description: 'Show stack traces and script debug logs' },
  filter: { type: 'string', requiresArg: true, description: 'Only flows matching this mitmproxy filter expression are seen by scripts and written (or listed); also given as a trailing expression' },
  select: { type: 'string', requiresArg: true, description: 'Scripts run only on flows matching this filter expression; the others pass through unchanged' },
  'max-body-size': { type: 'string', requiresArg: true, description: 'The most bytes one body may decode to (gzip, br, deflate, zstd), e.g. 64M or 1G; 0 for no limit (default: 256M)' },
  'help-filters': { type: 'boolean', default: false, description: 'List the filter operators and exit' },
} as const;

type OptionName = keyof typeof OPTIONS;
type OptionSpec = (typeof OPTIONS)[OptionName] & { alias?: string; array?: boolean; nargs?: number; requiresArg?: boolean; choices?: readonly string[]; default?: unknown };

interface ParsedArgs {
  _: (string | number)[];
  read?: string[];
  write?: string;
  script?: string[];
  to?: string;
  flowVersion?: number;
  set?: string[];
  outDir?: string;
  jobs?: number;
  shard?: string;
  failFast: boolean;
  json: boolean;
  inPlace: boolean;
  onScriptError: string;
  hookTimeout?: number;
  allowScriptErrors: boolean;
  jsonSummary: boolean;
  progress?: boolean;
  quiet: boolean;
  debug: boolean;
  filter?: string;
  select?: string;
  maxBodySize?: string;
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * yargs costs ~150 ms to load, more than the whole start-up budget, so a plain command line is parsed with
 * yargs' own parser (yargs-parser) and checked against the table; anything else (help, version, an unknown
 * or invalid option) goes to yargs, which prints the help or the error.
 */
async function parseFast(argv: string[], variant: RunVariant): Promise<ParsedArgs | undefined> {
  const { default: parse } = await import('yargs-parser');
  const specs = Object.entries({ ...OPTIONS, ...variant.options }) as [string, OptionSpec][];
  // detailed(): its error says when an option misses its value (a trailing -s), which plain parse() drops.
  const { argv: parsed, error } = parse.detailed(argv, {
    alias: Object.fromEntries(specs.filter(([, o]) => o.alias).map(([n, o]) => [n, [o.alias!]])),
    array: specs.filter(([, o]) => o.array).map(([n]) => n),
    narg: Object.fromEntries(specs.filter(([, o]) => o.nargs).map(([n, o]) => [n, o.nargs!])),
    boolean: specs.filter(([, o]) => o.type === 'boolean').map(([n]) => n),
    string: specs.filter(([, o]) => o.type === 'string').map(([n]) => n),
    number: specs.filter(([, o]) => o.type === 'number').map(([n]) => n),
    default: Object.fromEntries(specs.filter(([, o]) => o.default !== undefined).map(([n, o]) => [n, o.default])),
    configuration: { 'camel-case-expansion': true },
  });
  if (error !== null) return undefined;
  const known = new Set(['_', '$0', ...specs.flatMap(([n, o]) => [n, camel(n), ...(o.alias ? [o.alias] : [])])]);
  if (Object.keys(parsed).some((key) => !known.has(key))) return undefined;
  for (const [name, spec] of specs) {
    const value = parsed[name] as unknown;
    if (spec.requiresArg && (value === '' || (Array.isArray(value) && value.includes('')))) return undefined;
    if (spec.choices && value !== undefined && !(spec.choices as readonly unknown[]).includes(value)) return undefined;
  }
  return parsed as unknown as ParsedArgs;
}

async function parseWithYargs(argv: string[], variant: RunVariant): Promise<ParsedArgs> {
  const { default: yargs } = await import('yargs');
  let failure: string | undefined;
  const args = await yargs(argv)
    .scriptName('flowtx')
    .usage(variant.usage)
    .options({ ...OPTIONS, ...variant.options } as unknown as Record<string, import('yargs').Options>)
    .epilog(variant.epilog)
    .strictOptions()
    // yargs would read the nearest package.json above its own folder: the project that installed flowtx.
    .version(flowtx().version)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message, err) => {
      failure = message ?? err?.message ?? 'invalid arguments';
    })
    .parseAsync();
  if (failure !== undefined) throw new UsageError(failure);
  return args as unknown as ParsedArgs;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true; // a missing input is reported when it is read, with the other read errors
  }
}

function parseSet(values: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects key=value, got ${JSON.stringify(value)}`);
    options[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return options;
}

/**
 * Splits off a trailing filter expression, as mitmdump takes one after its options: it starts at the first
 * positional beginning with "~", "!" or "(" (no input or output path is taken to start so) and runs to the
 * end; its words are joined with spaces. A bare URL pattern must be written "~u pattern" there.
 */
function splitTrailingFilter(positionals: string[]): { paths: string[]; expression: string | undefined } {
  const at = positionals.findIndex((p) => /^[~!(]/.test(p));
  if (at < 0) return { paths: positionals, expression: undefined };
  return { paths: positionals.slice(0, at), expression: positionals.slice(at).join(' ') };
}

/**
 * An option that takes a value was given an empty one: `-s "$SCRIPT"` with SCRIPT unset would otherwise
 * run no script and ship the flows as they are.
 */
function refuseEmptyValues(args: ParsedArgs, options: object): void {
  for (const [name, spec] of Object.entries(options) as [string, OptionSpec][]) {
    if (!spec.requiresArg || spec.type !== 'string') continue;
    const value = (args as unknown as Record<string, unknown>)[camel(name)];
    if ([value].flat().some((v) => typeof v === 'string' && v.trim() === '')) {
      throw new UsageError(`${spec.alias === undefined ? '' : `-${spec.alias}/`}--${name} needs a value; got an empty one (an unset variable?)`);
    }
  }
}

/**
 * A command that runs `run` with options of its own (`scrub`): its usage text, its help epilog, and the
 * options it adds to run's table. The option names must not be run's.
 */
export interface RunVariant {
  readonly usage: string;
  readonly epilog: string;
  readonly options: Readonly<Record<string, { type: 'string' | 'boolean'; requiresArg?: boolean; choices?: readonly string[]; default?: unknown; description: string }>>;
}

const RUN: RunVariant = {
  usage:
    'Usage: $0 [run] [options] INPUT... [OUTPUT] [FILTER EXPRESSION]\nUsage: $0 [run] [options] INPUT... --out-dir DIR [FILTER EXPRESSION]\n\nStream saved HTTP flows through scripts and write them out, in the same or another format.\nAn INPUT is a file, a directory (recursed) or a glob pattern. With no OUTPUT, prints one line per flow.\nA trailing filter expression (mitmproxy syntax, starting with ~, ! or () keeps only the flows it\nmatches; see --help-filters. An input named like a command (run, scrub) is given as a path: ./scrub.',
  epilog: EPILOG,
  options: {},
};

/** Parses argv into a plan; throws UsageError for anything contradictory. Help and version exit here. */
export async function parseArgs(argv: string[]): Promise<RunPlan> {
  return (await parseRunArgs(argv, RUN)).plan;
}

/** parseArgs for a variant of run: the plan, and the values of the variant's own options (camel-cased names). */
export async function parseRunArgs(argv: string[], variant: RunVariant): Promise<{ plan: RunPlan; own: Record<string, unknown> }> {
  const wantsYargs = argv.some((a) => a === '--help' || a === '-h' || a === '--version');
  const args = (wantsYargs ? undefined : await parseFast(argv, variant)) ?? (await parseWithYargs(argv, variant));
  refuseEmptyValues(args, { ...OPTIONS, ...variant.options });
  const own = Object.fromEntries(Object.keys(variant.options).map((name) => [camel(name), (args as unknown as Record<string, unknown>)[camel(name)]]));
  return { plan: planOf(args), own };
}

function planOf(args: ParsedArgs): RunPlan {

  const { paths: positionals, expression } = splitTrailingFilter(args._.map(String));
  if (expression !== undefined && args.filter !== undefined) {
    throw new UsageError(`give the filter once: --filter ${JSON.stringify(args.filter)} or the trailing expression ${JSON.stringify(expression)}`);
  }
  const read = args.read ?? [];
  const outDir = args.outDir;
  let inputs: string[];
  let output: string | null;
  if (outDir !== undefined) {
    if (args.write !== undefined) throw new UsageError('give either --out-dir or -w, not both');
    inputs = [...read, ...positionals];
    output = null;
  } else if (args.write !== undefined) {
    inputs = [...read, ...positionals];
    output = args.write;
  } else if (read.length > 0) {
    if (positionals.length > 1) throw new UsageError(`with -r, give at most one OUTPUT; got ${positionals.join(' ')}`);
    inputs = read;
    output = positionals[0] ?? null;
  } else if (positionals.length >= 2) {
    inputs = positionals.slice(0, -1);
    output = positionals.at(-1)!;
  } else {
    inputs = positionals;
    output = null;
  }
  if (inputs.length === 0) throw new UsageError('no input given; see flowtx --help');
  if (inputs.filter((i) => i === '-').length > 1) throw new UsageError('stdin ("-") can be read only once');
  if (args.inPlace && output === null && outDir === undefined) {
    if (inputs.length !== 1 || !isFile(inputs[0]!)) throw new UsageError('--in-place without OUTPUT rewrites one input file; give exactly one (or use --out-dir)');
    output = inputs[0]!;
  }
  if (output === null && outDir === undefined && args.inPlace) throw new UsageError('--in-place needs an input to rewrite');
  if (args.json && (output !== null || outDir !== undefined)) throw new UsageError('--json is for the listing (no OUTPUT); to write flows as JSON use --to ndjson');
  if (args.hookTimeout !== undefined && !(args.hookTimeout > 0 && args.hookTimeout <= 2_147_483)) throw new UsageError(`--hook-timeout expects seconds > 0, got ${args.hookTimeout}`);
  if (args.jobs !== undefined && !(Number.isInteger(args.jobs) && args.jobs >= 1)) throw new UsageError(`--jobs expects a whole number ≥ 1, got ${args.jobs}`);
  const shard = args.shard === undefined ? undefined : parseShard(args.shard);
  if (shard !== undefined && inputs.includes('-')) throw new UsageError('--shard splits files; stdin ("-") cannot be sharded');
  return {
    inputs,
    output,
    outDir,
    jobs: args.jobs,
    shard,
    failFast: args.failFast,
    json: args.json,
    to: args.to,
    flowVersion: args.flowVersion,
    scripts: args.script ?? [],
    options: parseSet(args.set ?? []),
    onScriptError: args.onScriptError as ScriptErrorPolicy,
    allowScriptErrors: args.allowScriptErrors,
    inPlace: args.inPlace,
    quiet: args.quiet,
    debug: args.debug,
    jsonSummary: args.jsonSummary,
    progress: args.progress,
    filter: args.filter ?? expression,
    select: args.select,
    maxBodySize: args.maxBodySize === undefined ? DEFAULT_MAX_BODY_SIZE : parseSize('--max-body-size', args.maxBodySize),
    hookTimeout: args.hookTimeout,
  };
}
