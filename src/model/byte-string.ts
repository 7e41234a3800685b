// The model holds header names and values, hosts and paths as byte strings (one character per byte,
// latin1), so any bytes a capture holds survive. These convert between them, bytes and text.

/** Bytes as a byte string: one character per byte, what byte patterns are matched against. */
export function binary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Whether every character of `s` is ASCII (a loop: several times faster than a regular expression on the
 *  short strings of headers, which every flow has dozens of). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A byte string read as UTF-8 text, as mitmproxy's str views of bytes fields and HAR's text are. */
export function byteText(s: string): string {
  return isAscii(s) ? s : Buffer.from(s, 'latin1').toString('utf8');
}

/** Text as a byte string of its UTF-8 bytes. */
export function textBytes(s: string): string {
  return isAscii(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}
