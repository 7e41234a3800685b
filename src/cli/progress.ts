// The stderr side of the command: log lines, warnings, errors, and a progress bar (files, flows, bytes,
// rate) redrawn at most four times a second when stderr is a terminal. Log lines clear the bar first so
// they stay readable.

import { isFlowtxError } from '../errors.js';
import type { LogLevel } from '../engine/context.js';
import { formatSize } from '../pipeline/listing.js';
import type { Reporter } from '../pipeline/ports.js';

/** The message a user sees: ours as they are, anything else (a bug) with its name; stacks only with --debug. */
export function describe(err: unknown, debug: boolean): string {
  if (debug && err instanceof Error && err.stack !== undefined) {
    const causes: string[] = [err.stack];
    for (let c = (err as Error).cause; c instanceof Error; c = c.cause) causes.push(`caused by: ${c.stack ?? c.message}`);
    return causes.join('\n');
  }
  if (isFlowtxError(err)) return err.message;
  if (err instanceof Error) return `internal error: ${err.name}: ${err.message} (run with --debug for the stack trace)`;
  return String(err);
}

/** Where the terminal writes: stderr, or what a test gives it. */
export interface TextOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export class Terminal implements Reporter {
  readonly #quiet: boolean;
  readonly #debug: boolean;
  readonly #err: TextOut;
  readonly #bar: boolean;
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;
  #started = 0;
  bytes = 0;
  flows = 0;
  /** Files finished, of `fileCount`; shown when a run has more than one. */
  files = 0;
  fileCount = 0;
  /** flowtx's own warnings (not scripts' log lines), for the summary. */
  readonly warnings: string[] = [];
  total: number | undefined;

  constructor(options: { quiet: boolean; debug: boolean; progress: boolean | undefined }, err: TextOut = process.stderr) {
    this.#quiet = options.quiet;
    this.#debug = options.debug;
    this.#err = err;
    this.#bar = options.progress ?? (err.isTTY === true && !options.quiet);
  }

  log(level: LogLevel, source: string, message: string): void {
    if (level === 'debug' && !this.#debug) return;
    if (level === 'info' && this.#quiet) return;
    const label = level === 'info' ? '' : `${level}: `;
    this.#print(`${source === 'flowtx' ? 'flowtx: ' : `[${source}] `}${label}${message}`);
  }

  warn(message: string): void {
    this.warnings.push(message);
    this.log('warn', 'flowtx', message);
  }

  error(err: unknown): void {
    this.errorText(describe(err, this.#debug));
  }

  /** An error described elsewhere (in a worker). */
  errorText(text: string): void {
    this.#print(`flowtx: error: ${text}`);
  }

  countBytes(bytes: number): void {
    this.bytes += bytes;
  }

  countFlows(flows: number): void {
    this.flows += flows;
  }

  #print(line: string): void {
    this.#clear();
    this.#err.write(`${line}\n`);
  }

  #clear(): void {
    if (this.#drawn) this.#err.write('\r\x1b[2K');
    this.#drawn = false;
  }

  startProgress(total: number | undefined): void {
    if (!this.#bar) return;
    this.total = total;
    this.#started = performance.now();
    this.#timer = setInterval(() => this.#draw(), 250);
    this.#timer.unref();
  }

  #draw(): void {
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? this.bytes / seconds : 0;
    let bar = '';
    if (this.total !== undefined && this.total > 0) {
      const fraction = Math.min(1, this.bytes / this.total);
      const width = 24;
      const filled = Math.round(fraction * width);
      bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  `;
    }
    const files = this.fileCount > 1 ? `${this.files}/${this.fileCount} files  ` : '';
    const line = `${bar}${files}${this.flows.toLocaleString('en-US')} flows  ${formatSize(this.bytes)}  ${formatSize(rate)}/s`;
    this.#err.write(`\r\x1b[2K${line}`);
    this.#drawn = true;
  }

  stopProgress(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }
}
