// The temporary files outputs are written to before their rename, and the rule that none outlives its run:
// a sink removes its own on commit or abort; whatever ends a thread without either (process.exit() in a
// script, an uncaught fault, a second Ctrl-C) meets the synchronous sweep here; a kill -9 leaves files that
// the next run into the same folder removes, once their process is gone. Names files; moves no bytes.

import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * This machine, in temporary names: a folder may be shared between machines (--shard runs into one
 * --out-dir over NFS), and a process id says whether a file is stale only on the machine that wrote it.
 */
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** `.NAME.PID-HOST-RANDOM.tmp`: hidden, beside its target, and telling which process on which machine owns it. */
const TEMPORARY = /^\..+\.(\d+)-([0-9a-f]{8})-[0-9a-f]{8}\.tmp$/;

export function temporaryPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${HOST}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Hears of every temporary file this thread creates (true) and is done with (false). */
export type TemporaryListener = (path: string, live: boolean) => void;

const live = new Set<string>();
const listeners = new Set<TemporaryListener>();
const beforeSweep: (() => void)[] = [];
let sweepsOnExit = false;

function sweepOnExit(): void {
  if (sweepsOnExit) return;
  // 'exit' runs on process.exit(), on an uncaught exception and on a normal end, in every thread.
  process.once('exit', removeTemporariesSync);
  sweepsOnExit = true;
}

/** Registers a temporary file about to be created, so that it is removed however the thread ends. */
export function track(path: string): void {
  sweepOnExit();
  live.add(path);
  for (const listener of listeners) listener(path, true);
}

/** The file was renamed into place or removed. */
export function untrack(path: string): void {
  live.delete(path);
  for (const listener of listeners) listener(path, false);
}

/** Tells `listener` of temporary files (a worker thread relays its own to the main thread). */
export function watchTemporaries(listener: TemporaryListener): void {
  listeners.add(listener);
}

/**
 * Runs `collect` first whenever the registry is swept: the main thread registers there what its worker
 * threads announced but it has not read yet (their files, which a process exit leaves behind).
 */
export function beforeSweeping(collect: () => void): void {
  sweepOnExit();
  beforeSweep.push(collect);
}

/** The last resort: removes every temporary file still registered, synchronously (from a signal or 'exit'). */
export function removeTemporariesSync(): void {
  for (const collect of beforeSweep) collect();
  for (const path of live) {
    try {
      unlinkSync(path);
    } catch {
      // already renamed or removed
    }
  }
  live.clear();
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

const swept = new Set<string>();

/**
 * Removes the temporary files in `folder` that a process of this machine and user left behind when it
 * was killed (kill -9, a power loss): their process is gone. Once per folder per thread: a folder of ten
 * thousand outputs is read once, not once per output.
 */
export function sweepStale(folder: string): void {
  if (swept.has(folder)) return;
  swept.add(folder);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return; // not there yet: nothing stale
  }
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (match === null || match[2] !== HOST) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || running(pid)) continue;
    const path = join(folder, name);
    try {
      const info = lstatSync(path);
      if (info.isFile() && info.uid === process.getuid?.()) unlinkSync(path);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}
