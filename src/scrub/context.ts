// What every location's scrubber is given: how to redact, which shape detectors run on text, and where to
// report what was redacted. A finding names the place and the rule, never the value.

import type { Redact } from './placeholder.js';
import type { TextDetector } from './text.js';

/** One redaction: `{ where: 'request.header authorization', rule: 'authorization' }`. */
export interface Finding {
  /** The part and the place in it: `response.body $.data.token`, `request.url query api_key`. */
  readonly where: string;
  /** What made it a secret: a key rule (`key`, `cookie`, `authorization`, …) or a shape detector's rule. */
  readonly rule: string;
}

export class Scrubber {
  readonly redact: Redact;
  readonly detectors: readonly TextDetector[];
  /** Findings since the last take(). */
  #findings: Finding[] = [];

  constructor(redact: Redact, detectors: readonly TextDetector[]) {
    this.redact = redact;
    this.detectors = detectors;
  }

  report(where: string, rule: string): void {
    this.#findings.push({ where, rule });
  }

  /** A point to rewind() to: findings of a reading that is abandoned (text that turned out not to be JSON). */
  mark(): number {
    return this.#findings.length;
  }

  rewind(mark: number): void {
    this.#findings.length = mark;
  }

  /** The findings reported since the last call, and a fresh list for the next flow. */
  take(): Finding[] {
    const findings = this.#findings;
    this.#findings = [];
    return findings;
  }
}
