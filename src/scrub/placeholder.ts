// What a secret is replaced by. A keyed HMAC makes the placeholder deterministic (the same secret gives the
// same placeholder across files, runs and --jobs workers, so flows can still be correlated) without letting
// anyone without the key tell which secret it was; `fixed` writes a plain REDACTED.

import { createHmac } from 'node:crypto';

export type PlaceholderStyle = 'hmac' | 'fixed';

/**
 * The key used when none is given (`--scrub-key`, FLOWTX_SCRUB_KEY). It is public, so with it anyone can
 * confirm a guessed secret against a placeholder; give a key of your own before sharing scrubbed files.
 */
export const DEFAULT_SCRUB_KEY = 'flowtx-scrub-default-key';

/** What every placeholder starts with; the shape `isPlaceholder` recognises, so a second scrub keeps it. */
export const PLACEHOLDER = 'REDACTED';

const PLACEHOLDER_SHAPE = /^REDACTED(?:-[0-9a-f]{8})?$/;

/** Whether `value` is a placeholder already (scrubbing twice must equal scrubbing once). */
export function isPlaceholder(value: string): boolean {
  return value.length <= 17 && PLACEHOLDER_SHAPE.test(value);
}

/** Maps a secret to its placeholder: `REDACTED-3f9a1c0e` (the first 8 hex digits of HMAC-SHA256), or `REDACTED`. */
export type Redact = (secret: string) => string;

export function placeholders(style: PlaceholderStyle, key: string = DEFAULT_SCRUB_KEY): Redact {
  if (style === 'fixed') return () => PLACEHOLDER;
  // Secrets repeat (a session cookie on every request): one HMAC per distinct value. Bounded, so a capture of
  // many distinct secrets cannot grow it without limit.
  const memo = new Map<string, string>();
  return (secret) => {
    let placeholder = memo.get(secret);
    if (placeholder === undefined) {
      placeholder = `${PLACEHOLDER}-${createHmac('sha256', key).update(secret).digest('hex').slice(0, 8)}`;
      if (memo.size >= 4096) memo.clear();
      memo.set(secret, placeholder);
    }
    return placeholder;
  };
}
