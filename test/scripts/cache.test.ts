// The compiled-script cache lives in a folder whose name anyone can predict (/tmp/flowtx-cache-<uid>): it is
// written and read only when it is a real folder of ours that nobody else can write, through exclusive,
// no-follow opens. "Another user" is played by chown to nobody, so those cases need root.

import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { compiled } from '../../src/scripts/cache.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const PLANTED = 'export const planted = true;\n';

let dir: string;
let saved: string | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtx-cache-test-'));
  saved = process.env.FLOWTX_CACHE_DIR;
});

afterEach(() => {
  if (saved === undefined) delete process.env.FLOWTX_CACHE_DIR;
  else process.env.FLOWTX_CACHE_DIR = saved;
});

/** A script, and the name its compiled form gets in any cache folder (learnt from a first compile). */
async function scriptAndName(): Promise<{ script: string; name: string }> {
  const script = join(dir, 'tag.ts');
  writeFileSync(script, `export function request(_ctx: unknown, flow: any): void { flow.request.headers.set('x', '1'); }\n`);
  process.env.FLOWTX_CACHE_DIR = join(dir, 'probe');
  const { path } = await compiled(script);
  return { script, name: basename(path!) };
}

describe('the script cache', () => {
  test('makes its folder 0700 and its files 0600, and leaves no temporary file', async () => {
    const { script, name } = await scriptAndName();
    const folder = join(dir, 'made', 'here');
    process.env.FLOWTX_CACHE_DIR = folder;
    const { code, path } = await compiled(script);
    expect(path).toBe(join(folder, name));
    expect(lstatSync(folder).mode & 0o777).toBe(0o700);
    expect(lstatSync(path!).mode & 0o777).toBe(0o600);
    expect(readdirSync(folder)).toEqual([name]);
    expect(readFileSync(path!, 'utf8')).toBe(code);
    expect(await compiled(script)).toEqual({ code, path }); // the second run reads it back
  });

  // Each folder is one someone else may write: nothing is read from it (the planted code is not run) and
  // nothing is written into it; the script is compiled afresh and handed on without a path to import.
  test.for([
    ['writable by everyone', 0o777, undefined],
    ['writable by its group', 0o770, undefined],
    ["another user's", 0o700, NOBODY],
    ['a link to a folder of ours', 0o700, 'link'],
  ] as const)('refuses a cache folder %s', async ([, mode, owner], ctx) => {
    ctx.skip(owner === NOBODY && !asRoot, 'needs root to play another user');
    const { script, name } = await scriptAndName();
    const real = join(dir, 'cache');
    mkdirSync(real);
    chmodSync(real, mode);
    writeFileSync(join(real, name), PLANTED);
    if (owner === NOBODY) chownSync(real, NOBODY, NOBODY);
    const folder = owner === 'link' ? join(dir, 'linked') : real;
    if (owner === 'link') symlinkSync(real, folder);
    process.env.FLOWTX_CACHE_DIR = folder;
    const result = await compiled(script);
    expect(result.code).toContain('flow.request.headers.set("x", "1")');
    expect(result.path).toBeNull();
    expect(readdirSync(real)).toEqual([name]);
    expect(readFileSync(join(real, name), 'utf8')).toBe(PLANTED);
  });

  // The audit's case: another user made /tmp/flowtx-cache-0 first and put links at the names a root run
  // would write through; the files they point to must stay as they were.
  test.runIf(asRoot)("writes nothing through another user's links", async () => {
    const { script, name } = await scriptAndName();
    const folder = join(dir, 'flowtx-cache-0');
    mkdirSync(folder, { mode: 0o777 });
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    for (const planted of [name, `${name}.${process.pid}.tmp`]) symlinkSync(victim, join(folder, planted));
    chownSync(folder, NOBODY, NOBODY);
    process.env.FLOWTX_CACHE_DIR = folder;
    expect((await compiled(script)).path).toBeNull();
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });

  test('in a folder of ours, a link at the cache name is replaced, never read or written through', async () => {
    const { script, name } = await scriptAndName();
    const folder = join(dir, 'cache');
    mkdirSync(folder, { mode: 0o700 });
    const victim = join(dir, 'victim.mjs');
    writeFileSync(victim, PLANTED);
    symlinkSync(victim, join(folder, name));
    process.env.FLOWTX_CACHE_DIR = folder;
    const { code, path } = await compiled(script);
    expect(code).not.toBe(PLANTED);
    expect(readFileSync(victim, 'utf8')).toBe(PLANTED);
    expect(lstatSync(path!).isSymbolicLink()).toBe(false);
    expect(readFileSync(path!, 'utf8')).toBe(code);
  });

  test.runIf(asRoot)("a file of another user's in our folder is not read", async () => {
    const { script, name } = await scriptAndName();
    const folder = join(dir, 'cache');
    mkdirSync(folder, { mode: 0o700 });
    writeFileSync(join(folder, name), PLANTED);
    chownSync(join(folder, name), NOBODY, NOBODY);
    process.env.FLOWTX_CACHE_DIR = folder;
    const { code, path } = await compiled(script);
    expect(code).not.toBe(PLANTED);
    expect(readFileSync(path!, 'utf8')).toBe(code); // replaced by ours
  });
});
