// The Codec interface every format implements, and nothing else: a codec turns bytes into FlowRecords and
// FlowRecords into bytes. Codecs are pure: no files, no process, no knowledge of the engine.

import type { FlowRecord } from '../model/record.js';

/**
 * Takes back a read chunk the decoder has no more use for. The contract (when it is called, who copies
 * what) is io/chunks.ts's `Release`, declared again here because codecs import no io.
 */
export type Release = (chunk: Uint8Array) => void;

/**
 * What an input holds besides its flows (a HAR's `log` fields and top-level members), reported once it was
 * read whole: an output of the same format writes it when no flow brought one (an input with no flows).
 */
export interface Envelope {
  /** The codec that read it. */
  format: string;
  document: unknown;
}

export interface Encoder {
  /** Bytes that open the output (a file header or envelope); may be empty. */
  begin(): Uint8Array[];
  /** One record's bytes; a pristine record of the same format is returned as its original bytes. */
  encode(record: FlowRecord): Uint8Array[];
  /** Bytes that close the output; may be empty. `envelope`: the first input's, for formats that have one. */
  end(envelope?: Envelope): Uint8Array[];
}

export interface EncoderOptions {
  /** Reports what the format cannot carry (never silently lost). */
  warn?: (message: string) => void;
  /**
   * Counts one flow that loses `what` (a short name: "trailers", "TCP flows (left out)") because the output
   * format cannot carry it; the run adds up the counts per name and reports them.
   */
  lose?: (what: string) => void;
  /** The mitmproxy flow format version to write (mitmproxy codec only; others ignore it). */
  flowVersion?: number;
  /**
   * The program named as the output's maker (HAR's `log.creator`; others ignore it). The registry's codecs
   * name flowtx at its version; a codec alone, with no file to read the version from, leaves it empty.
   */
  creator?: { name: string; version: string };
}

export interface Codec {
  /** Short name used by --to and in messages: "ndjson", "msgpack", … */
  readonly name: string;
  readonly description: string;
  /** File extensions without the dot, the first being the one flowtx writes. */
  readonly extensions: readonly string[];
  /** True when `head` (the first bytes of an input, at most 64) looks like this format. */
  sniff(head: Uint8Array): boolean;
  /**
   * Streams records out of `chunks` as bytes arrive, in batches: every record completed by the bytes read so
   * far (one promise per chunk, not per flow, is what makes pass-through fast). Throws CodecError at the
   * first fault, after yielding every complete record before it.
   * `release`, when given, is handed each chunk once every record sliced out of it was consumed (see
   * Release); decoders may ignore it. `envelope`, when given, is handed what the input holds besides its
   * flows, once it was read whole (formats without an envelope never call it).
   */
  decode(chunks: AsyncIterable<Uint8Array>, origin: string, release?: Release, envelope?: (e: Envelope) => void): AsyncIterable<FlowRecord[]>;
  encoder(options?: EncoderOptions): Encoder;
}
