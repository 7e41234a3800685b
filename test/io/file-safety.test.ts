// Outputs hold secrets and replace files users care about: they are created 0600 (an existing file's mode is
// kept, never widened), synced before and after the rename, never leave a temporary file behind (the
// registry's last-resort sweep, stale files of dead processes), and errors name the output, not the
// temporary file.

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { plainReason } from '../../src/io/errno.js';
import { fileSink } from '../../src/io/sinks.js';
import { removeTemporariesSync, sweepStale, temporaryPathFor, watchTemporaries } from '../../src/io/temporaries.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'flowtx-safety-'));
const mode = (path: string): number => statSync(path).mode & 0o777;

/** The id of a process that has ended (so no process has it, until the system reuses it). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8', timeout: 10_000 });
  return Number(r.stdout);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('modes', () => {
  // [what is at the target before, its mode, the output's mode]
  test.each([
    ['nothing', undefined, '600'],
    ['a 0600 capture', 0o600, '600'],
    ['a 0640 capture', 0o640, '640'],
    ['a 0644 file', 0o644, '644'],
    ['a 0400 file', 0o400, '400'],
  ])('over %s, a plain and a gzip output get the mode %s', async (_what, before, after) => {
    for (const name of ['out.ftx', 'out.ndjson.gz']) {
      const d = dir();
      const target = join(d, name);
      if (before !== undefined) {
        writeFileSync(target, 'old');
        chmodSync(target, before);
      }
      const sink = await fileSink(target);
      const [temporary] = readdirSync(d).filter((n) => n.endsWith('.tmp'));
      expect(mode(join(d, temporary!))).toBe(0o600); // from the first byte: never readable by others
      await sink.write([Buffer.from('new')]);
      await sink.commit();
      expect(mode(target).toString(8)).toBe(after);
    }
  });

  test('the umask cannot widen an output', async () => {
    const previous = process.umask(0);
    try {
      const target = join(dir(), 'out.ftx');
      const sink = await fileSink(target);
      await sink.commit();
      expect(mode(target)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });
});

describe('durability', () => {
  // The file's data reaches the disk before the rename (else a power loss may leave an empty file under the
  // target's name), and the folder after it (else the rename itself may be lost).
  test.each(['out.ftx', 'out.ftx.gz'])('%s: the file is synced before the rename, the folder after', async (name) => {
    const d = dir();
    const target = join(d, name);
    writeFileSync(target, 'old');
    const probe = await open(join(d, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void>; datasync: () => Promise<void> };
    await probe.close();
    const events: string[] = [];
    const record = (call: string) =>
      function (this: { fd: number }): Promise<void> {
        const what = statSync(`/proc/self/fd/${this.fd}`).isDirectory() ? 'folder' : 'file';
        events.push(`${call} ${what} (target ${readFileSync(target, 'utf8') === 'old' ? 'old' : 'new'})`);
        return Promise.resolve();
      };
    vi.spyOn(proto, 'sync').mockImplementation(record('sync'));
    vi.spyOn(proto, 'datasync').mockImplementation(record('sync'));
    const sink = await fileSink(target);
    await sink.write([Buffer.from('new')]);
    await sink.commit();
    expect(events).toEqual(['sync file (target old)', 'sync folder (target new)']);
  });
});

describe('temporary files', () => {
  test('every one created is announced live, then done; the last-resort sweep removes live ones', async () => {
    const d = dir();
    const heard: [string, boolean][] = [];
    watchTemporaries((path, live) => {
      if (path.startsWith(d)) heard.push([basename(path), live]);
    });
    const committed = await fileSink(join(d, 'a.ftx'));
    await committed.commit();
    const aborted = await fileSink(join(d, 'b.ftx'));
    await aborted.abort();
    const left = await fileSink(join(d, 'c.ftx'));
    await left.write([Buffer.alloc(2 * 1024 * 1024)]);
    expect(heard.map(([name, live]) => `${name.split('.')[1]} ${live}`)).toEqual(['a true', 'a false', 'b true', 'b false', 'c true']);
    removeTemporariesSync();
    expect(readdirSync(d)).toEqual(['a.ftx']);
  });

  // Temporary files left by a kill -9: the next sink into the folder removes those whose process is gone
  // on this machine, and nothing else.
  test('a sink removes stale temporary files of dead processes of this machine, and only those', async () => {
    const d = dir();
    const ours = basename(temporaryPathFor(join(d, 'x.ftx')));
    const host = /\.\d+-([0-9a-f]{8})-/.exec(ours)![1]!;
    const dead = deadPid();
    const sleeper = spawnSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8', timeout: 10_000 });
    const alive = Number(sleeper.stdout);
    try {
      const files: [name: string, stays: boolean][] = [
        [`.a.ftx.${dead}-${host}-0123abcd.tmp`, false],
        [`.b.ndjson.gz.${dead}-${host}-89abcdef.tmp`, false],
        [`.c.ftx.${alive}-${host}-0123abcd.tmp`, true], // its process runs
        [`.d.ftx.${dead}-0badc0de-0123abcd.tmp`, true], // another machine's (a shared folder)
        [`.e.ftx.${dead}-0123abcd.tmp`, true], // not a name flowtx gives
        [`e.ftx.${dead}-${host}-0123abcd.tmp`, true], // not hidden: not ours
        ['kept.ftx', true],
      ];
      for (const [name] of files) writeFileSync(join(d, name), 'x');
      if (process.getuid?.() === 0) {
        const theirs = `.f.ftx.${dead}-${host}-0123abcd.tmp`;
        writeFileSync(join(d, theirs), 'x');
        chownSync(join(d, theirs), 65534, 65534); // another user's: not ours to remove
        files.push([theirs, true]);
      }
      const sink = await fileSink(join(d, 'out.ftx'));
      await sink.commit();
      expect(readdirSync(d).sort()).toEqual([...files.filter(([, stays]) => stays).map(([name]) => name), 'out.ftx'].sort());
    } finally {
      process.kill(alive);
    }
  });

  test('a folder is swept once per thread, not once per output', () => {
    const d = dir();
    const dead = deadPid();
    const host = /\.\d+-([0-9a-f]{8})-/.exec(basename(temporaryPathFor(join(d, 'x'))))![1]!;
    sweepStale(d);
    const stale = join(d, `.a.ftx.${dead}-${host}-0123abcd.tmp`);
    writeFileSync(stale, 'x');
    sweepStale(d);
    expect(existsSync(stale)).toBe(true);
  });
});

describe('write errors name the output', () => {
  test('a missing folder', async () => {
    const target = join(dir(), 'missing', 'out.ftx');
    await expect(fileSink(target)).rejects.toThrow(new RegExp(`^cannot write ${target}: no such directory$`));
  });

  test('a full device', async (ctx) => {
    ctx.skip(!existsSync('/dev/full'), 'no /dev/full here');
    const sink = await fileSink('/dev/full');
    await expect((async () => {
      await sink.write([Buffer.alloc(2 * 1024 * 1024)]);
      await sink.commit();
    })()).rejects.toThrow(/^cannot write \/dev\/full: no space left on device$/);
  });

  // [the system's error, the words shown]: Node's message ends with the path it was given (the temporary file's).
  test.each([
    [{ code: 'ENOSPC', syscall: 'write', message: "ENOSPC: no space left on device, write '/d/.out.ftx.1-2-3.tmp'" }, 'no space left on device'],
    [{ code: 'EDQUOT', syscall: 'write', message: 'EDQUOT: disk quota exceeded, write' }, 'disk quota exceeded'],
    [{ code: 'EBADF', syscall: 'write', message: 'EBADF: bad file descriptor, write' }, 'EBADF: bad file descriptor'],
    [{ code: 'EXDEV', syscall: 'rename', message: "EXDEV: cross-device link not permitted, rename '/d/.out.ftx.1-2-3.tmp' -> '/d/out.ftx'" }, 'EXDEV: cross-device link not permitted'],
    [new Error('plain'), 'plain'],
  ])('%o: %s', (cause, words) => {
    expect(plainReason(cause)).toBe(words);
  });
});
