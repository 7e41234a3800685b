// Runs the built command (bin/flowtx.js over dist/) as a user would: one process per call. The e2e tests and
// the interop tests share it, so that every spawn has the same environment, timeout and result shape.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { codecByExtension } from '../../src/codecs/registry.js';
import type { Flow } from '../../src/model/flow.js';
import { chunked, collectRecords } from './tflow.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/flowtx.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working directory; the project root when not given, where the docs' relative paths hold. */
  cwd?: string;
  input?: Buffer | string;
  env?: Record<string, string>;
}

/** Colour off, so that output compares as text; a minute at most, so that a hang fails instead of blocking. */
function run(command: string, args: string[], options: CliOptions): CliResult {
  const r = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: 'buffer',
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error !== undefined) throw r.error;
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** `flowtx ARGS…` */
export function flowtx(args: string[], options: CliOptions = {}): CliResult {
  return run(process.execPath, [BIN, ...args], options);
}

/** A shell command line in which `npx flowtx` means this build (as the docs write it), run with pipefail. */
export function shell(command: string, options: CliOptions = {}): CliResult {
  const line = command.replace(/^npx flowtx\b/, `node ${JSON.stringify(BIN)}`);
  return run('bash', ['-o', 'pipefail', '-c', line], options);
}

/** A fresh temporary directory. */
export const tmp = (prefix = 'flowtx-'): string => mkdtempSync(join(tmpdir(), prefix));

/** The flows in a file the command wrote (or an input), read in-process by the codec its name says, through a .gz. */
export async function readFlows(path: string): Promise<Flow[]> {
  const bytes = path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path);
  const codec = codecByExtension(path);
  if (codec === undefined) throw new Error(`${path}: not a flow file name`);
  return (await collectRecords(codec.decode(chunked(bytes, 65536), path))).map((r) => r.flow);
}
