// Data that decoded but is not the shape a mapper expects: the one fault of a well-formed record that is no
// flow, said as "<path> is <value>, expected <what>". Codecs place it at its record (a SchemaError).

export class ShapeError extends Error {
  /**
   * `actual` is the value as shown in messages (see Show). `message` is for the few faults that read better
   * phrased otherwise ("unknown flow type …").
   */
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
    message = `${path} is ${actual}, expected ${expected}`,
  ) {
    super(message);
  }
}

/** How a value is shown in a message. */
export type Show = (value: unknown) => string;

/**
 * A container by its kind ("a list", `object`: "a dict" in mitmproxy's words, "an object" in JSON's), a
 * scalar as JSON: the containers of foreign files are too long to quote.
 */
export function showKind(object: string): Show {
  return (v) => {
    if (v === undefined) return 'missing';
    if (v instanceof Uint8Array) return 'bytes';
    if (Array.isArray(v)) return 'a list';
    if (v === null) return 'null';
    return typeof v === 'object' ? object : JSON.stringify(typeof v === 'bigint' ? String(v) : v);
  };
}

/** A value as JSON, whole: flowtx's own formats hold small values where a field is wrong. */
export const showJson: Show = (v) => {
  const shown = v instanceof Uint8Array ? 'bytes' : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}` : x));
  return shown === undefined ? 'missing' : shown;
};

/** `value` when `ok`, else the ShapeError for it. */
export function expectShape<T>(ok: boolean, value: unknown, path: string, expected: string, show: Show): T {
  if (!ok) throw new ShapeError(path, expected, show(value));
  return value as T;
}
