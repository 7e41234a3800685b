// The program's table of codecs and format detection: by content first (sniff), by file extension second.

import { UsageError } from '../errors.js';
import type { Codec } from './codec.js';
import { harCodec } from './har/codec.js';
import { mitmproxyCodec } from './mitmproxy/codec.js';
import { msgpackCodec } from './msgpack/codec.js';
import { ndjsonCodec } from './ndjson/codec.js';

export const codecs: readonly Codec[] = [mitmproxyCodec, msgpackCodec, ndjsonCodec, harCodec];

export function codecNames(): string[] {
  return codecs.map((c) => c.name);
}

/** By name, or by one of its extensions (`--to flows` means the mitmproxy codec). */
export function codecByName(name: string): Codec {
  const key = name.toLowerCase();
  const codec = codecs.find((c) => c.name === key) ?? codecs.find((c) => c.extensions.includes(key));
  if (codec === undefined) {
    throw new UsageError(`unknown format "${name}"; known formats: ${codecNames().join(', ')}`);
  }
  return codec;
}

/** The extension of `path` that names a format, ignoring a trailing ".gz". */
export function formatExtension(path: string): string | undefined {
  const base = path.replace(/\.gz$/i, '');
  const dot = base.lastIndexOf('.');
  return dot < 0 || dot < base.lastIndexOf('/') ? undefined : base.slice(dot + 1).toLowerCase();
}

export function codecByExtension(path: string): Codec | undefined {
  const ext = formatExtension(path);
  return ext === undefined ? undefined : codecs.find((c) => c.extensions.includes(ext));
}

export function sniffCodec(head: Uint8Array): Codec | undefined {
  return codecs.find((c) => c.sniff(head));
}
