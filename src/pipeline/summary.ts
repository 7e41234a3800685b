// The record of a run that --json-summary prints (shape documented in docs/cli.md), per input and in total.

export type InputStatus = 'ok' | 'failed' | 'skipped';

export interface FlowCounts {
  read: number;
  written: number;
  dropped: number;
  emitted: number;
  /** Flows left out by --filter. */
  filtered: number;
}

/** What an output format could not carry, by name: how many flows lost it (see EncoderOptions.lose). */
export type Lost = Record<string, number>;

/** Adds the counts of `more` to `into`. */
export function addLost(into: Lost, more: Lost | undefined): void {
  for (const [what, flows] of Object.entries(more ?? {})) into[what] = (into[what] ?? 0) + flows;
}

export interface InputSummary {
  path: string;
  format: string | null;
  /** Flows read from this input. */
  flows: number;
  bytes: number;
  /** skipped: not read, or given up half-way, because a failure ended the run before it (--fail-fast, a script). */
  status: InputStatus;
  error: string | null;
  /** --out-dir only: this input's own output and what went into it. */
  output?: { path: string; format: string } | null;
  written?: number;
  dropped?: number;
  emitted?: number;
  filtered?: number;
  scriptErrors?: number;
  lost?: Lost;
  /** What a finding built-in (builtin:scrub) found in this input: by place and rule, never a value. */
  findings?: PlaceCount[];
}

/** `count` findings of `rule` at `where` (`response.body $.token`, `key`). */
export interface PlaceCount {
  where: string;
  rule: string;
  count: number;
}

/** The findings of one input, sorted by place and rule, from a stream's counts (which name their input). */
export function findingsOf(all: readonly { input: string | undefined; where: string; rule: string; count: number }[], input: string): PlaceCount[] {
  const merged = new Map<string, PlaceCount>();
  for (const f of all) {
    if (f.input !== input) continue;
    const key = `${f.where}\0${f.rule}`;
    const known = merged.get(key);
    if (known === undefined) merged.set(key, { where: f.where, rule: f.rule, count: f.count });
    else known.count += f.count;
  }
  return [...merged.values()].sort((a, b) => (a.where < b.where ? -1 : a.where > b.where ? 1 : a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

export interface Summary {
  ok: boolean;
  exitCode: number;
  inputs: InputSummary[];
  /** With --out-dir: the directory, and the format given by --to (null: each input's own). */
  output: { path: string; format: string | null } | null;
  files: { total: number; ok: number; failed: number; skipped: number };
  flows: FlowCounts;
  scriptErrors: number;
  errors: string[];
  /** The run was interrupted (Ctrl-C) while a hook ran. */
  interrupted?: boolean;
  /** flowtx's warnings: flows an output format could not hold, script export typos, … */
  warnings: string[];
  lost: Lost;
  /** When a built-in reports findings (builtin:scrub): how many values it found (or redacted) in all inputs. */
  findings?: number;
  durationMs: number;
}

/** What the summary's `errors` and `error` hold for a failure. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function inputSummary(path: string): InputSummary {
  return { path, format: null, flows: 0, bytes: 0, status: 'ok', error: null };
}

export function emptySummary(inputs: readonly string[], warnings: string[]): Summary {
  return {
    ok: true,
    exitCode: 0,
    inputs: inputs.map(inputSummary),
    output: null,
    files: { total: inputs.length, ok: 0, failed: 0, skipped: 0 },
    flows: { read: 0, written: 0, dropped: 0, emitted: 0, filtered: 0 },
    scriptErrors: 0,
    errors: [],
    warnings,
    lost: {},
    durationMs: 0,
  };
}

/** Fills in the per-status file counts from the inputs. */
export function countFiles(summary: Summary): void {
  const count = (status: InputStatus): number => summary.inputs.filter((i) => i.status === status).length;
  summary.files = { total: summary.inputs.length, ok: count('ok'), failed: count('failed'), skipped: count('skipped') };
}
