// HAR timestamps: parsed to the microsecond in any ISO 8601 spelling, written as Python's isoformat().

import { fc, test as prop } from '@fast-check/vitest';
import { expect, test } from 'vitest';
import { formatIsoTime, parseIsoTime } from '../../../src/codecs/har/iso-time.js';

test.each<[string, number | undefined]>([
  ['2023-07-25T10:58:25.577252+00:00', 1690282705.577252],
  ['2024-11-24T00:00:30.000Z', 1732406430],
  ['2024-11-24T02:00:30.5+02:00', 1732406430.5],
  ['2024-11-23T19:00:30-0500', 1732406430],
  ['2024-11-24T00:00:30', 1732406430],
  ['2024-11-24T00:00:30.123456789Z', 1732406430.123456789],
  ['yesterday', undefined],
  ['2024-13-45T99:00:00Z', undefined],
])('parses %s', (text, seconds) => {
  expect(parseIsoTime(text)).toBe(seconds);
});

test.each<[number, string]>([
  [1690282705.577252, '2023-07-25T10:58:25.577252+00:00'],
  [1732406430, '2024-11-24T00:00:30+00:00'],
  [1732406430.0000004, '2024-11-24T00:00:30+00:00'],
  [1732406430.9999996, '2024-11-24T00:00:31+00:00'],
  [0.5, '1970-01-01T00:00:00.500000+00:00'],
])('formats %d as Python does', (seconds, text) => {
  expect(formatIsoTime(seconds)).toBe(text);
});

prop.prop([fc.integer({ min: 0, max: 4_000_000_000 * 1e6 }).map((us) => us / 1e6)], { numRuns: 500 })('microsecond timestamps come back exactly', (seconds) => {
  expect(parseIsoTime(formatIsoTime(seconds))).toBe(seconds);
});
