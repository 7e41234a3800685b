// The decoded-body limit (--max-body-size): the most bytes undoing one body's content-encoding may produce.
// One setting per thread, set by pipeline/run.ts from each stream's StreamSettings (so --jobs workers, which
// get the settings as data, set theirs too). A setting and not a parameter because bodies are decoded
// lazily, deep in the model, by code flowtx does not call: a script's `flow.response.text` reaches
// encoding.ts through Flow and Message, which a per-run value would have to be threaded through, as would
// every flow a script creates.

import { constants } from 'node:buffer';

/** 256 MiB: ten times the largest body of the corpora flowtx was measured on, a fraction of a machine's memory. */
export const DEFAULT_MAX_BODY_SIZE = 256 * 1024 * 1024;

/** What 0 (no limit) means: the largest Buffer the platform makes, so zlib still fails cleanly beyond it. */
const PLATFORM_MAX = constants.MAX_LENGTH;

let limit = DEFAULT_MAX_BODY_SIZE;

/** Sets the limit for this thread: `bytes` ≥ 1, or 0 for none (the platform's largest buffer). */
export function setMaxBodySize(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`max body size must be a whole number ≥ 0, got ${bytes}`);
  limit = bytes === 0 ? PLATFORM_MAX : Math.min(bytes, PLATFORM_MAX);
}

/** The limit in bytes (never 0: "none" is the platform's largest buffer). */
export function maxBodySize(): number {
  return limit;
}
