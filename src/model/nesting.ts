// How deep decoded values may nest. A flow nests a handful of levels; free-form parts (metadata, a HAR's
// custom fields) can hold anything, and past some thousands of levels the recursive walks over a state
// (validation, encoders, copies) overflow the stack. Every reader refuses deeper values where it reads them,
// so the fault is a located one instead of "Maximum call stack size exceeded" wherever a walk happens to be.

import { ShapeError } from './shape.js';

/** The deepest nesting a reader accepts (mitmproxy's tnetstring reader has no limit; its flows nest < 10). */
export const MAX_NESTING = 1000;

export const NESTED_TOO_DEEPLY = `nested more than ${MAX_NESTING} levels deep`;

/** Throws a ShapeError when `value` (plain data: objects, arrays, scalars) nests deeper than MAX_NESTING. */
export function checkNesting(value: unknown, path: string): void {
  // Iterative, so that the check cannot overflow the stack it guards.
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop()!;
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) continue;
    if (depth >= MAX_NESTING) throw new ShapeError(path, `at most ${MAX_NESTING} levels`, 'deeper', `${path} is ${NESTED_TOO_DEEPLY}`);
    for (const item of Array.isArray(v) ? v : Object.values(v)) {
      if (item !== null && typeof item === 'object') {
        stack.push(item);
        depths.push(depth + 1);
      }
    }
  }
}
