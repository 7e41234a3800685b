// Reads that a state object decoded on demand can answer from its source bytes, decoding and marking
// nothing. A filter over a large archive reads one header of every flow; decoding every header field of
// every flow to find it costs more than the rest of the filter. Callers fall back to the field itself.

/** What a message state decoded on demand answers cheaply; undefined means "read the field instead". */
export interface MessagePeek {
  /** The values of the header fields named `name` (given in lower case), in order, as latin1 text. */
  headerValues(name: string): string[] | undefined;
}

export const PEEK = Symbol('flowtx peek');

/** The peek of `message`, when it was decoded on demand and can answer one. */
export function peekOf(message: object): MessagePeek | undefined {
  return (message as { [PEEK]?: MessagePeek })[PEEK];
}
