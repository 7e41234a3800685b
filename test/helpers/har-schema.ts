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

interface Timings { [phase: string]: unknown }
interface Entry { pageref?: string; time: number; timings: Timings; response: { content: { text?: string; encoding?: string } } }
interface Har { log: { pages?: { id: string }[]; entries: Entry[] } }

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Rules of the HAR 1.2 spec beyond the schema; `har` has passed the schema. */
function specRules(har: Har): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const page of har.log.pages ?? []) {
    if (ids.has(page.id)) problems.push(`/log/pages: page id "${page.id}" is not unique`);
    ids.add(page.id);
  }
  for (const [i, entry] of har.log.entries.entries()) {
    const at = `/log/entries/${i}`;
    if (entry.pageref !== undefined && !ids.has(entry.pageref)) problems.push(`${at}/pageref: no page has the id "${entry.pageref}"`);
    // "send", "wait" and "receive" always apply; only the others may be -1.
    for (const phase of ['send', 'wait', 'receive']) {
      if ((entry.timings[phase] as number) < 0) problems.push(`${at}/timings/${phase} is negative`);
    }
    // "time": the sum of all timings available (not including -1 values); ssl is already part of connect.
    const sum = Object.entries(entry.timings)
      .filter(([phase, ms]) => phase !== 'ssl' && phase !== 'comment' && typeof ms === 'number' && ms >= 0)
      .reduce((total, [, ms]) => total + (ms as number), 0);
    if (Math.abs(sum - entry.time) > 0.01) problems.push(`${at}/time is ${entry.time}, the timings add up to ${sum}`);
    const { text, encoding } = entry.response.content;
    if (encoding === 'base64' && text !== undefined && !BASE64.test(text)) problems.push(`${at}/response/content/text is not base64`);
  }
  return problems;
}

/** Every way `har` breaks the HAR 1.2 schema or spec, one line each; empty when it is valid. */
export function harProblems(har: unknown): string[] {
  const errors = validate(har);
  if (errors.length > 0) return errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  return specRules(har as Har);
}
