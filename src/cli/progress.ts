// The stderr side of the command: log lines, warnings, and a progress bar (flows, bytes, rate) redrawn at
// most four times a second when stderr is a terminal. Log lines clear the bar first so they stay readable.

import type { LogLevel } from '../engine/pipeline.js';
import { formatSize } from './listing.js';

export class Terminal {
  readonly #quiet: boolean;
  readonly #debug: boolean;
  readonly #bar: boolean;
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;
  #started = 0;
  bytes = 0;
  flows = 0;
  /** flowtx's own warnings (not scripts' log lines), for the summary. */
  readonly warnings: string[] = [];
  total: number | undefined;

  constructor(options: { quiet: boolean; debug: boolean; progress: boolean | undefined }) {
    this.#quiet = options.quiet;
    this.#debug = options.debug;
    this.#bar = options.progress ?? (process.stderr.isTTY === true && !options.quiet);
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

  #print(line: string): void {
    this.#clear();
    process.stderr.write(`${line}\n`);
  }

  #clear(): void {
    if (this.#drawn) process.stderr.write('\r\x1b[2K');
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
    const line = `${bar}${this.flows.toLocaleString('en-US')} flows  ${formatSize(this.bytes)}  ${formatSize(rate)}/s`;
    process.stderr.write(`\r\x1b[2K${line}`);
    this.#drawn = true;
  }

  stopProgress(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }
}
