import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseArgs } from '../../src/cli/args.js';
import { parseSize } from '../../src/cli/size.js';

describe('--max-body-size', () => {
  test.each([
    ['0', 0],
    ['1048576', 1048576],
    ['64k', 64 * 1024],
    ['64KiB', 64 * 1024],
    ['256M', 256 * 1024 * 1024],
    ['256mb', 256 * 1024 * 1024],
    ['1G', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
  ])('%s is %i bytes', (text, bytes) => {
    expect(parseSize('--max-body-size', text)).toBe(bytes);
  });

  test.each(['', 'abc', '-1', '1X', '1e9'])('%j is a usage error', (text) => {
    expect(() => parseSize('--max-body-size', text)).toThrow(UsageError);
    expect(() => parseSize('--max-body-size', text)).toThrow(`--max-body-size expects a size such as 1048576, 64K, 256M or 1G, got ${JSON.stringify(text)}`);
  });

  test('the plan carries it; 256 MiB when not given', async () => {
    expect((await parseArgs(['in.flows', 'out.har', '--max-body-size', '1G'])).maxBodySize).toBe(1024 ** 3);
    expect((await parseArgs(['in.flows', 'out.har'])).maxBodySize).toBe(256 * 1024 * 1024);
  });
});
