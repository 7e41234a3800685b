// Sizes on the command line (--max-body-size): a whole number of bytes, or with a binary unit suffix.

import { UsageError } from '../errors.js';

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** "1048576", "64k", "256M", "1.5GiB" (K, M, G, T are 1024-based, with or without "iB"/"B") → bytes. */
export function parseSize(option: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = match === null ? NaN : Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${option} expects a size such as 1048576, 64K, 256M or 1G, got ${JSON.stringify(text)}`);
  return bytes;
}
