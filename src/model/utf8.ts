// The UTF-8 decoders every module shares (a TextDecoder costs more to make than most strings it decodes):
// strict where bad UTF-8 is a fault, lenient where a wrong byte must not stop the read.

/** Throws TypeError on bytes that are not UTF-8. */
export const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes that are not UTF-8 as U+FFFD. */
export const lenientUtf8 = new TextDecoder('utf-8');

/** A strict decoder of one's own, for text that arrives in pieces (`decode(bytes, { stream: true })` keeps state). */
export const streamingUtf8 = () => new TextDecoder('utf-8', { fatal: true });
