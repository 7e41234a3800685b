// Turns the INPUT arguments into the list of files to read: plain files as given, directories recursed,
// glob patterns expanded (fast-glob). Each file carries its path relative to a base, which names its output
// under --out-dir and decides its --shard, so both are the same on every machine and in every checkout.

import { stat } from 'node:fs/promises';
import { dirname, posix, relative, resolve, sep } from 'node:path';
import { IoError } from '../errors.js';
import { codecByExtension, codecNames } from '../codecs/registry.js';
import { readError } from '../io/sources.js';

export interface InputFile {
  /** The path to open and to name in messages, as the user wrote it or as the expansion found it. */
  readonly path: string;
  /**
   * The path below its base, with "/" separators: below the directory given, below the static part of the
   * glob (`captures` for `captures/**\/*.flows`), or, for files named one by one, below the deepest
   * directory that holds all of them. "-" for stdin.
   */
  readonly relative: string;
  /** Bytes, for the progress bar; undefined for stdin. */
  readonly size: number | undefined;
}

type Expansion = { kind: 'file'; path: string; size: number | undefined } | { kind: 'found'; files: InputFile[] };

const toPosix = (path: string): string => path.split(sep).join('/');

/** Files flowtx can read, by extension (a `.gz` suffix is looked through): what directories and globs pick. */
function readable(path: string): boolean {
  return codecByExtension(path) !== undefined;
}

function byRelative(a: InputFile, b: InputFile): number {
  return a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0;
}

/** Readable files matching `pattern` (below `cwd` when given), with their sizes. */
async function globFiles(pattern: string, cwd?: string): Promise<{ path: string; size: number }[]> {
  const { default: fg } = await import('fast-glob');
  // Hidden files and folders are left out, as a shell's glob does; symbolic links are followed.
  const entries = await fg(pattern, { cwd, onlyFiles: true, dot: false, followSymbolicLinks: true, unique: true, stats: true });
  return entries.filter((e) => readable(e.path)).map((e) => ({ path: e.path, size: e.stats!.size }));
}

async function expandDirectory(dir: string): Promise<InputFile[]> {
  const found = await globFiles('**/*', dir);
  if (found.length === 0) throw new IoError('read', dir, `no file of a known format in this directory (${codecNames().join(', ')})`);
  return found.map(({ path, size }) => ({ path: posix.join(toPosix(dir), path), relative: path, size })).sort(byRelative);
}

/**
 * The pattern's static part: the folders before the first segment with a glob character (braces included),
 * the one base of every match. fast-glob's own bases are one per brace alternative: taking the first for
 * every match put `../x/a.flows` of `{b,../x}/*.flows` at `../../x/a.flows` below `b`, outside --out-dir.
 */
export function globBase(pattern: string): string {
  const special = pattern.search(/[*?[\]{}()!+@\\]/);
  const slash = pattern.lastIndexOf('/', special < 0 ? pattern.length : special);
  return slash < 0 ? '.' : pattern.slice(0, slash) || '/';
}

async function expandGlob(pattern: string): Promise<InputFile[]> {
  const base = globBase(pattern);
  const found = await globFiles(pattern);
  if (found.length === 0) throw new IoError('read', pattern, 'no file of a known format matches');
  return found.map(({ path, size }) => ({ path, relative: posix.relative(base, path), size })).sort(byRelative);
}

async function expandOne(spec: string): Promise<Expansion> {
  let info;
  try {
    info = await stat(spec);
  } catch (cause) {
    const { default: fg } = await import('fast-glob');
    if (fg.isDynamicPattern(spec)) return { kind: 'found', files: await expandGlob(spec) };
    throw readError(spec, cause);
  }
  return info.isDirectory() ? { kind: 'found', files: await expandDirectory(spec) } : { kind: 'file', path: spec, size: info.size };
}

/** The deepest directory holding every one of `paths`. */
export function commonParent(paths: readonly string[]): string {
  const dirs = paths.map((p) => dirname(resolve(p)).split(sep));
  let depth = dirs[0]?.length ?? 0;
  for (const parts of dirs) {
    let i = 0;
    while (i < depth && i < parts.length && parts[i] === dirs[0]![i]) i++;
    depth = i;
  }
  return dirs[0]?.slice(0, depth).join(sep) || sep;
}

/**
 * Expands INPUT arguments in the order given: a directory into its readable files (recursively, sorted by
 * relative path), a glob likewise, a file or "-" as itself. A file met twice is read once, where first met.
 * A missing file, or a directory or glob that yields no readable file, is an IoError: nothing has run yet.
 */
export async function expandInputs(specs: readonly string[]): Promise<InputFile[]> {
  const expansions: Expansion[] = [];
  for (const spec of specs) expansions.push(spec === '-' ? { kind: 'file', path: '-', size: undefined } : await expandOne(spec));
  const named = expansions.flatMap((e) => (e.kind === 'file' && e.path !== '-' ? [e.path] : []));
  const parent = commonParent(named);
  const seen = new Set<string>();
  const files: InputFile[] = [];
  for (const expansion of expansions) {
    const found =
      expansion.kind === 'found'
        ? expansion.files
        : [{ path: expansion.path, size: expansion.size, relative: expansion.path === '-' ? '-' : toPosix(relative(parent, resolve(expansion.path))) }];
    for (const file of found) {
      const key = file.path === '-' ? '-' : resolve(file.path);
      if (seen.has(key)) continue;
      seen.add(key);
      files.push(file);
    }
  }
  return files;
}
