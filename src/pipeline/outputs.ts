// Where a stream's flows go: every output is a FlowSink. An encoded file (or stdout) in a format, the
// listing (a line or a JSON object per flow), or nothing (a run that only checks, a proxy that records none). A sink keeps nothing of a batch past write(): what it holds
// on to it copies, so the records' read chunks can be read into again.

import type { Codec, EncoderOptions, Envelope } from '../codecs/codec.js';
import type { Sink } from '../io/sinks.js';
import type { FlowRecord } from '../model/record.js';
import { flowtx } from '../version.js';
import { flowJson, flowLine } from './listing.js';
import type { Reporter } from './ports.js';
import type { Lost } from './summary.js';

export interface FlowSink {
  /** Writes a batch; keeps no reference to the records or their bytes once it returns. */
  write(batch: readonly FlowRecord[]): Promise<void>;
  /**
   * Finishes the output (a HAR's closing brackets) and makes it visible; `envelope` is the first input's,
   * which a format with one writes when no flow brought it.
   */
  close(envelope?: Envelope): Promise<void>;
  /** Gives the output up; an existing file at the target stays as it was. */
  abort(): Promise<void>;
  /** Flows written so far (a format may leave out a flow it cannot hold). */
  readonly written: number;
  /** What the format could not carry, by name: how many flows lost it. */
  readonly lost: Lost;
}

/** Flows encoded by `codec` into `out`. */
export async function encodedSink(
  codec: Codec,
  options: Pick<EncoderOptions, 'flowVersion'>,
  out: Sink,
  reporter: Reporter,
): Promise<FlowSink> {
  const lost: Lost = {};
  const lose = (what: string): void => {
    lost[what] = (lost[what] ?? 0) + 1;
  };
  // What flowtx writes names it as its maker (HAR's log.creator); codecs read no file to learn its version.
  const encoder = codec.encoder({ ...options, creator: flowtx(), warn: (m) => reporter.warn(m), lose });
  let written = 0;
  try {
    await out.write(encoder.begin());
  } catch (err) {
    await out.abort();
    throw err;
  }
  return {
    lost,
    get written() {
      return written;
    },
    async write(batch) {
      const pieces: Uint8Array[] = [];
      try {
        for (const record of batch) {
          const encoded = encoder.encode(record);
          if (encoded.length > 0) written++;
          pieces.push(...encoded);
        }
      } finally {
        // Also when a record fails to decode here (an input fault met lazily): the stream ends after every
        // complete flow before it, those of its own batch included.
        await out.write(pieces);
      }
    },
    async close(envelope) {
      await out.write(encoder.end(envelope));
      for (const [what, flows] of Object.entries(lost)) reporter.warn(`${codec.name} output cannot carry ${what}: ${flows} flow(s)`);
      await out.commit();
    },
    abort: () => out.abort(),
  };
}

/** One line (or one JSON object) per flow into `out`. What was listed stays listed: abort flushes too. */
export function listingSink(form: 'lines' | 'json', out: Sink): FlowSink {
  const line = form === 'json' ? flowJson : (record: FlowRecord) => flowLine(record.flow);
  let written = 0;
  return {
    lost: {},
    get written() {
      return written;
    },
    async write(batch) {
      let lines = '';
      try {
        for (const record of batch) {
          lines += `${line(record)}\n`;
          written++;
        }
      } finally {
        // Listed up to a record that fails to decode, as an encoded output is.
        if (lines !== '') await out.write([Buffer.from(lines)]);
      }
    },
    close: () => out.commit(),
    abort: () => out.commit(),
  };
}

/** Takes flows and keeps none: for runs whose result is what the scripts found, not the flows. */
export function nullSink(): FlowSink {
  let written = 0;
  return {
    lost: {},
    get written() {
      return written;
    },
    async write(batch) {
      written += batch.length;
    },
    close: async () => {},
    abort: async () => {},
  };
}
