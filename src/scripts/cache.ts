// TypeScript scripts compiled by esbuild, and the cache that keeps them: shared by the script loader (which
// compiles a script and runs it straight away when it imports nothing) and the loader hooks (which compile
// the scripts that do import, and what they import).

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** How a TypeScript script is compiled: an ES module, with an inline source map naming the script. */
function compileOptions(file: string) {
  return { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file, sourcemap: 'inline' } as const;
}

const require = createRequire(import.meta.url);

/**
 * Where a compiled script is kept, by everything its output depends on: starting esbuild costs more than
 * the rest of a short run, and CI runs the same script over and over. Null when no cache can be kept.
 */
function cachePath(file: string, source: string, options: object): string | null {
  try {
    const esbuild = (require('esbuild/package.json') as { version: string }).version;
    const key = createHash('sha256').update(JSON.stringify([esbuild, file, options, source])).digest('hex');
    return join(process.env.FLOWTX_CACHE_DIR ?? join(tmpdir(), `flowtx-cache-${process.getuid?.() ?? 'user'}`), `${key}.mjs`);
  } catch {
    return null;
  }
}

async function cached(path: string | null): Promise<string | undefined> {
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
async function keep(path: string | null, code: string): Promise<void> {
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

/**
 * The ES module code of a TypeScript script: from the cache, or compiled (and kept) now. A syntax error is
 * thrown as a SyntaxError whose message starts with `flowtx-syntax LINE:COLUMN`, since only the message of
 * an error survives the trip from the loader hooks' thread.
 */
export async function compiled(file: string): Promise<{ code: string; path: string | null }> {
  const source = await readFile(file, 'utf8');
  const options = compileOptions(file);
  const path = cachePath(file, source, options);
  const hit = await cached(path);
  if (hit !== undefined) return { code: hit, path };
  const { transform } = await import('esbuild');
  try {
    const { code } = await transform(source, options);
    await keep(path, code);
    return { code, path };
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    if (first === undefined) throw err;
    const where = first.location ? `${first.location.line}:${first.location.column + 1}` : '0:0';
    throw new SyntaxError(`flowtx-syntax ${where} ${first.text}`);
  }
}
