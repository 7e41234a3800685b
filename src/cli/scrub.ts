// `flowtx scrub`: run with builtin:scrub first in the script chain. Every run option works as in run (inputs,
// formats, --out-dir, --jobs, --shard, --filter, --select, gzip); the scrub options travel inside the
// built-in's -s string, which is how --jobs workers load built-ins.

import { UsageError } from '../errors.js';
import { parseRunArgs, type RunPlan, type RunVariant } from './args.js';

/** The environment variable that gives the placeholders' key when --scrub-key does not. */
export const SCRUB_KEY_ENV = 'FLOWTX_SCRUB_KEY';

const SCRUB: RunVariant = {
  usage:
    'Usage: $0 scrub [options] INPUT... OUTPUT [FILTER EXPRESSION]\nUsage: $0 scrub [options] INPUT... --out-dir DIR [FILTER EXPRESSION]\n\nRedact secrets (credentials, cookies, tokens, keys, passwords) in headers, URLs, bodies and WebSocket\nmessages, then write the flows as run does: builtin:scrub runs first, before any -s script.\nEvery option of run works the same; see docs/scrub.md for what is redacted where.',
  epilog: `Examples:
  flowtx scrub captures/ --out-dir clean/
      redact every capture below captures/ into clean/
  flowtx scrub in.har out.har --scrub-key "$KEY"
      placeholders keyed with your own key (default: $${SCRUB_KEY_ENV}, else a documented public key)
  flowtx scrub -s my-extra.ts in.flows out.flows
      scrub, then run a script of your own on the scrubbed flows
  flowtx scrub --check clean/ --report check.json
      exit 1 if any secret remains below clean/, naming each (file, flow, place, rule)`,
  options: {
    'scrub-key': { type: 'string', requiresArg: true, description: `Key of the placeholders' HMAC (default: $${SCRUB_KEY_ENV}, else flowtx's public default key; see docs/scrub.md)` },
    check: { type: 'boolean', default: false, description: 'Write nothing: report every secret still there (file, flow, place, rule; never the value) and exit 1 if any is found; every positional is an INPUT' },
    report: { type: 'string', requiresArg: true, description: 'Write a JSON report to FILE: per input, place and rule, how many values were redacted (with --check: found); see docs/scrub.md' },
    'scrub-style': { type: 'string', requiresArg: true, choices: ['hmac', 'fixed'], default: 'hmac', description: 'Placeholders: hmac (REDACTED-3f9a1c0e, the same for the same secret) or fixed (REDACTED)' },
  },
};

/** A word of a -s string, quoted so that the script loader's splitting gives it back as it is. */
const quoted = (word: string): string => `"${word.replace(/["\\]/g, '\\$&')}"`;

/** The -s string of builtin:scrub with these options. */
export function scrubSpec(key: string | undefined, style: string, check = false): string {
  return ['builtin:scrub', ...(key === undefined ? [] : ['--key', quoted(key)]), '--style', style, ...(check ? ['--check'] : [])].join(' ');
}

/** Was an output named with -w/--write (which --check refuses; a trailing positional is an input there)? */
const namesWrite = (argv: readonly string[]): boolean => argv.some((a) => a === '-w' || a === '--write' || a.startsWith('--write=') || /^-w./.test(a));

export async function parseScrubArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunPlan> {
  const { plan, own } = await parseRunArgs(argv, SCRUB);
  const check = own.check === true;
  const report = own.report as string | undefined;
  const key = (own.scrubKey as string | undefined) ?? (env[SCRUB_KEY_ENV] || undefined);
  const scripts = [scrubSpec(key, own.scrubStyle as string, check), ...plan.scripts];
  if (report === '-' && (plan.jsonSummary || (!check && plan.output === '-'))) {
    throw new UsageError('--report - writes to stdout, which already carries the flows or the JSON summary: give --report a FILE');
  }
  if (check) {
    if (plan.outDir !== undefined || plan.inPlace || namesWrite(argv)) throw new UsageError('scrub --check writes no flows: give INPUTs only (no OUTPUT, -w, --out-dir or --in-place)');
    // Every positional is an input, as with --out-dir.
    const inputs = plan.output === null ? plan.inputs : [...plan.inputs, plan.output];
    if (inputs.filter((i) => i === '-').length > 1) throw new UsageError('stdin ("-") can be read only once');
    return { ...plan, inputs, output: null, check, report, scripts };
  }
  if (plan.output === null && plan.outDir === undefined) throw new UsageError('scrub writes flows: give an OUTPUT (or - for stdout) or --out-dir DIR');
  return { ...plan, check, report, scripts };
}
