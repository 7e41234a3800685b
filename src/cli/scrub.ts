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
      scrub, then run a script of your own on the scrubbed flows`,
  options: {
    'scrub-key': { type: 'string', requiresArg: true, description: `Key of the placeholders' HMAC (default: $${SCRUB_KEY_ENV}, else flowtx's public default key; see docs/scrub.md)` },
    'scrub-style': { type: 'string', requiresArg: true, choices: ['hmac', 'fixed'], default: 'hmac', description: 'Placeholders: hmac (REDACTED-3f9a1c0e, the same for the same secret) or fixed (REDACTED)' },
  },
};

/** A word of a -s string, quoted so that the script loader's splitting gives it back as it is. */
const quoted = (word: string): string => `"${word.replace(/["\\]/g, '\\$&')}"`;

/** The -s string of builtin:scrub with these options. */
export function scrubSpec(key: string | undefined, style: string): string {
  return ['builtin:scrub', ...(key === undefined ? [] : ['--key', quoted(key)]), '--style', style].join(' ');
}

export async function parseScrubArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunPlan> {
  const { plan, own } = await parseRunArgs(argv, SCRUB);
  if (plan.output === null && plan.outDir === undefined) throw new UsageError('scrub writes flows: give an OUTPUT (or - for stdout) or --out-dir DIR');
  const key = (own.scrubKey as string | undefined) ?? (env[SCRUB_KEY_ENV] || undefined);
  return { ...plan, scripts: [scrubSpec(key, own.scrubStyle as string), ...plan.scripts] };
}
