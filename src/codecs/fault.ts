// Where a codec's faults become the errors users see, placed at their record: a ShapeError (decoded data
// that is no flow) becomes a SchemaError, a FormatError (bytes that are not the format) a CodecError.

import { CodecError, SchemaError, type InputPosition } from '../errors.js';
import { ShapeError } from '../model/shape.js';

/**
 * Bytes that are not the format being read: a tnetstring cut wrong, a record version no migration reads.
 * Thrown where the record's place is not known; a CodecError once placed.
 */
export class FormatError extends Error {}

/** `cause` as the error that names the record at `position`; anything else (a bug, a placed error) as it is. */
export function placeFault(position: InputPosition, cause: unknown): unknown {
  if (cause instanceof ShapeError) return new SchemaError(position, cause.message, { cause });
  if (cause instanceof FormatError) return new CodecError(position, cause.message, { cause });
  return cause;
}

/** Runs `decode`, the decoding of the record at `position`, with its faults placed there. */
export function atRecord<T>(position: InputPosition, decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    throw placeFault(position, cause);
  }
}
