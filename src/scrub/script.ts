// builtin:scrub, the scrubber as a hook table: the request hook scrubs the request, the response hook the
// response and the WebSocket messages. Options come from its -s string (`builtin:scrub --key K --style fixed`),
// so --jobs workers, which load built-ins by that string, scrub alike. It keeps no flow: per stream it keeps
// counts (by input, place and rule; never a value), logs them when the stream ends, and hands them to the
// run (scrubFindings). With --check it reports each finding as it is found (flowtx scrub --check).

import type { FlowContext } from '../engine/context.js';
import type { FindingCount, Script } from '../engine/hooks.js';
import { describeOrigin } from '../model/origin.js';
import { Scrubber } from './context.js';
import { DEFAULT_SCRUB_KEY, placeholders, type PlaceholderStyle } from './placeholder.js';
import { scrubRequest, scrubResponse } from './scrub.js';
import { BUILTIN_DETECTORS, type TextDetector } from './text.js';
import { scrubWebSocket } from './websocket.js';

export interface ScrubOptions {
  key: string;
  style: PlaceholderStyle;
  /** --check: report every finding as found; the run writes no flows (flowtx scrub --check). */
  check: boolean;
}

/** `--key KEY` and `--style hmac|fixed`; throws a message naming the argument (never the key's value). */
export function parseScrubArgs(args: readonly string[]): ScrubOptions {
  const options: ScrubOptions = { key: DEFAULT_SCRUB_KEY, style: 'hmac', check: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = args[i + 1];
    if (arg === '--key' && value !== undefined && value !== '') {
      options.key = value;
      i++;
    } else if (arg === '--style' && (value === 'hmac' || value === 'fixed')) {
      options.style = value;
      i++;
    } else if (arg === '--check') {
      options.check = true;
    } else if (arg === '--key' || arg === '--style') {
      throw new Error(`${arg} expects ${arg === '--key' ? 'a key' : 'hmac or fixed'}`);
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; builtin:scrub takes --key KEY, --style hmac|fixed and --check`);
    }
  }
  return options;
}

interface Tally {
  values: number;
  flows: number;
  /** The flows counted already (weakly: a flow leaves with its batch). */
  seen: WeakSet<object>;
  /** Findings by input ('' for a flow from no file), then by `where` and `rule` joined by a NUL. */
  found: Map<string, Map<string, number>>;
}

const TALLY = 'scrub';

function tally(state: Record<string, unknown>): Tally {
  return (state[TALLY] ??= { values: 0, flows: 0, seen: new WeakSet(), found: new Map() }) as Tally;
}

/** What builtin:scrub found in one stream (its script state), by input, place and rule. */
export function scrubFindings(state: Readonly<Record<string, unknown>>): FindingCount[] {
  const counts = state[TALLY] as Tally | undefined;
  const out: FindingCount[] = [];
  for (const [input, places] of counts?.found ?? []) {
    for (const [key, count] of places) {
      // A rule has no NUL; a place (a JSON key) might.
      const cut = key.lastIndexOf('\0');
      out.push({ input: input === '' ? undefined : input, where: key.slice(0, cut), rule: key.slice(cut + 1), count });
    }
  }
  return out;
}

/** `in.flows: flow #3` for a flow read from a file, else its origin's description. */
function flowName(ctx: FlowContext): string {
  return ctx.origin.kind === 'file' ? `${ctx.origin.path}: flow #${ctx.origin.index}` : describeOrigin(ctx.origin);
}

/** The hook table of builtin:scrub; `detectors` run on every text beside the structure-aware policy. */
export function scrubScript(args: readonly string[], detectors: readonly TextDetector[] = BUILTIN_DETECTORS): Script {
  const { key, style, check } = parseScrubArgs(args);
  const scrubber = new Scrubber(placeholders(style, key), detectors);
  const account = (ctx: FlowContext, flow: object): void => {
    const findings = scrubber.take();
    if (findings.length === 0) return;
    const counts = tally(ctx.state);
    counts.values += findings.length;
    if (!counts.seen.has(flow)) {
      counts.seen.add(flow);
      counts.flows++;
    }
    const input = ctx.input ?? '';
    let places = counts.found.get(input);
    if (places === undefined) counts.found.set(input, (places = new Map()));
    for (const { where, rule } of findings) {
      const place = `${where}\0${rule}`;
      places.set(place, (places.get(place) ?? 0) + 1);
      if (check) ctx.log.warn('%s: %s (%s)', flowName(ctx), where, rule);
      else ctx.log.debug('flow #%s: redacted %s (%s)', ctx.index ?? '?', where, rule);
    }
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
      const { values, flows } = tally(ctx.state);
      ctx.log.info('%s %d value%s in %d flow%s', check ? 'found' : 'redacted', values, values === 1 ? '' : 's', flows, flows === 1 ? '' : 's');
    },
  };
}
