// TypeScript scripts compiled by esbuild, and the cache that keeps them: shared by the script loader (which
// compiles a script and runs it straight away when it imports nothing) and the loader hooks (which compile
// the scripts that do import, and what they import). The cache folder's name is predictable, so nothing is
// read from or written into it unless it is ours alone.

import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How a TypeScript script is compiled: an ES module, with an inline source map naming the script. */
function compileOptions(file: string) {
  return { loader: 'ts', format: 'esm', target: 'node20', sourcefile: file, sourcemap: 'inline' } as const;
}

const require = createRequire(import.meta.url);

/** Where a compiled script is kept: a folder and the name of its file in it. */
interface Place {
  folder: string;
  file: string;
}

/**
 * Where a compiled script is kept, by everything its output depends on: starting esbuild costs more than
 * the rest of a short run, and CI runs the same script over and over. Null when no cache can be kept.
 */
function placeFor(file: string, source: string, options: object): Place | null {
  try {
    const esbuild = (require('esbuild/package.json') as { version: string }).version;
    const key = createHash('sha256').update(JSON.stringify([esbuild, file, options, source])).digest('hex');
    const folder = process.env.FLOWTX_CACHE_DIR ?? join(tmpdir(), `flowtx-cache-${process.getuid?.() ?? 'user'}`);
    return { folder, file: `${key}.mjs` };
  } catch {
    return null;
  }
}

// Opens never follow a symbolic link at the last step; O_NOFOLLOW is 0 where the platform has none.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Is `folder` one to run code from and write into? Its name is predictable (/tmp/flowtx-cache-0), so
 * another local user may have made it first, or a link by that name: it must be a real folder (not a link),
 * ours, and writable by nobody else, or they could put code there for us to run, or a link for us to write
 * through.
 */
async function trusted(folder: string): Promise<boolean> {
  try {
    const info = await lstat(folder);
    return info.isDirectory() && info.uid === process.getuid?.() && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

async function cached(place: Place | null): Promise<string | undefined> {
  if (place === null || !(await trusted(place.folder))) return undefined;
  let handle: FileHandle | undefined;
  try {
    handle = await open(join(place.folder, place.file), constants.O_RDONLY | NOFOLLOW);
    const info = await handle.stat();
    if (!info.isFile() || info.uid !== process.getuid?.()) return undefined;
    return await handle.readFile('utf8');
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/**
 * Keeps `code` at `place`; false when it could not (a cache that cannot be written only costs the next run a
 * compile). The folder is made 0700 and checked first; the file is written under a random name, opened
 * exclusively and without following links (mode 0600), then renamed into place, which replaces a link
 * rather than writing through it.
 */
async function keep(place: Place | null, code: string): Promise<boolean> {
  if (place === null) return false;
  const temporary = join(place.folder, `.${place.file}.${randomBytes(8).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  try {
    await mkdir(place.folder, { recursive: true, mode: 0o700 });
    if (!(await trusted(place.folder))) return false;
    handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o600);
    await handle.writeFile(code);
    await handle.close();
    handle = undefined;
    await rename(temporary, join(place.folder, place.file));
    return true;
  } catch {
    await handle?.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    return false;
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
  const place = placeFor(file, source, options);
  const path = place === null ? null : join(place.folder, place.file);
  const hit = await cached(place);
  if (hit !== undefined) return { code: hit, path };
  const { transform } = await import('esbuild');
  try {
    const { code } = await transform(source, options);
    // The path is handed on only when it holds this code: the script loader imports it from there.
    return { code, path: (await keep(place, code)) ? path : null };
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    if (first === undefined) throw err;
    const where = first.location ? `${first.location.line}:${first.location.column + 1}` : '0:0';
    throw new SyntaxError(`flowtx-syntax ${where} ${first.text}`);
  }
}
