// The layer rules of docs/architecture.md, enforced: data flows one way (model ← codecs, io, filter ←
// engine ← pipeline ← cli), so each layer imports only those listed for it. Reads every import in src/.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Layer → the layers it may import (itself always). A top-level file is a layer of its own. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'errors.ts': [],
  model: ['errors.ts'],
  codecs: ['model', 'errors.ts'],
  io: ['errors.ts'],
  filter: ['model', 'errors.ts'],
  engine: ['model', 'filter', 'errors.ts'],
  // Running user code: the loader hands scripts the public API (index.ts).
  scripts: ['engine', 'model', 'scrub', 'errors.ts', 'index.ts'],
  pipeline: ['engine', 'codecs', 'io', 'filter', 'model', 'errors.ts', 'version.ts'],
  // The scrubber is a built-in script over the model; it never sees a format or a file.
  scrub: ['engine', 'filter', 'model', 'errors.ts'],
  // Reserved: the live proxy feeds the dispatcher and records through flow sinks; it never reads files.
  proxy: ['engine', 'pipeline', 'filter', 'model', 'errors.ts'],
  cli: ['*'],
  'version.ts': [],
  'index.ts': ['engine', 'filter', 'model', 'errors.ts'],
  'api.mts': ['index.ts'],
  'api.cts': ['index.ts'],
  'loader-hooks.ts': ['scripts'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.[cm]?ts$/.test(entry.name) ? [path] : [];
  });
}

/** The folder below src/, or the top-level file (an import names a .ts file by its .js output). */
function layerOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0]!.replace(/\.([cm]?)js$/, '.$1ts');
}

/** Relative specifiers of static imports and re-exports, and of dynamic import() calls. */
function imports(code: string): string[] {
  const found: string[] = [];
  for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const specifier = match[1] ?? match[2]!;
    if (specifier.startsWith('.')) found.push(specifier);
  }
  return found;
}

const files = sources(SRC);
const edges = files.flatMap((file) =>
  imports(readFileSync(file, 'utf8')).map((specifier) => ({
    file: relative(SRC, file),
    from: layerOf(file),
    to: layerOf(resolve(dirname(file), specifier)),
    specifier,
  })),
);

describe('layers', () => {
  test('every folder and top-level file of src/ has a row in the table', () => {
    const layers = [...new Set(files.map(layerOf))];
    expect(layers.filter((layer) => !(layer in ALLOWED))).toEqual([]);
  });

  test('the scan finds the imports (a guard against a regex that matches nothing)', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual(expect.objectContaining({ from: 'pipeline', to: 'engine' }));
  });

  test('each import goes to a layer its layer may import', () => {
    const wrong = edges.filter(({ from, to }) => from !== to && !ALLOWED[from]!.includes('*') && !ALLOWED[from]!.includes(to));
    expect(wrong.map(({ file, specifier, to }) => `${file} imports ${specifier} (${to})`)).toEqual([]);
  });

  test('no import leaves src/', () => {
    expect(edges.filter(({ to }) => to === '..' || to.startsWith('..')).map((e) => `${e.file}: ${e.specifier}`)).toEqual([]);
  });
});
