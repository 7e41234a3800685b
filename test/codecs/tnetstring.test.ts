import { fc, test as prop } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { encodeToBuffer, encodeToPieces, Latin1Bytes, parse, PyFloat, pyFloatRepr, RawEntry, sameValue, type TValue } from '../../src/codecs/mitmproxy/tnetstring.js';
import { FormatError } from '../../src/codecs/fault.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const wire = (value: TValue): string => encodeToBuffer(value).toString('latin1');

// Exact bytes as mitmproxy writes them (spec §1.1); dicts are written in reverse insertion order.
const FORMAT_EXAMPLES: [string, TValue][] = [
  ['29:4:type;4:http;7:version;2:21#}', { version: 21, type: 'http' }],
  ['45:22:4:Host,11:example.com,]15:6:Accept,3:*/*,]]', [[b('Host'), b('example.com')], [b('Accept'), b('*/*')]]],
  ['57:9:timestamp;13:1700000000.25^3:msg;18:Connection killed.;}', { msg: 'Connection killed.', timestamp: 1700000000.25 }],
  ['47:1:1#4:true!2:hi,11:946681203.5^5:false!5:false!]', [1, true, b('hi'), 946681203.5, false, false]],
  ['0:~', null],
  ['0:,', new Uint8Array(0)],
  ['0:;', ''],
  ['0:]', []],
  ['0:}', {}],
  ['20:18446744073709551617#', 18446744073709551617n],
  ['2:-5#', -5],
  ['11:946681203.0^', new PyFloat(946681203)],
];

describe('tnetstring', () => {
  test.each(FORMAT_EXAMPLES)('%s ⇄ value', (bytes, value) => {
    expect(wire(value)).toBe(bytes);
    const floats = value instanceof PyFloat ? 'pyfloat' : 'number';
    expect(parse(b(bytes), 0, bytes.length, { floats })).toEqual(value);
  });

  test.each([
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [123.456, '123.456'],
    [946681203, '946681203.0'],
    [-0.5, '-0.5'],
    [0, '0.0'],
    [1.7e308, '1.7e+308'],
    [5e-324, '5e-324'],
    [Infinity, 'inf'],
    [NaN, 'nan'],
    [1234567890123456.7, '1234567890123456.8'],
  ])('pyFloatRepr(%d) = %s', (value, repr) => {
    expect(pyFloatRepr(value)).toBe(repr);
  });

  test.each([
    ['5:hello', 'not a tnetstring: invalid length prefix'],
    ['abc', 'not a tnetstring: missing or invalid length prefix'],
    ['5:hello?', 'not a tnetstring: invalid type tag "?"'],
    ['4:nope!', 'not a tnetstring: invalid boolean'],
    ['1:x~', 'not a tnetstring: invalid null'],
    ['2:ab#', 'not a tnetstring: invalid integer "ab"'],
    ['3:1:a}', 'not a tnetstring: invalid length prefix'],
    ['4:1:a,}', 'not a tnetstring: dict key without a value'],
    ['2:\xff\xfe;', 'not a tnetstring: text is not valid UTF-8'],
    ['0:~x', 'not a tnetstring: 1 bytes left over after the element'],
  ])('%j fails: %s', (bytes, message) => {
    expect(() => parse(b(bytes))).toThrow(new FormatError(message));
  });

  test("Python's lenient integers are accepted", () => {
    expect(parse(b('5: +1_0#'))).toBe(10);
  });

  const values: fc.Arbitrary<TValue> = fc.letrec<{ v: TValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.bigInt({ min: 2n ** 60n, max: 2n ** 90n }),
      fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
      fc.string(),
      fc.uint8Array({ maxLength: 20 }),
      fc.uint8Array({ minLength: 1024, maxLength: 1500 }),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.string().filter((k) => !/^\d+$/.test(k)), tie('v'), { maxKeys: 4 }),
    ),
  })).v;

  prop.prop([values])('round-trips any value', (value) => {
    const bytes = new Uint8Array(encodeToBuffer(value));
    const back = parse(bytes);
    // dicts come back in the order they are written (reversed), which is the same set of entries
    expect(back).toEqual(value);
  });

  prop.prop([values])('written in pieces, gives the same bytes, with long byte strings passed by reference', (value) => {
    const pieces = encodeToPieces(value);
    expect(Buffer.concat(pieces)).toEqual(encodeToBuffer(value));
    const long = (v: TValue): Uint8Array[] =>
      v instanceof Uint8Array ? (v.byteLength >= 1024 ? [v] : []) : Array.isArray(v) ? v.flatMap(long) : v !== null && typeof v === 'object' && !(v instanceof PyFloat) ? Object.values(v).flatMap(long) : [];
    for (const bytes of long(value)) expect(pieces).toContain(bytes);
  });

  prop.prop([values])('a value read back is the same value as the one written', (value) => {
    expect(sameValue(value, parse(new Uint8Array(encodeToBuffer(value)), 0, undefined, { floats: 'pyfloat' }))).toBe(true);
  });

  test.each<[string, TValue, TValue, boolean]>([
    ['latin1 text and its bytes', new Latin1Bytes('\xe9t\xe9'), b('\xe9t\xe9'), true],
    ['latin1 text and other bytes', new Latin1Bytes('abc'), b('abd'), false],
    ['an integral float and an integer', new PyFloat(5), 5, false],
    ['a non-integral number and the float read', 1.5, new PyFloat(1.5), true],
    ['-0 and 0', -0, 0, false],
    ['text and bytes', 'a', b('a'), false],
    ['a list of another length', [1, 2], [1], false],
    ['dicts in another key order', { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ['a dict with a key more', { a: 1 }, { a: 1, b: 2 }, false],
    ['bigints', 2n ** 70n, 2n ** 70n, true],
  ])('sameValue: %s', (_, fresh, read, same) => {
    expect(sameValue(fresh, read)).toBe(same);
  });

  test('a raw dict entry is written as it is, in place of its key and value', () => {
    expect(wire({ a: new RawEntry(b('1:b;1:x;')), c: 1 })).toBe('16:1:c;1:1#1:b;1:x;}');
  });

  prop.prop([fc.uint8Array({ maxLength: 200 })])('arbitrary bytes parse or raise FormatError', (bytes) => {
    try {
      parse(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError);
    }
  });
});
