// Built-in scripts, named on the command line as -s builtin:NAME. They are ordinary hook tables, so they run
// through the same dispatcher as user scripts, cross to --jobs workers as their name, and chain with user
// scripts in -s order. None keeps a flow past its batch, so readers keep reusing their read chunks.

import { ScriptError } from '../errors.js';
import type { FlowContext } from '../engine/context.js';
import type { LoadedScript, Script } from '../engine/hooks.js';
import type { Request, Response } from '../model/message.js';
import { scrubFindings, scrubScript } from '../scrub/script.js';

export const BUILTIN_PREFIX = 'builtin:';

interface Builtin {
  /** One line for --help and docs/scripting.md. */
  readonly summary: string;
  /** The hooks for the arguments given after the name; throws a message for arguments it does not take. */
  hooks(args: readonly string[]): Script;
  /** What it found in a stream, from its state (LoadedScript.findings). */
  findings?: LoadedScript['findings'];
}

/** Undoes a message's content-encoding in place; a body that does not decode is left as it is, with a warning. */
function decodeBody(ctx: FlowContext, part: 'request' | 'response', message: Request | Response): void {
  if (message.content === null || !message.headers.has('content-encoding')) return;
  let body: Uint8Array | null;
  try {
    body = message.decodedContent;
  } catch (err) {
    ctx.log.warn(`${part} body of flow #${ctx.index ?? '?'} left encoded: ${(err as Error).message}`);
    return;
  }
  message.headers.delete('content-encoding');
  message.content = body; // Content-Length follows, when the message has one
}

const BUILTINS: Readonly<Record<string, Builtin>> = {
  decode: {
    summary: 'undo the content-encoding (gzip, deflate, br, zstd) of every request and response body',
    hooks(args) {
      if (args.length > 0) throw new Error(`takes no arguments, got ${args.join(' ')}`);
      return {
        request: (ctx, flow) => decodeBody(ctx, 'request', flow.request),
        response: (ctx, flow) => decodeBody(ctx, 'response', flow.response!),
      };
    },
  },
  scrub: {
    summary: 'redact secrets (credentials, cookies, tokens, keys, passwords) in headers, URLs, bodies and WebSocket messages; options: --key KEY, --style hmac|fixed, --check (find, for flowtx scrub --check; docs/scrub.md)',
    hooks: scrubScript,
    findings: scrubFindings,
  },
};

/** The built-ins, by name, with their one-line summaries. */
export function builtinSummaries(): [name: string, summary: string][] {
  return Object.entries(BUILTINS).map(([name, builtin]) => [`${BUILTIN_PREFIX}${name}`, builtin.summary]);
}

/** The built-in `name` (builtin:NAME) with its arguments, `argv` = [name, ...args]. */
export function loadBuiltin(name: string, argv: string[]): LoadedScript {
  const builtin = Object.hasOwn(BUILTINS, name.slice(BUILTIN_PREFIX.length)) ? BUILTINS[name.slice(BUILTIN_PREFIX.length)] : undefined;
  if (builtin === undefined) {
    const known = Object.keys(BUILTINS).map((n) => BUILTIN_PREFIX + n).join(', ');
    throw new ScriptError(name, undefined, `unknown built-in script ${name}; built-ins: ${known}`);
  }
  let hooks: Script;
  try {
    hooks = builtin.hooks(argv.slice(1));
  } catch (err) {
    throw new ScriptError(name, undefined, `${name}: ${(err as Error).message}`);
  }
  return { name, file: name, argv, hooks, target: undefined, retainsFlows: false, ...(builtin.findings === undefined ? {} : { findings: builtin.findings }) };
}
