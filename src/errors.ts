// The error types flowtx raises. A leaf module: every layer may import it, it imports nothing.
// Each class exists because a caller tells it apart (the CLI maps them to exit codes and policies).

export type FlowtxErrorCode =
  | 'FLOWTX_CODEC'
  | 'FLOWTX_SCHEMA'
  | 'FLOWTX_SCRIPT'
  | 'FLOWTX_USAGE'
  | 'FLOWTX_BODY'
  | 'FLOWTX_IO'
  | 'FLOWTX_CANCELLED'
  | 'FLOWTX_FIELD'
  | 'FLOWTX_INTERRUPTED';

export class FlowtxError extends Error {
  readonly code: FlowtxErrorCode;

  constructor(code: FlowtxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where in an input a fault was found: file, 0-based flow index, 0-based byte offset of that flow. */
export interface InputPosition {
  origin: string;
  index: number;
  offset: number;
}

export function describePosition(at: InputPosition): string {
  return `${at.origin}: flow #${at.index} at byte ${at.offset}`;
}

/** A fault found at a place in an input; the message starts with that place. */
export abstract class InputError extends FlowtxError {
  readonly position: InputPosition;
  readonly reason: string;

  protected constructor(code: FlowtxErrorCode, position: InputPosition, reason: string, options?: { cause?: unknown }) {
    super(code, `${describePosition(position)}: ${reason}`, options);
    this.position = position;
    this.reason = reason;
  }
}

/** Bytes that do not form a valid record of the format being read (truncated, garbage, bad version). */
export class CodecError extends InputError {
  constructor(position: InputPosition, reason: string, options?: { cause?: unknown }) {
    super('FLOWTX_CODEC', position, reason, options);
  }
}

/** A well-formed record whose content is not a flow the model can hold. */
export class SchemaError extends InputError {
  constructor(position: InputPosition, reason: string, options?: { cause?: unknown }) {
    super('FLOWTX_SCHEMA', position, reason, options);
  }
}

/** A user script failed to load or a hook threw. */
export class ScriptError extends FlowtxError {
  readonly script: string;
  readonly hook: string | undefined;

  constructor(script: string, hook: string | undefined, message: string, options?: { cause?: unknown }) {
    super('FLOWTX_SCRIPT', message, options);
    this.script = script;
    this.hook = hook;
  }
}

/** The command line asks for something impossible; exit code 2. */
export class UsageError extends FlowtxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FLOWTX_USAGE', message, options);
  }
}

/** A filter expression that does not parse; the message shows the expression with a caret under the fault. */
export class FilterSyntaxError extends UsageError {
  readonly expression: string;
  /** 1-based column of the fault. */
  readonly column: number;

  constructor(expression: string, index: number, reason: string, options?: { cause?: unknown }) {
    const shown = expression.replace(/[\t\n\r]/g, ' ');
    super(`invalid filter expression at column ${index + 1}: ${reason}\n  ${shown}\n  ${' '.repeat(index)}^`, options);
    this.expression = expression;
    this.column = index + 1;
  }
}

/** A message body could not be decoded (content-encoding or charset) or re-encoded. */
export class BodyError extends FlowtxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FLOWTX_BODY', message, options);
  }
}

/**
 * A body whose content-encoding would decode to more than the --max-body-size limit (model/body-limit.ts).
 * Its own class because the HAR writer tells it apart: it keeps such a body as stored and warns.
 */
export class BodyLimitError extends BodyError {
  readonly limit: number;
  /** What happened, after "body": "decodes to more than 256 MiB (gzip; …)". */
  readonly reason: string;

  /** `part` ("request", "response") names the body when the thrower knows it. */
  constructor(limit: number, reason: string, part?: string, options?: { cause?: unknown }) {
    super(`${part === undefined ? '' : `${part} `}body ${reason}`, options);
    this.limit = limit;
    this.reason = reason;
  }
}

/** "256 MiB", "1536 MiB", "4095 bytes": a size in the largest binary unit that gives it exactly. */
export function formatBytes(bytes: number): string {
  const units = ['TiB', 'GiB', 'MiB', 'KiB'];
  for (const [i, unit] of units.entries()) {
    const size = 1024 ** (units.length - i);
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** A file could not be read or written. A read fault is an input fault: flows read before it are kept. */
export class IoError extends FlowtxError {
  readonly side: 'read' | 'write';
  /** The file as the user named it (an output's target, never its temporary file). */
  readonly path: string;
  readonly reason: string;

  constructor(side: 'read' | 'write', path: string, reason: string, options?: { cause?: unknown }) {
    super('FLOWTX_IO', `cannot ${side} ${path}: ${reason}`, options);
    this.side = side;
    this.path = path;
    this.reason = reason;
  }
}

/** A stream given up because another one failed (--fail-fast with --jobs); its input counts as skipped. */
export class Cancelled extends FlowtxError {
  constructor() {
    super('FLOWTX_CANCELLED', 'cancelled');
  }
}

/** A value as a message shows it: strings quoted (and cut), numbers as JavaScript prints them (NaN, 200.5). */
function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') {
    const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name !== 'string' || name === 'Object' ? 'an object' : `a ${name}`;
  }
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** A script set a flow's field to a value outside its domain; raised by the setter, in the hook that set it. */
export class FieldError extends FlowtxError {
  readonly field: string;
  readonly expected: string;

  constructor(field: string, expected: string, value: unknown) {
    super('FLOWTX_FIELD', `${field} is ${showValue(value)}, expected ${expected}`);
    this.field = field;
    this.expected = expected;
  }
}

/**
 * The run was interrupted (Ctrl-C) while a hook ran: it ends like a cancellation, whatever the script-error
 * policy: no output, exit code 130.
 */
export class Interrupted extends FlowtxError {
  constructor(message = 'interrupted', options?: { cause?: unknown }) {
    super('FLOWTX_INTERRUPTED', message, options);
  }
}

/** Is the error a fault in an input (after which the complete flows before it are still written)? */
export function isInputFault(err: unknown): err is InputError | IoError {
  return err instanceof InputError || (err instanceof IoError && err.side === 'read');
}

/** Type guard that also works across module copies (scripts load flowtx through a loader). */
export function isFlowtxError(value: unknown): value is FlowtxError {
  return (
    value instanceof FlowtxError ||
    (value instanceof Error && String((value as Error & { code?: unknown }).code).startsWith('FLOWTX_'))
  );
}
