// Filter expressions: the spec's worked examples over the corpus (current mitmproxy's answers), every
// operator on hand-built flows of every type, precedence, quoting, syntax errors with their columns, and
// what evaluating a filter touches.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { FilterSyntaxError, UsageError } from '../../src/errors.js';
import { compileFilter } from '../../src/filter/compile.js';
import { OPERATORS } from '../../src/filter/operators.js';
import { Flow } from '../../src/model/flow.js';
import type { FlowState, HttpFlowState } from '../../src/model/state.js';
import { corpusFile, haveCorpusFile, leftOut } from '../helpers/corpus.js';
import { chunked, collectRecords, tstate } from '../helpers/tflow.js';

// §7.5 of the format spec: flow indices each expression matches in each file, as current mitmproxy answers.
const FILES = {
  D: 'mitmproxy/flows/diff_data.mitm',
  E: 'mitmproxy/flows/error_log.mitm',
  W: 'mitmproxy/flows/websocket.mitm',
  I: 'mitmproxy/flows/incomplete_log.mitm',
  S: 'mitmproxy/flows/event_stream.mitm',
  F: 'mitmproxy/generated/v21-mitmproxy-13.0.0dev-fixture-flows.mitm',
} as const;
// diff_data.mitm (112 KB) is only in the shared corpus; the other files are committed.
const KEYS = (Object.keys(FILES) as (keyof typeof FILES)[]).filter((key) => haveCorpusFile(FILES[key]));
const MISSING = (Object.keys(FILES) as (keyof typeof FILES)[]).filter((key) => !KEYS.includes(key)).map((key) => FILES[key]);
type Expected = Partial<Record<keyof typeof FILES, number[] | 'all'>>;
const SPEC_EXAMPLES: [string, Expected][] = [
  ['~q', { E: [0], I: [0, 1, 2, 3], F: [1] }],
  ['~s & ~e', { S: [0], F: [2] }],
  ['~q & !~e', { I: [0, 1, 2, 3] }],
  ['~c 200', { D: [0, 1, 2, 3, 6], S: [0, 1], F: [0, 2] }],
  ['~m post', { D: [0, 3], E: [1], I: [2, 3] }],
  ['~d GOOGLE.com', { D: [3], I: [1, 2, 3] }],
  ['google\\.com', { D: [3], I: [1, 2, 3] }],
  ['~h "content-encoding: (gzip|br)"', { D: [0, 1, 3] }],
  ['~hq ^host:', { E: [0], W: [0, 1, 2], I: [0, 1, 2, 3] }],
  ['~ts image', { D: [1, 2, 6] }],
  ['~a', { D: [1, 2, 6] }],
  ['~tq urlencoded', { E: [1] }],
  ['~bs "Unknown api key"', { W: [0, 2] }],
  ['~b hello', { F: [3, 4, 5] }],
  ['~websocket', { W: [0, 1, 2], F: [3] }],
  ['!~http', { D: [4, 5], F: [4, 5, 6] }],
  ['( ~tcp | ~udp ) & ~b hello', { F: [4, 5] }],
  ['~marker default', { D: 'all', F: [0] }],
  ['~marked', { D: 'all', F: [0] }],
  ['~comment hello', { F: [0] }],
  ['~meta "k: v"', { F: [0] }],
  ['~dst ":443$"', { D: [0, 1, 2, 3, 6], E: [1], W: [0, 1, 2], I: [0, 1, 2, 3], S: [0, 1] }],
  ['~d google | ~d slack', { D: [0, 3, 6], I: [1, 2, 3] }],
  ['!(~m GET & ~d example)', { D: 'all', E: 'all', W: 'all', I: [1, 2, 3], S: 'all', F: [0, 1, 2, 4, 5, 6] }],
  ['~m GET ~d example | ~d google', { I: [0, 1], F: [3] }],
  // beyond the spec's table: UDP and DNS, which only current mitmproxy reads
  ['~udp', { F: [5] }],
  ['~dns & ~s', { F: [6] }],
  ['~u dns.google', { F: [6] }],
  ['~bq dns\\.google', { F: [6] }],
];

async function corpusFlows(): Promise<Record<string, Flow[]>> {
  const out: Record<string, Flow[]> = {};
  for (const key of KEYS) {
    const path = corpusFile(FILES[key]);
    const records = await collectRecords(mitmproxyCodec.decode(chunked(readFileSync(path), 65536), path));
    out[key] = records.map((r) => r.flow);
  }
  return out;
}

const without = MISSING.length > 0 ? leftOut(MISSING.join(', ')) : '';
describe(`the spec's examples over the corpus${without}`, async () => {
  const flows = await corpusFlows();
  test.each(SPEC_EXAMPLES)('%s', (expression, expected) => {
    const filter = compileFilter(expression);
    for (const key of KEYS) {
      const all = flows[key]!;
      const want = expected[key] === 'all' ? all.map((_, i) => i) : (expected[key] ?? []);
      expect([key, all.flatMap((f, i) => (filter(f) ? [i] : []))]).toEqual([key, want]);
    }
  });
});

// Hand-built flows, one per case an operator distinguishes.
const T = 1_700_000_000;

function http(name: string, change: (s: HttpFlowState) => void = () => {}): [string, FlowState] {
  const state = tstate({ id: name });
  change(state);
  return [name, state];
}

function stream(name: string, type: 'tcp' | 'udp'): [string, FlowState] {
  const { request: _q, response: _s, websocket: _w, ...base } = tstate({ id: name });
  const messages = [
    { fromClient: true, content: Buffer.from('PING client'), timestamp: T },
    { fromClient: false, content: Buffer.from('PONG server'), timestamp: T + 1 },
  ];
  return [name, { ...base, type, messages }];
}

function dns(name: string): [string, FlowState] {
  const { request: _q, response: _s, websocket: _w, ...base } = tstate({ id: name });
  const message = { id: 1, query: true, questions: [{ name: 'dns.example', type: 1, class_: 1 }], answers: [], authorities: [], additionals: [] };
  const answers = [
    { name: 'dns.example', type: 1, class_: 1, ttl: 60, data: new Uint8Array([10, 0, 0, 1]) },
    { name: 'dns.example', type: 28, class_: 1, ttl: 60, data: new Uint8Array([0x20, 1, 0x0d, 0xb8, ...new Array(11).fill(0), 1]) },
    { name: 'dns.example', type: 5, class_: 1, ttl: 60, data: new Uint8Array([5, ...Buffer.from('alias'), 7, ...Buffer.from('example'), 0]) },
  ];
  return [name, { ...base, type: 'dns', request: message, response: { ...message, query: false, answers } }];
}

const FLOWS: [string, FlowState][] = [
  http('plain'),
  http('post', (s) => {
    s.request.method = 'POST';
    s.request.path = '/login';
    s.request.headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    s.request.content = Buffer.from('user=alice&password=s3cret');
  }),
  http('pending', (s) => {
    s.response = null;
  }),
  http('failed', (s) => {
    s.response = null;
    s.error = { msg: 'Connection killed.', timestamp: T };
  }),
  http('h2', (s) => {
    s.request.httpVersion = 'HTTP/2.0';
    s.request.scheme = 'https';
    s.request.host = '10.0.0.7';
    s.request.port = 443;
    s.request.authority = 'api.example.org:8443';
    s.request.headers = [['user-agent', 'curl']];
    s.response!.statusCode = 404;
    s.response!.headers = [['content-type', 'image/png']];
    s.response!.content = Buffer.from('\x89PNG');
    s.serverConn.address = ['10.0.0.7', 443];
  }),
  http('ws', (s) => {
    s.response!.statusCode = 101;
    s.websocket = {
      messages: [
        { type: 1, fromClient: true, content: Buffer.from('{"token":"abc"}'), timestamp: T, dropped: false, injected: false },
        { type: 2, fromClient: false, content: Buffer.from([0xff, 0x00]), timestamp: T, dropped: false, injected: false },
      ],
      closedByClient: true, closeCode: 1000, closeReason: '', timestampEnd: T,
    };
  }),
  http('annotated', (s) => {
    s.marked = ':grapes:';
    s.comment = 'first line\nsecond LINE';
    s.metadata = { k: 'v', flag: true, n: 3, nested: { a: [1, 'x'] } };
    s.isReplay = 'response';
    s.clientConn.peername = ['192.168.1.5', 41000];
  }),
  http('css', (s) => {
    s.request.path = '/static/app.css';
    s.response!.headers = [['Content-Type', 'text/css; charset=utf-8'], ['Content-Encoding', 'gzip']];
    s.response!.content = gzipSync('body { color: RED }');
  }),
  http('brokengzip', (s) => {
    s.response!.headers = [['Content-Encoding', 'gzip']];
    s.response!.content = Buffer.from('plain text, not gzip');
  }),
  http('xgzip', (s) => {
    s.response!.headers = [['Content-Encoding', 'x-gzip']];
    s.response!.content = gzipSync('zipped under another name');
  }),
  http('upper', (s) => {
    s.response!.headers = [['content-encoding', 'GZIP'], ['Content-Encoding', 'br']];
    s.response!.content = gzipSync('two codings named');
  }),
  http('zlib', (s) => {
    s.response!.headers = [['Content-Encoding', 'GZip']];
    s.response!.content = deflateSync('a zlib stream under gzip');
  }),
  http('connect', (s) => {
    s.request.method = 'CONNECT';
    s.request.path = '';
    s.request.authority = 'secure.example.com:443';
    s.request.host = 'secure.example.com';
    s.request.port = 443;
    s.request.headers = [];
    s.response!.statusCode = 502;
  }),
  http('pymeta', (s) => {
    s.metadata = { b: new Uint8Array([0xff, 0x41, 0x27]), s: "it's", l: ['a\n', 1, true, null, new Uint8Array([0x78])], d: { x: 1.5, q: 'say "hi"' } };
  }),
  http('replayq', (s) => {
    s.isReplay = 'request';
    s.serverConn.address = null;
  }),
  stream('tcp', 'tcp'),
  stream('udp', 'udp'),
  dns('dns'),
];
const NAMES = FLOWS.map(([n]) => n);
const HTTP_NAMES = NAMES.filter((n) => !['tcp', 'udp', 'dns'].includes(n));

const but = (...excluded: string[]): string[] => NAMES.filter((n) => !excluded.includes(n));
const httpBut = (...excluded: string[]): string[] => HTTP_NAMES.filter((n) => !excluded.includes(n));

// Every operator, with the flows it matches.
const OPERATOR_CASES: [string, string[]][] = [
  ['~all', NAMES],
  ['~a', ['h2', 'css']],
  ['~b s3cret', ['post']],
  ['~b "color: red"', ['css']], // decoded gzip, case ignored
  ['~b "not gzip"', ['brokengzip']], // undecodable: searched as stored
  ['~b "zipped|two codings|zlib stream"', ['zlib']], // one coding, named alone (any case); zlib read as gzip
  ['~b token', ['ws']],
  ['~b "\\\\xff\\\\x00"', ['ws']],
  ['~b PING', ['tcp', 'udp']],
  ['~b "10\\\\.0\\\\.0\\\\.1\\r\\n2001:db8::1\\r\\nalias\\.example"', ['dns']],
  ['~bq token', ['ws']],
  ['~bs token', []],
  ['~bq pong', []],
  ['~bs pong', ['tcp', 'udp']],
  ['~bq "dns\\\\.example$"', ['dns']],
  ['~bs 2001:db8', ['dns']],
  ['~c 404', ['h2']],
  ['~c 0200', httpBut('pending', 'failed', 'h2', 'ws', 'connect')],
  ['~comment "^second line$"', ['annotated']],
  ['~d example.org', ['h2']],
  ['~d 10.0.0.7', ['h2']],
  ['~d EXAMPLE.COM', httpBut('h2')],
  ['~dns', ['dns']],
  ['~dst 10.0.0.7:443', ['h2']],
  ['~dst .', but('replayq')],
  ['~e', ['failed']],
  ['~h "^user-agent: curl\\\\r$"', ['h2']],
  ['~hq "^content-type:"', ['post']],
  ['~hs "^content-type:"', httpBut('pending', 'failed', 'brokengzip', 'xgzip', 'upper', 'zlib')],
  ['~http', HTTP_NAMES],
  ['~m post', ['post']],
  ['~m "^CONNECT$"', ['connect']],
  ['~marked', ['annotated']],
  ['~marker grapes', ['annotated']],
  ['~meta "^flag: True$"', ['annotated']],
  // Python's str() of the values: b"\xffA'" / it's / ['a\n', 1, True, None, b'x'] / {'x': 1.5, 'q': 'say "hi"'}
  ['~meta \'^b: b"\\\\\\\\xffA\\\'"$\'', ['pymeta']],
  ['~meta "^s: it\'s$"', ['pymeta']],
  ['~meta "^l: \\\\[\'a\\\\\\\\n\', 1, True, None, b\'x\'\\\\]$"', ['pymeta']],
  ['~meta \'^d: \\\\{\\\'x\\\': 1\\\\.5, \\\'q\\\': \\\'say "hi"\\\'\\\\}$\'', ['pymeta']],
  ['~meta "nested: \\\\{\'a\': \\\\[1, \'x\'\\\\]\\\\}"', ['annotated']],
  ['~q', ['pending', 'failed']],
  ['~replay', ['annotated', 'replayq']],
  ['~replayq', ['replayq']],
  ['~replays', ['annotated']],
  ['~s', [...httpBut('pending', 'failed'), 'dns']],
  ['~src 192\\.168\\.', ['annotated']],
  ['~t form', ['post']],
  ['~tcp', ['tcp']],
  ['~tq css', []],
  ['~ts css', ['css']],
  ['~u "^https://api\\\\.example\\\\.org:8443/path\\\\?a=1"', ['h2']],
  ['~u "^http://example\\\\.com/login$"', ['post']],
  ['~u "^secure\\\\.example\\\\.com:443$"', ['connect']],
  ['~u ^dns\\.example$', ['dns']],
  ['~udp', ['udp']],
  ['~websocket', ['ws']],
];

// Precedence and quoting: each expression matches what the equivalent spelled-out one matches.
const EQUIVALENT: [string, string][] = [
  ['~q | ~e ~c 404', '( ~q | ~e ) & ~c 404'],
  ['~q | ~e & ~c 404', '~q | ( ~e & ~c 404 )'],
  ['!~q ~e', '( !~q ) & ~e'],
  ['! ~s', '!~s'],
  ['!!~q', '~q'],
  ['~m POST|~m PUT', '~m "POST|" & ~m PUT'],
  ['~d a&~d b', '~d "a&" & ~d b'],
  ['~c 200|~c 404', '~c 200 | ~c 404'],
  ['~c 20x', '~c 20 & ~u x'],
  ['login', '~u login'],
  ['"~q"', '~u "~q"'],
  ["~b 'it\\'s'", '~b "it\'s"'],
  ['~b "\\d+"', '~b d+'],
  ['~b "\\\\d+"', '~b \\d+'],
  ['~u "a b"', "~u 'a b'"],
  ['a (b)', 'a & b'],
  ['a |', 'a & "|"'],
  ['!', '~u !'],
  ['~q\té', '~q & ~u é'],
];

function matching(expression: string): string[] {
  const filter = compileFilter(expression);
  return FLOWS.filter(([, state]) => filter(new Flow(structuredClone(state)))).map(([n]) => n);
}

describe('operators on every flow type', () => {
  test('the table covers every operator', () => {
    const used = new Set(OPERATOR_CASES.map(([e]) => /^~(\w+)/.exec(e)![1]));
    expect(OPERATORS.map((op) => op.name).filter((n) => !used.has(n))).toEqual([]);
  });

  test.each(OPERATOR_CASES)('%s', (expression, expected) => {
    expect(matching(expression)).toEqual(expected);
  });
});

describe('precedence and quoting', () => {
  test.each(EQUIVALENT)('%s ≡ %s', (a, b) => {
    expect(matching(a)).toEqual(matching(b));
  });
});

// [expression, 1-based column, message]
const SYNTAX_ERRORS: [string, number, RegExp][] = [
  ['', 1, /empty filter expression/],
  ['~q)', 3, /must be followed by a space: write "~q \)"/],
  ['(~q)', 4, /must be followed by a space/],
  ['~q&~s', 3, /write "~q &"/],
  ['~c200', 1, /unknown operator "~c200"/],
  ['~c abc', 4, /~c needs a number/],
  ['~h', 3, /~h needs a pattern/],
  ['~h (x)', 4, /~h needs a pattern .*quote it/],
  ['~nope x', 1, /unknown operator "~nope"/],
  ['~ x', 1, /"~" must be followed by an operator name/],
  ['~b "unterminated', 4, /unterminated double-quoted string/],
  ["~b 'a\nb'", 4, /unterminated single-quoted string/],
  ['~q )', 4, /unexpected "\)"/],
  ['( ~q', 5, /ends too early/],
  ['( ~q ~s )', 6, /inside parentheses, join expressions with & or \|/],
  ['~h "(?P<x>a"', 4, /~h pattern "\(\?P<x>a": missing \), unterminated subpattern/],
  ['"a**"', 1, /pattern "a\*\*": multiple repeat/],
  ['~b (?>x)', 4, /needs a pattern/],
  ['~b "(?>x)"', 4, /atomic groups \(\?>…\) have no JavaScript equivalent/],
];

describe('syntax errors', () => {
  test.each(SYNTAX_ERRORS)('%j: column %i', (expression, column, message) => {
    let error: unknown;
    try {
      compileFilter(expression);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const e = error as FilterSyntaxError;
    expect(e).toBeInstanceOf(UsageError);
    expect(e.column).toBe(column);
    expect(e.message).toMatch(message);
    const [first, shown, caret] = e.message.split('\n');
    expect(first).toMatch(new RegExp(`^invalid filter expression at column ${column}: `));
    expect(shown).toBe(`  ${expression.replace(/[\t\n\r]/g, ' ')}`);
    expect(caret).toBe(`  ${' '.repeat(column - 1)}^`);
  });

  test('deep nesting is a syntax error, not a stack overflow', () => {
    expect(() => compileFilter(`${'!'.repeat(100_000)}~q`)).toThrow(/column 1: the expression nests too deeply/);
    expect(() => compileFilter(`~b "${'('.repeat(100_000)}"`)).toThrow(/column 4: ~b pattern .*: the pattern nests too deeply/);
  });

  test('arbitrary strings either compile or fail with a FilterSyntaxError', () => {
    const pieces = fc.constantFrom('~', 'q', 'b', 'h', 'c', 'u', ' ', '(', ')', '!', '&', '|', '"', "'", '\\', '?', 'P', '<', '>', '[', ']', '{', '}', '*', '+', '1', 'é', '\n');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(pieces, { maxLength: 20 }).map((p) => p.join(''))), (expression) => {
        try {
          compileFilter(expression);
        } catch (err) {
          if (!(err instanceof FilterSyntaxError)) throw err;
        }
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});

describe('what a filter touches', () => {
  /** A state whose parts count how often they are read. */
  function watched(state: HttpFlowState): { state: FlowState; reads: Record<string, number> } {
    const reads: Record<string, number> = {};
    const out = { ...state } as FlowState;
    for (const key of ['request', 'response', 'websocket', 'clientConn', 'serverConn', 'metadata'] as const) {
      const value = state[key];
      Object.defineProperty(out, key, {
        get() {
          reads[key] = (reads[key] ?? 0) + 1;
          return value;
        },
      });
    }
    return { state: out, reads };
  }

  test('~d example.com & ~m GET reads the request only, once, and leaves the flow unchanged', () => {
    const { state, reads } = watched(tstate());
    const flow = new Flow(state);
    expect(compileFilter('~d example.com & ~m GET')(flow)).toBe(true);
    expect(reads).toEqual({ request: 1 });
    expect(flow.changed).toBe(false);
  });

  test('flags and kinds read no message part; ~src reads the client connection only', () => {
    const { state, reads } = watched(tstate());
    expect(compileFilter('~http & !~marked & !~e & !~replay')(new Flow(state))).toBe(true);
    expect(reads).toEqual({});
    compileFilter('~src 127')(new Flow(state));
    expect(reads).toEqual({ clientConn: 1 });
  });

  test('a mitmproxy record filtered on method and host is still written from its original bytes', async () => {
    const path = join(import.meta.dirname, '../../fixtures/sample.flows');
    const records = await collectRecords(mitmproxyCodec.decode(chunked(readFileSync(path), 4096), path));
    const filter = compileFilter('~d example.com & ~m GET');
    expect(records.filter((r) => filter(r.flow)).length).toBeGreaterThan(0);
    expect(records.every((r) => r.pristine)).toBe(true);
  });
});
