// Runs the --out-dir files: on this thread one after another (--jobs 1), or spread over worker threads, each
// taking the next file when it is free. Each file's output depends on that file alone, so the outputs are
// the same for any --jobs; the summaries come back in input order.

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { beforeSweeping, track, untrack } from '../io/temporaries.js';
import { ScriptError } from '../errors.js';
import type { LoadedScript } from '../engine/hooks.js';
import type { IoPort } from '../pipeline/ports.js';
import type { StreamSettings } from '../pipeline/run.js';
import type { InputSummary } from '../pipeline/summary.js';
import { loadScript } from '../scripts/load.js';
import { runFile, type FileTask } from './outdir.js';
import type { Terminal } from './progress.js';
import type { Stop } from './signals.js';
import type { FromWorker, TemporaryNotice, ToWorker, WorkerSetup } from './worker.js';

export interface BatchOptions {
  settings: StreamSettings;
  /** -s values, as given: every worker loads the scripts itself. */
  scripts: string[];
  jobs: number;
  debug: boolean;
}

/**
 * The worker bundle sits beside the command's bundle (dist/flowtx.mjs); this module runs bundled there, as
 * dist/cli/batch.js, or from source (tests running the command in-process), which uses the built bundle.
 */
const WORKER = new URL(
  import.meta.url.endsWith('/cli/batch.ts') ? '../../dist/flowtx-worker.mjs' : import.meta.url.endsWith('/cli/batch.js') ? '../flowtx-worker.mjs' : './flowtx-worker.mjs',
  import.meta.url,
);

/**
 * The ports on which workers announce their temporary files. A port of its own, not the worker's messages:
 * it can be read synchronously (receiveMessageOnPort), so a second Ctrl-C, which exits before queued
 * messages are handled, still learns of every file to remove.
 */
const announcements = new Set<MessagePort>();

function register({ path, live }: TemporaryNotice): void {
  if (live) track(path);
  else untrack(path);
}

function readAnnouncements(port: MessagePort): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) register(m.message as TemporaryNotice);
}

beforeSweeping(() => {
  for (const port of announcements) readAnnouncements(port);
});

function skipped(task: FileTask): InputSummary {
  return { path: task.input, format: null, flows: 0, bytes: 0, status: 'skipped', error: null, output: null };
}

/** Runs the tasks; on this thread through `io`, on worker threads through their own file system. */
export async function runBatch(tasks: readonly FileTask[], options: BatchOptions, io: IoPort, terminal: Terminal, stop: Stop): Promise<InputSummary[]> {
  terminal.fileCount = tasks.length;
  return options.jobs <= 1 || tasks.length <= 1 ? runHere(tasks, options, io, terminal, stop) : runOnWorkers(tasks, options, terminal, stop);
}

async function runHere(tasks: readonly FileTask[], options: BatchOptions, io: IoPort, terminal: Terminal, stop: Stop): Promise<InputSummary[]> {
  const scripts: LoadedScript[] = [];
  for (const spec of options.scripts) scripts.push(await loadScript(spec, (m) => terminal.warn(m)));
  const results: InputSummary[] = [];
  let stopped = false;
  for (const task of tasks) {
    if (stopped || stop.requested) {
      results.push(skipped(task));
      continue;
    }
    const summary = await runFile(task, options.settings, scripts, io, terminal, () => stop.requested);
    terminal.files++;
    results.push(summary);
    stopped = summary.status === 'failed' && options.settings.failFast;
  }
  return results;
}

async function runOnWorkers(tasks: readonly FileTask[], options: BatchOptions, terminal: Terminal, stop: Stop): Promise<InputSummary[]> {
  const shared = new SharedArrayBuffer(4);
  const stopFlag = new Int32Array(shared);
  stop.onRequest(() => Atomics.store(stopFlag, 0, 1));
  const results: (InputSummary | undefined)[] = [];
  let next = 0;
  let loadFailure: string | undefined;
  let crash: unknown;
  let warned = false;

  const serve = (): Promise<void> =>
    new Promise((resolve) => {
      const { port1: heard, port2: temporaries } = new MessageChannel();
      heard.on('message', register);
      heard.unref();
      announcements.add(heard);
      const setup: WorkerSetup = { settings: options.settings, scripts: options.scripts, debug: options.debug, stop: shared, temporaries };
      const worker = new Worker(WORKER, { workerData: setup, transferList: [temporaries] });
      const send = (message: ToWorker): void => worker.postMessage(message);
      let current: number | undefined; // the task this worker runs
      const giveNext = (): void => {
        current = undefined;
        if (next < tasks.length && Atomics.load(stopFlag, 0) === 0) {
          const id = next++;
          current = id;
          send({ type: 'task', id, task: tasks[id]! });
        } else {
          send({ type: 'close' });
        }
      };
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            // Every worker loads the same scripts and finds the same export typos: say them once.
            if (!warned) for (const warning of message.warnings) terminal.warn(warning);
            warned = true;
            giveNext();
            break;
          case 'fatal':
            loadFailure ??= message.message;
            Atomics.store(stopFlag, 0, 1);
            break;
          case 'log':
            terminal.log(message.level, message.source, message.message);
            break;
          case 'warn':
            terminal.warn(message.message);
            break;
          case 'error':
            terminal.errorText(message.text);
            break;
          case 'count':
            terminal.countBytes(message.bytes);
            terminal.countFlows(message.flows);
            break;
          case 'result':
            results[message.id] = message.summary;
            terminal.files++;
            if (message.summary.status === 'failed' && options.settings.failFast) Atomics.store(stopFlag, 0, 1);
            giveNext();
            break;
        }
      });
      worker.on('error', (err) => {
        crash ??= err; // a flowtx bug inside the worker: stop everything, report it once all have ended
        Atomics.store(stopFlag, 0, 1);
      });
      worker.on('exit', (code) => {
        // flowtx never ends a worker with a task in hand: a script did (process.exit()). That input failed.
        if (current !== undefined && crash === undefined) {
          const task = tasks[current]!;
          const error = `a script ended the worker thread (exit code ${code}) while it ran ${task.input}; its output was not written`;
          terminal.errorText(error);
          results[current] = { ...skipped(task), status: 'failed', error };
        }
        readAnnouncements(heard);
        announcements.delete(heard);
        heard.close();
        resolve();
      });
    });

  await Promise.all(Array.from({ length: Math.min(options.jobs, tasks.length) }, serve));
  if (crash !== undefined) throw crash;
  // A script that fails to load fails the run, as on one thread (loadScript raises only ScriptError).
  if (loadFailure !== undefined) throw new ScriptError(options.scripts.join(' '), undefined, loadFailure);
  return tasks.map((task, i) => results[i] ?? skipped(task));
}
