// Bodies in HAR: `text`, or base64 with `encoding: "base64"`. HAR holds the decoded body (content-encoding
// undone), as text when that is exact. The rule both ways: text is written only when flowtx's reader gets
// the same bytes back (valid UTF-8, or a Latin-1 charset); everything else is base64.

import { charsetOf, isLatin1Charset, isUtf8 } from '../../model/encoding.js';

export type BodyForm = 'text' | 'base64';

/**
 * mitmproxy's strutils.is_mostly_bin: looks at the first 100 bytes (cut at a UTF-8 character boundary);
 * more than 70 % printable ASCII is text, and so is UTF-8 with at most 5 % control bytes.
 */
export function isMostlyBinary(data: Uint8Array): boolean {
  if (data.byteLength === 0) return false;
  let sample = data;
  if (data.byteLength > 100) {
    let cut = 100;
    while (cut < 104 && cut < data.byteLength && (data[cut]! & 0xc0) === 0x80) cut++;
    sample = data.subarray(0, cut < 104 ? cut : 100);
  }
  let low = 0;
  let high = 0;
  for (const b of sample) {
    if (b < 9 || (b > 13 && b < 32)) low++;
    else if (b > 126) high++;
  }
  const ascii = sample.byteLength - low - high;
  if (ascii / sample.byteLength > 0.7) return false;
  return !((ascii + high) / sample.byteLength > 0.95 && isUtf8(sample));
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const utf8 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

/** The body as HAR text, or undefined when text would not give the same bytes back. */
function exactText(body: Uint8Array, contentType: string | undefined): string | undefined {
  const charset = charsetOf(contentType);
  if (charset !== undefined && isLatin1Charset(charset)) return latin1(body);
  if ((charset === undefined || charset === 'utf-8' || charset === 'utf8') && isUtf8(body)) return utf8(body);
  return undefined;
}

/**
 * The HAR form of a decoded body: `preferred` (the form the body was read in) when it is exact, else
 * mitmproxy's choice (base64 for mostly binary bodies), else base64 whenever text would not be exact.
 * `source` is the text the body was just made from by harTextToBytes, which spares decoding it again.
 */
export function bodyToHar(body: Uint8Array, contentType: string | undefined, preferred?: BodyForm, source?: string): { text: string; base64: boolean } {
  if (body.byteLength === 0) return { text: '', base64: preferred === 'base64' };
  if (preferred === 'text' && source !== undefined) return { text: source, base64: false };
  if (preferred !== 'base64' && (preferred === 'text' || !isMostlyBinary(body))) {
    const text = exactText(body, contentType);
    if (text !== undefined) return { text, base64: false };
  }
  return { text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'), base64: true };
}

/** Whether text has no lone surrogates (which UTF-8 cannot hold, so the text would not come back). */
export const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * HAR text → body bytes: Latin-1 when the Content-Type says so and every character fits, else UTF-8. When
 * the declared charset is one flowtx cannot encode, `charset` is the one to declare instead ("utf-8").
 */
export function harTextToBytes(text: string, contentType: string | undefined): { bytes: Uint8Array; charset?: string } {
  const charset = charsetOf(contentType);
  if (charset !== undefined && isLatin1Charset(charset) && /^[\x00-\xff]*$/.test(text)) {
    return { bytes: Buffer.from(text, 'latin1') };
  }
  const bytes = Buffer.from(text, 'utf8');
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return { bytes };
  return { bytes, charset: 'utf-8' };
}
