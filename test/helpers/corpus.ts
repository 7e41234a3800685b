// Where the tests' corpus files come from. mitmproxy's own small test files are committed under
// test/fixtures/mitmproxy/ (MIT; see PROVENANCE.md there), so the migration chain and the HAR faults are
// tested in every clone. The large files (real captures, a few big mitmproxy files) are only in the shared
// corpus beside a developer's clone (../shared/corpus); a test that needs one is skipped where it is absent,
// and its name says why.

import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const COMMITTED = join(ROOT, 'test/fixtures');
/** The shared corpus: `mitmproxy/…` (mitmproxy's test data) and `real/…` (large real captures). */
export const SHARED_CORPUS = resolve(ROOT, '../shared/corpus');
export const haveSharedCorpus = existsSync(SHARED_CORPUS);
const ABSENT = '../shared/corpus is not beside this clone';
/** Appended to the name of a test that is skipped for want of the shared corpus. */
export const NO_SHARED_CORPUS = ` (skipped: ${ABSENT})`;
/** Appended to the name of a test that runs without some of its files (`what`): which, and why. */
export const leftOut = (what: string): string => ` (${what} skipped: ${ABSENT})`;

/** Where `path` (relative to the corpus, e.g. `mitmproxy/dumpfile-7.mitm`) is read from: the committed copy first. */
function locate(path: string): string | undefined {
  return [join(COMMITTED, path), join(SHARED_CORPUS, path)].find((p) => existsSync(p));
}

export const haveCorpusFile = (path: string): boolean => locate(path) !== undefined;

/** The file to read for corpus path `path`; throws where this clone has it in neither place. */
export function corpusFile(path: string): string {
  const found = locate(path);
  if (found === undefined) throw new Error(`${path} is neither in test/fixtures nor in ../shared/corpus`);
  return found;
}

/**
 * The corpus files in folder `dir` whose names end with `ext`, sorted, each resolved as corpusFile does: the
 * committed ones always, the others only where the shared corpus is there.
 */
export function corpusListing(dir: string, ext: string): string[] {
  const names = [join(COMMITTED, dir), join(SHARED_CORPUS, dir)].flatMap((d) => (existsSync(d) ? readdirSync(d) : []));
  return [...new Set(names.filter((n) => n.endsWith(ext)))].sort().map((n) => corpusFile(`${dir}/${n}`));
}

/** `paths` split into those this clone can read and those it cannot. */
export function byAvailability<T extends string>(paths: readonly T[]): { readable: T[]; missing: T[] } {
  return { readable: paths.filter(haveCorpusFile), missing: paths.filter((p) => !haveCorpusFile(p)) };
}

type Row = readonly [string, ...unknown[]];

/**
 * `test.each(rows)(name, fn)` for rows whose first element is a corpus path: rows whose file this clone has
 * run; the others are reported as skipped with the reason in their names, never silently dropped.
 */
export function eachCorpusFile<R extends Row>(rows: readonly R[]): (name: string, fn: (...row: R) => unknown, timeout?: number) => void {
  const readable = rows.filter((r) => haveCorpusFile(r[0]));
  const missing = rows.filter((r) => !haveCorpusFile(r[0]));
  return (name, fn, timeout) => {
    const run = fn as unknown as (...args: unknown[]) => Promise<void>;
    if (readable.length > 0) test.each(readable as unknown as unknown[][])(name, run, timeout);
    if (missing.length > 0) test.skip.each(missing as unknown as unknown[][])(`${name}${NO_SHARED_CORPUS}`, run);
  };
}
