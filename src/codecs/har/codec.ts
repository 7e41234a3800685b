// HAR 1.2 (HTTP Archive): read as a stream, one entry at a time (split.ts), whatever the key order of `log`;
// written as a stream, the envelope around entries written one at a time. An entry read and not changed is
// written back from its bytes; a changed one is rebuilt (flow-to-entry.ts) and what the HAR held beyond the
// model is put back (extra.har). User documentation in docs/formats.md.

import { BodyLimitError } from '../../errors.js';
import { Flow } from '../../model/flow.js';
import { describeOrigin } from '../../model/origin.js';
import { checkNesting } from '../../model/nesting.js';
import { FlowRecord } from '../../model/record.js';
import type { HttpFlowState } from '../../model/state.js';
import type { Codec, Encoder, EncoderOptions, Envelope, Release } from '../codec.js';
import { atRecord } from '../fault.js';
import { entryToState, type EntryContext } from './entry-to-flow.js';
import { flowToEntry, httpLosses, ServersSeen, type KeptBody } from './flow-to-entry.js';
import { applyPatch, isObject, type Json, type JsonObject, type JsonPatch } from './json-patch.js';
import type { SplitEntry } from './split.js';

const FORMAT = 'har';

/** Envelope parts of the records this codec read, so that pass-through needs no decoding. */
const contexts = new WeakMap<FlowRecord, EntryContext>();

function load(entry: SplitEntry, unchanged: () => boolean): HttpFlowState {
  return atRecord(entry.position, () => {
    checkNesting(entry.value, 'entry');
    return entryToState(entry.value, entry.context, unchanged);
  });
}

function record(entry: SplitEntry): FlowRecord {
  const r: FlowRecord = FlowRecord.read(entry.position, entry.raw, FORMAT, () => load(entry, () => r.pristine));
  contexts.set(r, entry.context);
  return r;
}

async function* decode(chunks: AsyncIterable<Uint8Array>, origin: string, release?: Release, envelope?: (e: Envelope) => void): AsyncIterable<FlowRecord[]> {
  // Loaded on first use: stream-json costs start-up time to runs that read no HAR.
  const { HarSplitter } = await import('./split.js');
  const splitter = new HarSplitter(origin);
  for await (const chunk of chunks) {
    const entries = splitter.push(chunk);
    if (entries.length > 0) yield entries.map(record);
    if (splitter.fault !== undefined) throw splitter.fault;
    // The splitter kept nothing of the chunk, and the entries sliced from it were consumed.
    release?.(chunk);
  }
  const last = splitter.end();
  if (last.length > 0) yield last.map(record);
  if (splitter.fault !== undefined) throw splitter.fault;
  const document = splitter.envelope();
  if (document !== undefined) envelope?.({ format: FORMAT, document });
}

const SEPARATOR = Buffer.from(',\n');
const json = (value: Json): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

/** The patch a flow read from a HAR carries (extra.har); parts of the wrong shape (a script's doing) are ignored. */
function patchOf(state: HttpFlowState): Partial<JsonPatch> {
  const har = state.extra?.har;
  if (!isObject(har)) return {};
  const patch: Partial<JsonPatch> = {};
  if (isObject(har.entry)) patch.entry = har.entry;
  if (isObject(har.derived)) patch.derived = har.derived;
  if (Array.isArray(har.absent)) patch.absent = har.absent.filter((p): p is string => typeof p === 'string');
  return patch;
}

/** The envelope parts a record's flow carries (extra.har.log, extra.har.root, extra.har.page). */
function contextOf(record: FlowRecord, state: HttpFlowState | undefined): EntryContext {
  if (state === undefined) return contexts.get(record) ?? {};
  const har = state.extra?.har;
  if (!isObject(har)) return {};
  const context: EntryContext = {};
  for (const key of ['log', 'root', 'page'] as const) if (isObject(har[key])) context[key] = har[key];
  return context;
}

/** A HAR's envelope handed over by the decoder, as the context of the flow it has none to travel with. */
function envelopeContext(envelope: Envelope | undefined): EntryContext {
  return envelope?.format === FORMAT && isObject(envelope.document) ? (envelope.document as EntryContext) : {};
}

/** `{…members, ` of a JSON object (empty for none), to write more members after. */
const opening = (o: JsonObject): string => {
  const members = JSON.stringify(o).slice(1, -1);
  return members === '' ? '' : `${members},`;
};

/**
 * The warning for a body over --max-body-size, written as stored (base64 of its encoded bytes, headers as
 * they are) instead of failing the run: a HAR holds every flow. Other bodies that do not decode are written
 * so silently, as mitmproxy's savehar writes them.
 */
function keptWarning(record: FlowRecord, options: EncoderOptions): KeptBody {
  return (part, why) => {
    if (why instanceof BodyLimitError) options.warn?.(`${describeOrigin(record.origin)}: ${part} body written to HAR as stored, not decoded: it ${why.reason}`);
  };
}

/**
 * Writes `{"log":{…,"entries":[` when the first flow arrives (its log fields and top-level members, from the
 * HAR it was read from, or flowtx's own), the entries, then `],"pages":[…]` and log fields met later: pages
 * come from the flows, so they are written after the entries (JSON does not order keys), one per page id;
 * top-level members met later close the document. With no flow at all, the envelope of a HAR input (given
 * to end()) is written as it was, with no entries.
 */
function encoder(options: EncoderOptions = {}): Encoder {
  const servers = new ServersSeen();
  let count = 0;
  let head: JsonObject | undefined;
  let root: JsonObject = {};
  const late: JsonObject = {};
  const lateRoot: JsonObject = {};
  const pages = new Map<string, Json>();
  /** A HAR read without `pages` is written without, unless a flow brings a page or a `pages` list (even []). */
  let pagesOptional = false;
  let pagesListed = false;
  const { name, version } = options.creator ?? { name: 'flowtx', version: '' };
  const creator: JsonObject = { name, version, comment: '' };

  const collect = (context: EntryContext): Uint8Array[] => {
    const log = context.log ?? {};
    if (Array.isArray(log.pages)) pagesListed = true;
    for (const page of [...(Array.isArray(log.pages) ? log.pages : []), ...(context.page ? [context.page] : [])]) {
      const key = isObject(page) && typeof page.id === 'string' ? page.id : JSON.stringify(page);
      if (!pages.has(key)) pages.set(key, page);
    }
    const fields = Object.entries(log).filter(([k]) => k !== 'pages' && k !== 'entries');
    if (head === undefined) {
      // A HAR's own log fields, even when its creator comes after the entries; flowtx's for other flows.
      pagesOptional = context.log !== undefined;
      head = context.log === undefined ? { version: '1.2', creator } : Object.fromEntries(fields);
      root = context.root ?? {};
      return [Buffer.from(`{${opening(root)}"log":{${opening(head)}"entries":[\n`, 'utf8')];
    }
    for (const [k, v] of fields) if (!Object.hasOwn(head, k) && !Object.hasOwn(late, k)) late[k] = v;
    for (const [k, v] of Object.entries(context.root ?? {})) if (!Object.hasOwn(root, k) && !Object.hasOwn(lateRoot, k)) lateRoot[k] = v;
    return [];
  };

  return {
    begin: () => [],
    encode(record) {
      let raw: Uint8Array;
      let state: HttpFlowState | undefined;
      if (record.pristine && record.format === FORMAT) {
        // Copied only once it reads as a flow, as the listing and every other output read it: an entry that
        // is JSON but no HTTP exchange stops HAR → HAR at the same entry, with the same fault (docs/formats.md).
        void record.flow;
        raw = record.raw!;
      } else {
        const s = Flow.state(record.flow);
        if (s.type !== 'http') {
          options.lose?.(`${s.type.toUpperCase()} flows (left out)`);
          return [];
        }
        state = s as HttpFlowState;
        for (const what of httpLosses(state)) options.lose?.(what);
        raw = json(applyPatch(flowToEntry(state, servers, undefined, keptWarning(record, options)), patchOf(state)));
      }
      const pieces = collect(contextOf(record, state));
      if (count++ > 0) pieces.push(SEPARATOR);
      pieces.push(raw);
      return pieces;
    },
    end(envelope) {
      const start = head === undefined ? collect(envelopeContext(envelope)) : [];
      for (const [key, value] of [['version', '1.2'], ['creator', creator]] as const) {
        if (!Object.hasOwn(head!, key) && !Object.hasOwn(late, key)) late[key] = value; // required by HAR 1.2
      }
      const tail = pagesOptional && !pagesListed && pages.size === 0 ? late : { pages: [...pages.values()], ...late };
      const rest = JSON.stringify(tail).slice(1, -1);
      const after = JSON.stringify(lateRoot).slice(1, -1);
      return [...start, Buffer.from(`\n]${rest === '' ? '' : `,${rest}`}}${after === '' ? '' : `,${after}`}}\n`, 'utf8')];
    },
  };
}

// `{"log":` or, in annotated captures, a custom member first (`{"_comment":`).
const SIGNATURE = /^(\ufeff|\xef\xbb\xbf)?\s*\{\s*"(log|_[^"\\]*)"\s*:/;

export const harCodec: Codec = {
  name: 'har',
  description: 'HTTP Archive 1.2 (browsers, Charles, Playwright, mitmproxy); read and written as a stream',
  extensions: ['har'],
  sniff: (head) => SIGNATURE.test(Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1')),
  decode,
  encoder,
};

