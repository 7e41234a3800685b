// Module loader hooks, run by Node on its loader thread for user scripts:
//  - the bare specifier "flowtx" means the running flowtx, wherever the script lives;
//  - TypeScript files (.ts, .mts, .cts) are compiled to ES modules by esbuild (kept in a cache in the temporary
//    directory, or $FLOWTX_CACHE_DIR, by content), with inline source maps so
//    errors point at the script's own lines; relative imports written as "./x.js" or "./x" find "./x.ts".

import { readFile } from 'node:fs/promises';
import { cached, cachePath, compileOptions, keep } from './script-cache.js';
import { fileURLToPath } from 'node:url';

interface ResolveContext {
  parentURL?: string;
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;
type NextLoad = (url: string, context: { format?: string | null }) => Promise<LoadResult>;

const TS_FILE = /\.(ts|mts|cts)$/;
let target = '';

export function initialize(data: { target: string }): void {
  target = data.target;
}

function tsAlternatives(specifier: string): string[] {
  if (/\.(m|c)?js$/.test(specifier)) return [specifier.replace(/js$/, 'ts')];
  if (!/\.[a-z]+$/i.test(specifier)) return [`${specifier}.ts`, `${specifier}/index.ts`];
  return [];
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  if (specifier === 'flowtx') return { url: target, shortCircuit: true };
  try {
    return await next(specifier, context);
  } catch (err) {
    const fromTs = context.parentURL !== undefined && TS_FILE.test(new URL(context.parentURL).pathname);
    if (!fromTs || !specifier.startsWith('.')) throw err;
    for (const alternative of tsAlternatives(specifier)) {
      try {
        return await next(alternative, context);
      } catch {
        // try the next spelling
      }
    }
    throw err;
  }
}

export async function load(url: string, context: { format?: string | null }, next: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:') || !TS_FILE.test(new URL(url).pathname)) return next(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  const options = compileOptions(file);
  const path = cachePath(file, source, options);
  const hit = await cached(path);
  if (hit !== undefined) return { format: 'module', source: hit, shortCircuit: true };
  const { transform } = await import('esbuild');
  try {
    const result = await transform(source, options);
    await keep(path, result.code);
    return { format: 'module', source: result.code, shortCircuit: true };
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors?.[0];
    if (first === undefined) throw err;
    const where = first.location ? `${first.location.line}:${first.location.column + 1}` : '0:0';
    // Only the message survives the trip to the main thread, so the location travels inside it.
    throw new SyntaxError(`flowtx-syntax ${where} ${first.text}`);
  }
}
