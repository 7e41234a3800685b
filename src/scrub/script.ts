// builtin:scrub, the scrubber as a hook table: the request hook scrubs the request, the response hook the
// response and the WebSocket messages. Options come from its -s string (`builtin:scrub --key K --style fixed`),
// so --jobs workers, which load built-ins by that string, scrub alike. It keeps no flow: per stream it keeps
// two counts, and logs them (never a value) when the stream ends.

import type { FlowContext, ScriptContext } from '../engine/context.js';
import type { Script } from '../engine/hooks.js';
import { Scrubber } from './context.js';
import { DEFAULT_SCRUB_KEY, placeholders, type PlaceholderStyle } from './placeholder.js';
import { scrubRequest, scrubResponse } from './scrub.js';
import { BUILTIN_DETECTORS, type TextDetector } from './text.js';
import { scrubWebSocket } from './websocket.js';

export interface ScrubOptions {
  key: string;
  style: PlaceholderStyle;
}

/** `--key KEY` and `--style hmac|fixed`; throws a message naming the argument (never the key's value). */
export function parseScrubArgs(args: readonly string[]): ScrubOptions {
  const options: ScrubOptions = { key: DEFAULT_SCRUB_KEY, style: 'hmac' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    if (arg === '--key' && value !== undefined && value !== '') {
      options.key = value;
      i++;
    } else if (arg === '--style' && (value === 'hmac' || value === 'fixed')) {
      options.style = value;
      i++;
    } else if (arg === '--key' || arg === '--style') {
      throw new Error(`${arg} expects ${arg === '--key' ? 'a key' : 'hmac or fixed'}`);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; builtin:scrub takes --key KEY and --style hmac|fixed`);
    }
  }
  return options;
}

interface Tally {
  values: number;
  flows: number;
  /** The flows counted already (weakly: a flow leaves with its batch). */
  seen: WeakSet<object>;
}

function tally(ctx: ScriptContext): Tally {
  return (ctx.state.scrub ??= { values: 0, flows: 0, seen: new WeakSet() }) as Tally;
}

/** The hook table of builtin:scrub; `detectors` run on every text beside the structure-aware policy. */
export function scrubScript(args: readonly string[], detectors: readonly TextDetector[] = BUILTIN_DETECTORS): Script {
  const { key, style } = parseScrubArgs(args);
  const scrubber = new Scrubber(placeholders(style, key), detectors);
  const account = (ctx: FlowContext, flow: object): void => {
    const findings = scrubber.take();
    if (findings.length === 0) return;
    const counts = tally(ctx);
    counts.values += findings.length;
    if (!counts.seen.has(flow)) {
      counts.seen.add(flow);
      counts.flows++;
    }
    for (const { where, rule } of findings) ctx.log.debug('flow #%s: redacted %s (%s)', ctx.index ?? '?', where, rule);
  };
  return {
    request(ctx, flow) {
      scrubRequest(flow.request, scrubber);
      account(ctx, flow);
    },
    response(ctx, flow) {
      scrubResponse(flow.response!, scrubber);
      scrubWebSocket(flow, scrubber);
      account(ctx, flow);
    },
    done(ctx) {
      const { values, flows } = tally(ctx);
      ctx.log.info('redacted %d value%s in %d flow%s', values, values === 1 ? '' : 's', flows, flows === 1 ? '' : 's');
    },
  };
}
