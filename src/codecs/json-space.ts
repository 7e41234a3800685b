// JSON's whitespace as bytes (RFC 8259 §2: space, tab, line feed, carriage return), for the scanners of the
// JSON formats, which look at bytes before any text is decoded.

export const isJsonSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
