// Loads the scripts named by -s: built-ins (builtin:NAME, see builtins.ts) from their table, user scripts
// from files: `.ts`/`.mts`/`.cts` compiled by esbuild (cache.ts; no build step), `.js`/`.mjs`/`.cjs`
// natively, through the loader hooks (../loader-hooks.ts) when they import. Checks their exports against the
// hook table and warns about near-misses ("respone" → "response").

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import Module, { register } from 'node:module';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ScriptError } from '../errors.js';
import * as api from '../index.js';
import { HOOK_NAMES, type HookName, type LoadedScript, type Script } from '../engine/hooks.js';
import { BUILTIN_PREFIX, loadBuiltin } from './builtins.js';
import { compiled } from './cache.js';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/** Splits `-s "scrub.ts --keep 'a b'"` like a shell: quotes group, backslash escapes. */
export function splitScriptSpec(spec: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < spec.length) word += spec[++i]!;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < spec.length) {
      word = (word ?? '') + spec[++i]!;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote !== null) throw new ScriptError(spec, undefined, `unterminated ${quote} quote in -s ${JSON.stringify(spec)}`);
  if (word !== null) words.push(word);
  return words;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The hook an exported name probably meant, if it is close to one. */
export function suggestHook(name: string): HookName | undefined {
  const lower = name.toLowerCase();
  let best: HookName | undefined;
  let bestDistance = Infinity;
  for (const hook of HOOK_NAMES) {
    const d = lower === hook ? 0 : distance(lower, hook);
    if (d < bestDistance) {
      best = hook;
      bestDistance = d;
    }
  }
  const close = bestDistance <= (best !== undefined && best.length > 6 ? 3 : 2);
  const looksLike = lower.startsWith('on') && HOOK_NAMES.includes(lower.slice(2) as HookName);
  if (looksLike) return lower.slice(2) as HookName;
  return close ? best : undefined;
}

/**
 * The directory holding the loader hooks and the API shims (dist/): this module runs either as
 * dist/scripts/load.js or bundled into dist/flowtx.mjs.
 */
const ROOT = new URL(/\/scripts\/load\.[jt]s$/.test(import.meta.url) ? '../' : './', import.meta.url);

let loaderRegistered = false;

/**
 * Installs, once, what scripts need: the loader hooks (TypeScript, `import … from 'flowtx'`), source maps in
 * stack traces (so errors name script lines), and `require('flowtx')` for CommonJS scripts. Both module
 * faces read the API from a global, so they hand scripts this very copy of the classes.
 */
function registerLoader(): void {
  if (loaderRegistered) return;
  loaderRegistered = true;
  (globalThis as Record<symbol, unknown>)[Symbol.for('flowtx.api')] = api;
  register(new URL('loader-hooks.js', ROOT), { data: { target: new URL('api.mjs', ROOT).href } });
  process.setSourceMapsEnabled(true);
  const cjsApi = fileURLToPath(new URL('api.cjs', ROOT));
  const moduleClass = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolveFilename = moduleClass._resolveFilename;
  moduleClass._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === 'flowtx' ? cjsApi : resolveFilename.call(this, request, ...rest);
  };
}

/** "line:column" of the first syntax error esbuild finds in a JavaScript file (V8 does not say where). */
async function locateJsSyntaxError(file: string): Promise<string | undefined> {
  const { transform } = await import('esbuild');
  try {
    await transform(await readFile(file, 'utf8'), { loader: 'js', format: 'esm', sourcefile: file });
  } catch (err) {
    const location = (err as { errors?: { location?: { line: number; column: number } | null }[] }).errors?.[0]?.location;
    if (location) return `${location.line}:${location.column + 1}`;
  }
  return undefined;
}

async function syntaxMessage(name: string, file: string, cause: unknown): Promise<string | undefined> {
  if (!(cause instanceof Error) || cause.name !== 'SyntaxError') return undefined;
  const compiled = /^flowtx-syntax (\d+):(\d+) (.*)$/s.exec(cause.message);
  if (compiled !== null) return `${name}:${compiled[1]}:${compiled[2]}: syntax error: ${compiled[3]}`;
  const at = JS_EXTENSIONS.has(extname(file)) ? await locateJsSyntaxError(file) : undefined;
  return `${name}${at ? `:${at}` : ''}: syntax error: ${cause.message}`;
}

/** Any import, require or import.meta: a word in a string or a comment too (such a script takes the hooks). */
const IMPORTS = /\b(import|require)\b/;

/**
 * The file to run for a script that imports nothing (type-only imports are gone once TypeScript is
 * compiled): the script itself, or its compiled form in the cache. It runs without the loader hooks, whose
 * thread costs a run about 100 ms and 13 MB. Undefined for a script that imports, which the hooks load.
 */
async function standalone(file: string): Promise<string | undefined> {
  if (JS_EXTENSIONS.has(extname(file))) return IMPORTS.test(await readFile(file, 'utf8')) ? undefined : file;
  const { code, path } = await compiled(file);
  const body = code.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '');
  return path === null || IMPORTS.test(body) ? undefined : path;
}

async function importScript(file: string): Promise<Record<string, unknown>> {
  const runnable = await standalone(file);
  if (runnable !== undefined) {
    process.setSourceMapsEnabled(true); // errors name a TypeScript script's own lines, through its inline source map
    return (await import(pathToFileURL(runnable).href)) as Record<string, unknown>;
  }
  registerLoader();
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function hookTable(name: string, members: Record<string, unknown>, warn: (message: string) => void): Script {
  const hooks: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(members)) {
    if (HOOK_NAMES.includes(key as HookName)) {
      if (typeof value !== 'function') {
        throw new ScriptError(name, key, `${name}: export "${key}" is a ${typeof value}, not a function`);
      }
      hooks[key] = value;
    } else if (key !== 'default' && !key.startsWith('_') && typeof value === 'function') {
      const meant = suggestHook(key);
      if (meant !== undefined) warn(`${name} exports \`${key}\`, which is not a hook; did you mean \`${meant}\`?`);
    }
  }
  return hooks as Script;
}

export async function loadScript(spec: string, warn: (message: string) => void, cwd = process.cwd()): Promise<LoadedScript> {
  const argv = splitScriptSpec(spec);
  const name = argv[0];
  if (name === undefined) throw new ScriptError(spec, undefined, 'empty -s value: expected a script path');
  if (name.startsWith(BUILTIN_PREFIX)) return loadBuiltin(name, argv);
  const file = resolve(cwd, name);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ScriptError(name, undefined, `script not found: ${name}`);
  }
  const ext = extname(file);
  if (!TS_EXTENSIONS.has(ext) && !JS_EXTENSIONS.has(ext)) {
    throw new ScriptError(name, undefined, `${name}: scripts must be .ts, .mts, .cts, .js, .mjs or .cjs files`);
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await importScript(file);
  } catch (cause) {
    const syntax = await syntaxMessage(name, file, cause);
    if (syntax !== undefined) throw new ScriptError(name, undefined, syntax, { cause });
    const thrown = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    throw new ScriptError(name, undefined, `${name}: failed to load: ${thrown}`, { cause });
  }
  // Named exports win; a default-exported object (or a CommonJS module.exports) adds its members.
  const members: Record<string, unknown> = {};
  const fallback = namespace.default;
  if (typeof fallback === 'object' && fallback !== null) {
    for (let o: object | null = fallback; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const key of Object.getOwnPropertyNames(o)) {
        if (key !== 'constructor' && !(key in members)) members[key] = (fallback as Record<string, unknown>)[key];
      }
    }
  }
  for (const [key, value] of Object.entries(namespace)) if (key !== 'default') members[key] = value;
  const hooks = hookTable(name, members, warn);
  if (Object.keys(hooks).length === 0) warn(`${name} exports no hooks (${HOOK_NAMES.join(', ')}); it will do nothing`);
  const target = typeof fallback === 'object' && fallback !== null ? fallback : undefined;
  return { name, file, argv, hooks, target, retainsFlows: true };
}
