// The inputs of one stream, read in order: open, detect the format, decode, count. Holds the one rule for
// faults in inputs: a fault marks its input failed and is reported once; the stream goes on with the next
// input (or stops, with --fail-fast); the complete flows read before it are written either way.

import { Cancelled, CodecError, InputError, IoError, isInputFault, type InputPosition } from '../errors.js';
import type { Codec, Envelope } from '../codecs/codec.js';
import { codecByExtension, codecNames, sniffCodec } from '../codecs/registry.js';
import type { Source } from '../io/sources.js';
import type { FlowRecord } from '../model/record.js';
import type { IoPort, Reporter } from './ports.js';
import { inputSummary, type InputSummary } from './summary.js';

export interface InputOptions {
  /** Stop at the first input fault instead of going on with the next input. */
  failFast: boolean;
  /** Nothing keeps a record past its batch: decoders may hand read chunks back to be read into again. */
  release: boolean;
  /** Polled per batch: true gives the stream up (another stream failed, --fail-fast with --jobs). */
  cancelled: () => boolean;
}

function detect(source: Source): Codec {
  const codec = sniffCodec(source.head) ?? codecByExtension(source.name);
  if (codec !== undefined) return codec;
  const shown = Buffer.from(source.head.subarray(0, 16)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  throw new CodecError(
    { origin: source.name, index: 0, offset: 0 },
    `unrecognised format (starts with "${shown}"); known formats: ${codecNames().join(', ')}`,
  );
}

/**
 * A read fault met while decoding (a bad gzip stream, a failing disk), saying where reading got to: the
 * codecs' faults name the flow they are in, but the bytes below them know no flows.
 */
function afterFlow(err: IoError, last: InputPosition | null): IoError {
  const where = last === null ? 'before the first complete flow' : `the last complete flow is #${last.index} at byte ${last.offset}`;
  return new IoError('read', err.path, `${err.reason}; ${where}`, { cause: err });
}

interface Opened {
  source: Source;
  codec: Codec;
}

export class Inputs {
  /** One per input, in order; filled in as the stream goes. */
  readonly summaries: InputSummary[];
  readonly #paths: readonly string[];
  readonly #io: IoPort;
  readonly #reporter: Reporter;
  readonly #options: InputOptions;
  readonly #opened = new Map<number, Opened | undefined>();
  readonly #reported = new WeakSet<object>();
  #stopped = false;
  /** The first input's envelope (a HAR's log fields), for an output that no flow brings one to. */
  envelope: Envelope | undefined;

  constructor(paths: readonly string[], io: IoPort, reporter: Reporter, options: InputOptions) {
    this.#paths = paths;
    this.summaries = paths.map(inputSummary);
    this.#io = io;
    this.#reporter = reporter;
    this.#options = options;
  }

  /** The format of the first input that can be read (opening inputs up to it); undefined if none can. */
  async firstCodec(): Promise<Codec | undefined> {
    for (let i = 0; i < this.#paths.length && !this.#stopped; i++) {
      const codec = (await this.#open(i))?.codec;
      if (codec !== undefined) return codec;
    }
    return undefined;
  }

  /** Every input's records, in order. A fault in one input is reported, then the next is read (see claim). */
  async *batches(): AsyncIterable<FlowRecord[]> {
    for (let i = 0; i < this.#paths.length && !this.#stopped; i++) {
      const input = await this.#open(i);
      if (input === undefined) continue;
      const { source, codec } = input;
      const summary = this.summaries[i]!;
      let last: InputPosition | null = null;
      try {
        const release = this.#options.release ? (chunk: Uint8Array) => source.release(chunk) : undefined;
        for await (const batch of codec.decode(source.chunks, source.name, release, (e) => (this.envelope ??= e))) {
          if (this.#options.cancelled()) throw new Cancelled();
          summary.flows += batch.length;
          this.#reporter.countFlows(batch.length);
          last = batch.at(-1)?.position ?? last;
          yield batch;
        }
      } catch (err) {
        if (!isInputFault(err)) throw err;
        this.#readFault(i, err instanceof IoError ? afterFlow(err, last) : err);
      }
    }
  }

  /**
   * Takes an input fault that surfaced outside reading (a hook read a lazily decoded part, or --fail-fast
   * rethrew it): marks its input failed, once. False when the fault names no input of this stream.
   */
  claim(err: InputError | IoError): boolean {
    if (this.#reported.has(err)) return true;
    const i = err instanceof InputError ? this.#paths.indexOf(err.position.origin) : -1;
    if (i < 0) return false;
    this.#fault(i, err);
    return true;
  }

  /** Inputs never reached (a failure ended the stream before them) are skipped. */
  finish(): void {
    for (const [i, summary] of this.summaries.entries()) if (!this.#opened.has(i)) summary.status = 'skipped';
  }

  async #open(i: number): Promise<Opened | undefined> {
    if (this.#opened.has(i)) return this.#opened.get(i);
    this.#opened.set(i, undefined);
    const summary = this.summaries[i]!;
    const count = (bytes: number): void => {
      summary.bytes += bytes;
      this.#reporter.countBytes(bytes);
    };
    try {
      const source = await this.#io.source(this.#paths[i]!, count);
      const opened = { source, codec: detect(source) };
      summary.format = opened.codec.name;
      this.#opened.set(i, opened);
      return opened;
    } catch (err) {
      if (!isInputFault(err)) throw err;
      this.#readFault(i, err);
      return undefined;
    }
  }

  #readFault(i: number, err: InputError | IoError): void {
    this.#fault(i, err);
    if (this.#options.failFast) {
      this.#stopped = true;
      throw err;
    }
  }

  #fault(i: number, err: InputError | IoError): void {
    if (this.#reported.has(err)) return;
    this.#reported.add(err);
    this.summaries[i]!.status = 'failed';
    this.summaries[i]!.error = err.message;
    this.#reporter.error(err);
  }
}
