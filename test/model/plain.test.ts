// plainView gives writers a flow state without objects decoded on first use (Proxies): the same keys in the
// same order and the same values, so what they write is unchanged, and the flow itself untouched.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual, types } from 'node:util';
import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import type { Codec } from '../../src/codecs/codec.js';
import { harCodec } from '../../src/codecs/har/codec.js';
import { lazyObject } from '../../src/codecs/har/lazy-object.js';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { copyState, Flow } from '../../src/model/flow.js';
import { plainView } from '../../src/model/plain.js';
import { stateValue } from '../helpers/arbitrary.js';
import { corpusFile, eachCorpusFile } from '../helpers/corpus.js';
import { chunked, collectRecords } from '../helpers/tflow.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every key path in listing order, with the path of each Proxy met on the way marked. */
function layout(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  const here = types.isProxy(value) ? [`proxy ${path}`] : [];
  return [...here, ...Object.keys(value).flatMap((key) => [`${path}/${key}`, ...layout((value as Record<string, unknown>)[key], `${path}/${key}`)])];
}

const FIXTURES: [string, Codec][] = [
  ['fixtures/sample.flows', mitmproxyCodec],
  ['fixtures/sample.har', harCodec],
];
const CORPUS_FILES: [string, Codec][] = [
  ['real/chromium-browse.flows', mitmproxyCodec],
  ['real/curl-mixed.flows', mitmproxyCodec],
  ['mitmproxy/dumpfile-7-websocket.mitm', mitmproxyCodec],
  ['mitmproxy/dumpfile-019.mitm', mitmproxyCodec],
  ['real/chromium-browse.playwright.har', harCodec],
];

async function checkEveryFlow(file: string, codec: Codec): Promise<void> {
  const records = await collectRecords(codec.decode(chunked(readFileSync(file), 65536), file));
  expect(records.length).toBeGreaterThan(0);
  for (const record of records) {
    const state = Flow.state(record.flow);
    const before = layout(state);
    const view = plainView(state);
    expect(layout(view).filter((p) => p.startsWith('proxy'))).toEqual([]);
    expect(layout(view)).toEqual(before.filter((p) => !p.startsWith('proxy')));
    expect(isDeepStrictEqual(view, copyState(state))).toBe(true); // toEqual takes minutes on large bodies
    expect(layout(state)).toEqual(before);
  }
}

const EVERY_FLOW = 'every flow read: no Proxy left, the keys in their order, the values, and the flow unchanged';

describe.each(FIXTURES)('%s', (file, codec) => {
  test(EVERY_FLOW, () => checkEveryFlow(join(ROOT, file), codec));
});

describe('corpus files', () => {
  eachCorpusFile(CORPUS_FILES)(`%s: ${EVERY_FLOW}`, (file, codec) => checkEveryFlow(corpusFile(file), codec));
});

prop.prop([stateValue])('plain data is handed back as it is, not copied', (value) => {
  expect(plainView(value)).toBe(value);
});

test('a "__proto__" key on the way to a Proxy stays a key of the copy, not its prototype', () => {
  const original = JSON.parse('{"__proto__": {"polluted": true}, "inner": null}') as Record<string, unknown>;
  original.inner = lazyObject(() => ({ a: 1 }));
  const view = plainView(original);
  expect(view).not.toBe(original);
  expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
  expect(Object.keys(view)).toEqual(['__proto__', 'inner']);
  expect(Object.getOwnPropertyDescriptor(view, '__proto__')?.value).toEqual({ polluted: true });
  expect(types.isProxy(view.inner)).toBe(false);
  expect(types.isProxy(original.inner)).toBe(true);
});
