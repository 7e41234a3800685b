// Validation of HAR files against the HAR 1.2 JSON Schema (the har-schema package, draft-06, checked with
// ajv 8 and ajv-formats), plus the rules of the HAR 1.2 spec that the schema cannot express.

import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';

const require = createRequire(import.meta.url);
const draft06 = require('ajv/dist/refs/json-schema-draft-06.json') as object;
const schemas = require('har-schema') as Record<string, { $id: string }>;
// ajv-formats is CommonJS with a default export TypeScript cannot call through an ESM import.
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;

function compile(): (data: unknown) => ErrorObject[] {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  ajv.addMetaSchema(draft06);
  addFormats(ajv);
  // har-schema uses three keywords of its own. `min` is meant as `minimum` (`-1` for "does not apply",
  // `0` for the entry's total time), so it is checked as such; `optional` only restates what `required` says,
  // and `unique` (page ids) is checked across the file in specRules below.
  ajv.addKeyword({ keyword: 'min', type: 'number', schemaType: 'number', validate: (min: number, value: number) => value >= min });
  ajv.addKeyword({ keyword: 'optional', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'unique', schemaType: 'boolean' });
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  const validate = ajv.getSchema('har.json#');
  if (validate === undefined) throw new Error('har-schema has no har.json');
  return (data) => (validate(data) ? [] : (validate.errors ?? []));
}

const validate = compile();

// What the spec rules read; they run whether or not the schema passed, so every part may be missing.
interface Entry { pageref?: unknown; time?: unknown; timings?: Record<string, unknown>; response?: { content?: { text?: unknown; encoding?: unknown } } }
interface Har { log?: { pages?: unknown; entries?: unknown } }

// No repeated group: V8's regexp engine runs out of stack on one over a body of megabytes.
const base64 = (text: string): boolean => text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
/** Milliseconds to the microsecond, so that float noise does not make two reports of one problem differ. */
const ms = (n: number): number => Math.round(n * 1000) / 1000;
const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** Rules of the HAR 1.2 spec beyond the schema. */
function specRules(har: Har | null): string[] {
  const problems: string[] = [];
  const ids = new Set<unknown>();
  for (const page of list<{ id?: unknown } | null>(har?.log?.pages)) {
    if (ids.has(page?.id)) problems.push(`/log/pages: page id "${String(page?.id)}" is not unique`);
    ids.add(page?.id);
  }
  for (const [i, item] of list<Entry | null>(har?.log?.entries).entries()) {
    const entry = item ?? {};
    const at = `/log/entries/${i}`;
    if (entry.pageref !== undefined && !ids.has(entry.pageref)) problems.push(`${at}/pageref: no page has the id "${String(entry.pageref)}"`);
    const timings = entry.timings ?? {};
    // "send", "wait" and "receive" always apply; only the others may be -1.
    for (const phase of ['send', 'wait', 'receive']) {
      if ((timings[phase] as number) < 0) problems.push(`${at}/timings/${phase} is negative`);
    }
    // "time" is "the sum of all timings available (not including -1 values)", while "ssl" is "also included
    // in the connect field": writers read that either way (Chrome leaves ssl out of the sum, Playwright and
    // mitmproxy count it), so either sum is accepted.
    // Custom fields (Chrome's `_blocked_queueing`) start with an underscore and are not timings of the spec.
    const available = Object.entries(timings).filter(([phase, ms]) => !phase.startsWith('_') && typeof ms === 'number' && ms >= 0) as [string, number][];
    const all = available.reduce((total, [, ms]) => total + ms, 0);
    const withoutSsl = all - (available.find(([phase]) => phase === 'ssl')?.[1] ?? 0);
    if (typeof entry.time === 'number' && Math.abs(all - entry.time) > 0.01 && Math.abs(withoutSsl - entry.time) > 0.01) {
      problems.push(`${at}/time is ${ms(entry.time)}, the timings add up to ${ms(all)}`);
    }
    const { text, encoding } = entry.response?.content ?? {};
    if (encoding === 'base64' && typeof text === 'string' && !base64(text)) problems.push(`${at}/response/content/text is not base64`);
  }
  return problems;
}

/** Every way `har` breaks the HAR 1.2 schema or spec, one line each; empty when it is valid. */
export function harProblems(har: unknown): string[] {
  const schema = validate(har).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  return [...schema, ...specRules(har as Har | null)];
}
