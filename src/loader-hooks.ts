// Module loader hooks, run by Node on its loader thread for user scripts:
//  - the bare specifier "flowtx" means the running flowtx, wherever the script lives;
//  - TypeScript files (.ts, .mts, .cts) are compiled to ES modules by esbuild (kept in a cache in the temporary
//    directory, or $FLOWTX_CACHE_DIR, by content), with inline source maps so
//    errors point at the script's own lines; relative imports written as "./x.js" or "./x" find "./x.ts".

import { fileURLToPath } from 'node:url';
import { compiled } from './scripts/cache.js';

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
  return { format: 'module', source: (await compiled(fileURLToPath(url))).code, shortCircuit: true };
}
