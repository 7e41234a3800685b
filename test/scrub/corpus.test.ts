// The proof on real captures: every secret planted in ../shared/corpus/real (listed in its MANIFEST.md) is gone
// from the scrub output, in every form it travels (raw bytes, decoded bodies, base64, URL-encoded), the canary
// survives as often as it was there, and the output still reads.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodedBody } from '../../src/model/http.js';
import type { Flow } from '../../src/model/flow.js';
import { Request, Response } from '../../src/model/message.js';
import { readFlows, tmp } from '../helpers/cli.js';
import { corpusFile, eachCorpusFile, haveCorpusFile, NO_SHARED_CORPUS } from '../helpers/corpus.js';
import { flowtxInProcess } from '../helpers/in-process.js';

const CANARY = 'keep-me-vis-canary-17';

/** The planted secrets: the rows of MANIFEST.md's "Planted secrets" table. */
function plantedSecrets(): string[] {
  const manifest = readFileSync(corpusFile('real/MANIFEST.md'), 'utf8');
  const table = manifest.slice(manifest.indexOf('## Planted secrets'), manifest.indexOf('Not a secret'));
  return [...table.matchAll(/^\| \w+ \| `([^`]+)` \|/gm)].map((m) => m[1]!);
}

/** Every text a flow carries, bodies decoded (their stored bytes too), as one string per part. */
function texts(flow: Flow): string[] {
  const out: string[] = [flow.request.url];
  for (const message of [flow.request, flow.response]) {
    if (message === null) continue;
    for (const [name, value] of message.headers) out.push(`${name}: ${value}`);
    for (const [name, value] of message.trailers ?? []) out.push(`${name}: ${value}`);
    const state = (message instanceof Request ? Request : Response).state(message as never);
    if (state.content !== null) out.push(Buffer.from(state.content).toString('latin1'), Buffer.from(decodedBody(state, 'fallback')!).toString('utf8'));
  }
  for (const message of flow.websocket?.messages ?? []) out.push(Buffer.from(message.content).toString('utf8'));
  return out;
}

/** The texts, plus every base64-looking run in them decoded (a Basic credential hides its password so). */
function haystack(file: string, flows: Flow[]): string {
  const parts = [readFileSync(file).toString('latin1'), ...flows.flatMap(texts)];
  const decoded = parts.flatMap((p) => [...p.matchAll(/[A-Za-z0-9+/_-]{12,}={0,2}/g)].map((m) => Buffer.from(m[0], 'base64').toString('latin1')));
  return [...parts, ...decoded].join('\n');
}

/** The forms a secret travels in: as is, URL-encoded, base64. */
const forms = (secret: string): string[] => [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];

const count = (text: string, part: string): number => text.split(part).length - 1;

const CAPTURES: [string][] = [['real/curl-mixed.flows'], ['real/chromium-browse.flows']];

describe('the real corpus, scrubbed', () => {
  if (!haveCorpusFile('real/MANIFEST.md')) {
    test(`planted secrets are gone${NO_SHARED_CORPUS}`, () => {});
    return;
  }
  const secrets = plantedSecrets();

  test('the manifest lists the planted secrets', () => {
    expect(secrets).toHaveLength(12);
  });

  eachCorpusFile(CAPTURES)('%s: every planted secret is gone in every form; the canary and every flow stay', async (path) => {
    const input = corpusFile(path);
    const output = join(tmp('flowtx-scrub-'), 'out.flows');
    const result = await flowtxInProcess(['scrub', '-q', input, output]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const before = await readFlows(input);
    const after = await readFlows(output);
    expect(after.map((f) => f.id)).toEqual(before.map((f) => f.id));
    const clean = haystack(output, after);
    const dirty = haystack(input, before);
    const present = secrets.filter((s) => forms(s).some((f) => dirty.includes(f)));
    expect(present.length).toBeGreaterThan(5);
    expect(secrets.flatMap((s) => forms(s).filter((f) => clean.includes(f)))).toEqual([]);
    expect(count(dirty, CANARY)).toBeGreaterThan(0);
    expect(count(clean, CANARY)).toBe(count(dirty, CANARY));
  });
});
