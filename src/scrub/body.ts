// Secrets in message bodies. A body is decoded first (content-encoding through the model; its charset), read
// by its type (JSON, urlencoded and multipart forms, any other text), and set back through the model, which
// re-applies the original content-encoding and fixes Content-Length. Binary bodies are recognised by type and
// content (magic numbers, NUL bytes), never by entropy. A body that cannot be decoded is reported and replaced.

import { BodyError } from '../errors.js';
import { canEncode, charsetOf, decodeText, parseCodings } from '../model/encoding.js';
import type { Request, Response } from '../model/message.js';
import { binary } from '../model/byte-string.js';
import type { Scrubber } from './context.js';
import { boundaryOf, scrubMultipart } from './form.js';
import { scrubJson } from './json.js';
import { mayHoldKey } from './keys.js';
import { PLACEHOLDER } from './placeholder.js';
import { scrubText } from './text.js';
import { scrubQuery } from './url.js';

const BINARY_TYPE = /^(?:image|audio|video|font)\/|^application\/(?:octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-7z-compressed|wasm|protobuf|x-protobuf|grpc|vnd\.google\.protobuf|msgpack|x-msgpack|cbor|font-woff|x-font-\w+|vnd\.ms-fontobject)\b/;

// The first bytes of formats that are never text: PNG, JPEG, GIF, PDF, ZIP, gzip, WOFF/WOFF2, WebAssembly, RIFF (WebP).
const MAGIC: readonly number[][] = [
  [0x89, 0x50, 0x4e, 0x47], [0xff, 0xd8, 0xff], [0x47, 0x49, 0x46, 0x38], [0x25, 0x50, 0x44, 0x46], [0x50, 0x4b, 0x03, 0x04],
  [0x1f, 0x8b], [0x77, 0x4f, 0x46, 0x46], [0x77, 0x4f, 0x46, 0x32], [0x00, 0x61, 0x73, 0x6d], [0x52, 0x49, 0x46, 0x46],
];

/** Whether bytes are binary by their content: a known magic number, or a NUL byte in the first KiB. */
export function looksBinary(bytes: Uint8Array): boolean {
  if (MAGIC.some((magic) => magic.every((b, i) => bytes[i] === b))) return true;
  const head = bytes.subarray(0, 1024);
  return head.includes(0);
}

/** The media type of a Content-Type value, lower-cased, without parameters. */
const mediaTypeOf = (contentType: string | undefined): string | undefined => contentType?.split(';', 1)[0]!.trim().toLowerCase();

/**
 * Text of a body or a part with its secrets redacted, read by its media type; undefined when nothing was found.
 * JSON is read as JSON whatever its declared type (`text/plain` APIs, NDJSON), only when it may hold a secret
 * key or a URL: otherwise the shape detectors alone run over it, which is cheaper and finds the same shapes.
 */
export function scrubContent(text: string, mediaType: string | undefined, scrubber: Scrubber, where: string): string | undefined {
  if (mediaType === 'application/x-www-form-urlencoded') return scrubQuery(text, scrubber, where);
  const first = text.trimStart()[0];
  if ((first === '{' || first === '[') && (mayHoldKey(text) || text.includes('://'))) {
    const json = scrubJson(text, scrubber, where);
    if (json !== null) return json;
  }
  return scrubText(text, scrubber, where);
}

/** Redacts the secrets of a message's body in place (`where`: `request.body` or `response.body`). */
export function scrubBody(message: Request | Response, scrubber: Scrubber, where: string): void {
  const content = message.content;
  if (content === null || content.byteLength === 0) return;
  const contentType = message.headers.get('content-type');
  const mediaType = mediaTypeOf(contentType);
  if (mediaType !== undefined && BINARY_TYPE.test(mediaType)) return;
  let decoded: Uint8Array;
  try {
    decoded = message.decodedContent!;
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    // What it holds cannot be read, so it cannot be shown to be clean: replaced, and said so.
    scrubber.report(where, 'undecodable-body');
    message.headers.delete('content-encoding');
    message.content = Buffer.from(PLACEHOLDER);
    return;
  }
  const boundary = mediaType === 'multipart/form-data' ? boundaryOf(contentType!) : undefined;
  if (boundary === undefined && looksBinary(decoded)) return;
  if (boundary !== undefined) {
    // Read byte for byte (one character per byte): its file parts may be binary, and must survive unchanged.
    const parts = scrubMultipart(binary(decoded), boundary, scrubber, where, (part, type, at) => scrubContent(part, mediaTypeOf(type), scrubber, at));
    if (parts !== undefined) setDecoded(message, Buffer.from(parts, 'latin1'), scrubber, where);
    return;
  }
  const scrubbed = scrubContent(decodeText(decoded, charsetOf(contentType)), mediaType, scrubber, where);
  if (scrubbed !== undefined) setDecoded(message, scrubbed, scrubber, where);
}

/** Sets a scrubbed body back through the model (its content-encoding re-applied), saying when it cannot be. */
function setDecoded(message: Request | Response, body: Uint8Array | string, scrubber: Scrubber, where: string): void {
  // zstd (Node 20 cannot write it): the model stores the body plainly and drops Content-Encoding.
  if (!canEncode(parseCodings(message.headers.get('content-encoding')))) scrubber.report(where, 'stored-decoded');
  if (typeof body === 'string') message.text = body;
  else message.decodedContent = body;
}
