// --shard K/N: a deterministic share of the input files, so N machines (a CI matrix, a Kubernetes Indexed
// Job) split one capture store between them with no coordinator. A file belongs to one shard, chosen by a
// hash of its path relative to its base (see inputs.ts): not by its position in the list, not by machine.

import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Shard {
  /** 1-based, as in `--shard 1/4` … `--shard 4/4`. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard expects K/N with 1 ≤ K ≤ N (for example 1/4), got ${JSON.stringify(text)}`);
  }
  return { index, count };
}

/** The shard (1-based) that `relative` falls in: SHA-256 of its UTF-8 bytes, first 4 bytes big-endian, mod N. */
export function shardOf(relative: string, count: number): number {
  return (createHash('sha256').update(relative, 'utf8').digest().readUInt32BE(0) % count) + 1;
}

export function inShard(relative: string, shard: Shard): boolean {
  return shardOf(relative, shard.count) === shard.index;
}
