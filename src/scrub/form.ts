// Secrets in multipart/form-data bodies: field names are judged like keys, text parts are scrubbed by their
// own type, file parts with a binary type are left as they are. (Urlencoded forms, SAML's `SAMLResponse`,
// `SAMLRequest` and `Signature` fields included, are read as a query: url.ts scrubQuery.)

import type { Scrubber } from './context.js';
import { isSecretKey } from './keys.js';
import { isPlaceholder } from './placeholder.js';

/** Scrubs a text part by its media type (body.ts's dispatcher, passed in so form parts nest like bodies). */
export type ScrubPart = (text: string, mediaType: string | undefined, where: string) => string | undefined;

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

const TEXT_PART = /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|x-www-form-urlencoded|javascript))/i;

/**
 * A multipart body, given as a byte string (one character per byte, so binary parts survive), with its
 * secrets redacted; undefined when none was found.
 */
export function scrubMultipart(body: string, boundary: string, scrubber: Scrubber, where: string, scrubPart: ScrubPart): string | undefined {
  const delimiter = `--${boundary}`;
  const pieces = body.split(delimiter);
  let changed = false;
  // pieces[0] is the preamble, the last one the epilogue after the closing `--`: neither is a part.
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (piece.startsWith('--')) break;
    const headEnd = piece.indexOf('\r\n\r\n');
    if (headEnd < 0) continue;
    const head = piece.slice(0, headEnd);
    const contentEnd = piece.endsWith('\r\n') ? piece.length - 2 : piece.length;
    const content = piece.slice(headEnd + 4, contentEnd);
    const name = /\bname="([^"]*)"/i.exec(head)?.[1] ?? '';
    const type = /^content-type:\s*([^\r\n]*)/im.exec(head)?.[1];
    const isFile = /\bfilename\*?=/i.test(head);
    const at = `${where} part ${name}`;
    let scrubbed: string | undefined;
    if (isSecretKey(name, 'callback') && content !== '' && !isPlaceholder(content)) {
      scrubbed = scrubber.redact(Buffer.from(content, 'latin1').toString('utf8'));
      scrubber.report(at, 'key');
    } else if ((type === undefined && !isFile) || (type !== undefined && TEXT_PART.test(type))) {
      const text = scrubPart(Buffer.from(content, 'latin1').toString('utf8'), type, at);
      if (text !== undefined) scrubbed = Buffer.from(text, 'utf8').toString('latin1');
    }
    if (scrubbed === undefined) continue;
    pieces[i] = piece.slice(0, headEnd + 4) + scrubbed + piece.slice(contentEnd);
    changed = true;
  }
  return changed ? pieces.join(delimiter) : undefined;
}
