// Placeholders: a keyed HMAC, the same for the same secret and key (across files, runs and workers), another
// for another key; the fixed style; and the shape a second scrub recognises and keeps.

import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { DEFAULT_SCRUB_KEY, isPlaceholder, placeholders } from '../../src/scrub/placeholder.js';

describe('placeholders', () => {
  test('REDACTED- and the first 8 hex digits of HMAC-SHA256(key, secret)', () => {
    const expected = createHmac('sha256', 'k1').update('hunter2').digest('hex').slice(0, 8);
    expect(placeholders('hmac', 'k1')('hunter2')).toBe(`REDACTED-${expected}`);
    expect(placeholders('hmac', 'k1')('hunter2')).toBe(placeholders('hmac', 'k1')('hunter2'));
  });

  test('another key or another secret gives another placeholder; the default key is the documented one', () => {
    expect(placeholders('hmac', 'k2')('hunter2')).not.toBe(placeholders('hmac', 'k1')('hunter2'));
    expect(placeholders('hmac', 'k1')('hunter3')).not.toBe(placeholders('hmac', 'k1')('hunter2'));
    expect(DEFAULT_SCRUB_KEY).toBe('flowtx-scrub-default-key');
    expect(placeholders('hmac')('x')).toBe(placeholders('hmac', DEFAULT_SCRUB_KEY)('x'));
  });

  test('the fixed style is REDACTED', () => {
    expect(placeholders('fixed')('hunter2')).toBe('REDACTED');
  });

  test.each([
    ['REDACTED', true],
    ['REDACTED-3f9a1c0e', true],
    ['REDACTED-3F9A1C0E', false],
    ['REDACTED-3f9a1c0', false],
    ['REDACTED-3f9a1c0e1', false],
    ['xREDACTED', false],
  ])('%s is a placeholder: %s', (value, expected) => {
    expect(isPlaceholder(value)).toBe(expected);
  });
});
