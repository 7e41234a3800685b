// The cache of compiled TypeScript scripts, shared by the loader hooks (which fill it) and the script
// loader (which may run a cached script straight away).

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** How a TypeScript script is compiled: an ES module, with an inline source map naming the script. */
export function compileOptions(file: string) {
  return { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file, sourcemap: 'inline' } as const;
}

const require = createRequire(import.meta.url);

/**
 * Where a compiled script is kept, by everything its output depends on: starting esbuild costs more than
 * the rest of a short run, and CI runs the same script over and over. Null when no cache can be kept.
 */
export function cachePath(file: string, source: string, options: object): string | null {
  try {
    const esbuild = (require('esbuild/package.json') as { version: string }).version;
    const key = createHash('sha256').update(JSON.stringify([esbuild, file, options, source])).digest('hex');
    return join(process.env.FLOWTX_CACHE_DIR ?? join(tmpdir(), `flowtx-cache-${process.getuid?.() ?? 'user'}`), `${key}.mjs`);
  } catch {
    return null;
  }
}

export async function cached(path: string | null): Promise<string | undefined> {
  if (path === null) return undefined;
  try {
    // Code is run from here: only from a folder that is ours and that nobody else can write to.
    const folder = await stat(dirname(path));
    if (folder.uid !== process.getuid?.() || (folder.mode & 0o022) !== 0) return undefined;
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only costs the next run a compile. */
export async function keep(path: string | null, code: string): Promise<void> {
  if (path === null) return;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, code);
    await rename(temporary, path);
  } catch {
    // no cache
  }
}

