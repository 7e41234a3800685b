// Filter expressions against the real peer, Debian's mitmproxy 8.1.1: over the real captures, flowtx must
// select the same flows for every expression of the table. Every expression of the table goes through
// `mitmdump -nr IN -w OUT EXPR` itself (about a second and a half of CPU per run, two at a time), and the
// invalid ones must make it fail; flowtx's own trailing expression is checked against mitmdump's output.
// Generated combinations, too many for a process each, are evaluated by mitmproxy in one process the way
// mitmdump's readfile filter does (peer.py filter: FlowReader, flowfilter.parse, the filter on each flow as
// read); the table also checks that peer.py selects what mitmdump selects.
// Expressions are ones whose meaning 8.1.1 shares with current mitmproxy (8.1.1 matches case-sensitively
// except for ~d and ~m, so patterns match the captures' case exactly or name both cases; docs/filters.md
// lists where the two differ). Generated combinations of case-neutral operators are compared the same way,
// and the parser tree for tree on generated expressions.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mitmproxyCodec } from '../../src/codecs/mitmproxy/codec.js';
import { FilterSyntaxError } from '../../src/errors.js';
import { compileFilter } from '../../src/filter/compile.js';
import { OPERATORS } from '../../src/filter/operators.js';
import { parseFilter, type FilterNode } from '../../src/filter/parse.js';
import type { FlowRecord } from '../../src/model/record.js';
import { chunked, collectRecords } from '../helpers/tflow.js';

const ROOT = resolve(import.meta.dirname, '../..');
const REAL = resolve(ROOT, '../shared/corpus/real');
const CAPTURES = ['curl-mixed.flows', 'chromium-browse.flows'];
const PYTHON = '/usr/bin/python3';
const PEER = join(import.meta.dirname, 'peer.py');
const havePeer = spawnSync(PYTHON, ['-c', 'import mitmproxy'], { encoding: 'utf8' }).status === 0 && spawnSync('mitmdump', ['--version']).status === 0;
const haveCorpus = CAPTURES.every((f) => existsSync(join(REAL, f)));
const noPeer = havePeer ? '' : ' (skipped: Debian mitmproxy is not installed: apt-get install -y mitmproxy)';
const why = noPeer || (haveCorpus ? '' : ' (skipped: ../shared/corpus/real is absent)');

/** Operators 8.1.1 cannot parse or the captures cannot exercise; covered by the unit tests instead. */
const NOT_COVERED: Record<string, string> = { udp: 'a syntax error in 8.1.1 (UDP flows came with 9.0)' };

const EXPRESSIONS = [
  // flow kinds and parts
  '~all',
  '~http',
  '!~http',
  '~websocket',
  '~tcp',
  '~dns',
  '~q',
  '~s',
  '~e',
  '~s & ~e',
  '~q & !~e',
  '~marked',
  '~replay | ~replayq | ~replays',
  '~a',
  // status codes, methods, domains
  '~c 200',
  '~c 304',
  '~c 502 | ~c 503',
  '~c 200|~c 201',
  '~m POST',
  '~m post',
  '~m "^(PUT|PATCH)$"',
  '~d api.flowtx',
  '~d CDN',
  '~d "^127\\.0\\.0\\.1$"',
  // URLs, bare and quoted patterns, regex translation
  '~u /api/',
  "'/static/app[.](css|js)$'",
  'flowtx.test/r/',
  '~u ":18380/"',
  '~u "(?P<hop>/r/)[0-2]$"',
  '~u "(?i)FLOWTX.TEST/LOGIN"',
  '~u "\\\\Ahttps:"',
  '~u "/r/\\\\d\\\\Z"',
  '~u "canary-17\\\\b"',
  // headers and content types
  '~hq ftx-vis-xapikey',
  '~hs "sessionid=ftx-vis-sess"',
  '~h "ftx-vis-sess-4b8e2f6a9d01"',
  '~hs "^[Rr]etry-[Aa]fter: "',
  '~hs "gzip\\\\r$"',
  '~hs "gzip$"',
  '~t json',
  '~tq urlencoded',
  '~ts "image/png"',
  '~tq multipart',
  // bodies: decoded (gzip, br, deflate), WebSocket messages, binary
  '~b keep-me-vis-canary-17',
  '~bs ftx-vis-gz-apitoken',
  '~bq ftx-vis-Pa55w0rd',
  '~bq ftx-vis-ws-token',
  '~bs ftx-vis-ws-token',
  '~b "\\\\x00\\\\x01\\\\x02\\\\x03"',
  '~b "(?x) ftx - vis - json - token"',
  // connections and flow fields
  '~src 127.0.0.1',
  '~dst ":443$"',
  '~dst 18399',
  '~comment ""',
  '~meta .',
  '~marker .',
  // precedence, grouping, quirks
  '~m GET ~d api | ~d cdn',
  '~m POST | ~m PUT & ~d api',
  '!~s | ~c 404',
  '!(~m GET & ~d shop)',
  '( ~c 404 | ~c 500 ) & ~d shop',
  '!!~e',
  '~m POST|~m PUT',
];

function operatorsOf(node: FilterNode): string[] {
  switch (node.kind) {
    case 'operator':
      return [node.operator.name];
    case 'not':
      return operatorsOf(node.operand);
    default:
      return node.operands.flatMap(operatorsOf);
  }
}

/** Expressions both must reject. */
const INVALID = ['~q)', '(~q)', '~q&~s', '~c200', '~c abc', '~zz', '~d', '( ~q', '~q )', '"open', '~u "(?P<n>a)(?P=m)"', '~b "a**"', '~h "[z-a]"', '~u \\q'];

function peer<T>(command: 'filter' | 'tree', file: string, expressions: readonly string[]): T {
  const r = spawnSync(PYTHON, [PEER, command, file], { input: JSON.stringify(expressions), encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`peer.py ${command} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The ids of the flows `mitmdump -nr IN -w OUT EXPR` writes, or null when mitmdump refuses the expression. */
function mitmdump(input: string, output: string, expression: string): Promise<string[] | null> {
  return new Promise((done, fail) => {
    const child = spawn('mitmdump', ['-q', '-n', '-r', input, '-w', output, expression], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code === 0) idsIn(output).then(done, fail);
      else if (code === 1 && stderr.includes('Invalid filter expression')) done(null);
      else fail(new Error(`mitmdump ${expression} exited ${code}: ${stderr}`));
    });
  });
}

/** Runs `tasks` with at most `limit` at a time. */
async function bounded<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

async function idsIn(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  const records = await collectRecords(mitmproxyCodec.decode(chunked(readFileSync(file), 1 << 20), file));
  // mitmdump writes a flow that has both a response and an error twice: compare sets.
  return [...new Set(records.map((r) => r.flow.id))].sort();
}

const sorted = (ids: readonly string[]): string[] => [...new Set(ids)].sort();

describe.skipIf(why !== '')(`flowtx selects the flows mitmproxy 8.1.1 selects${why}`, () => {
  let dir = '';
  let input = '';
  let records: FlowRecord[] = [];
  let selected: Record<string, string[] | null> = {};
  let dumped: Record<string, string[] | null> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowtx-filter-peer-'));
    input = join(dir, 'captures.flows');
    writeFileSync(input, Buffer.concat(CAPTURES.map((f) => readFileSync(join(REAL, f)))));
    records = await collectRecords(mitmproxyCodec.decode(chunked(readFileSync(input), 1 << 20), input));
    selected = peer('filter', input, [...EXPRESSIONS, ...INVALID]);
    const table = [...EXPRESSIONS, ...INVALID];
    const ids = await bounded(
      table.map((expression, i) => () => mitmdump(input, join(dir, `mitmdump-${i}.flows`), expression)),
      2,
    );
    dumped = Object.fromEntries(table.map((expression, i) => [expression, ids[i]!]));
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the table has at least 40 expressions and uses every operator 8.1.1 knows', () => {
    expect(EXPRESSIONS.length).toBeGreaterThanOrEqual(40);
    const used = new Set(EXPRESSIONS.flatMap((e) => operatorsOf(parseFilter(e))));
    const missing = OPERATORS.map((op) => op.name).filter((name) => !used.has(name) && NOT_COVERED[name] === undefined);
    expect(missing).toEqual([]);
  });

  test('most expressions select some flows but not all of them', () => {
    const all = new Set(records.map((r) => r.flow.id)).size;
    const telling = EXPRESSIONS.filter((e) => selected[e]!.length > 0 && sorted(selected[e]!).length < all);
    expect(telling.length).toBeGreaterThanOrEqual(35);
  });

  test.each(EXPRESSIONS)('%s', (expression) => {
    const filter = compileFilter(expression);
    const ours = sorted(records.filter((r) => filter(r.flow)).map((r) => r.flow.id));
    expect(ours).toEqual(dumped[expression]);
    expect(sorted(selected[expression]!)).toEqual(dumped[expression]);
    expect(records.some((r) => r.decoded && r.flow.changed)).toBe(false);
  });

  test.each(INVALID)('both reject %s', (expression) => {
    expect(dumped[expression]).toBeNull();
    expect(selected[expression]).toBeNull();
    expect(() => compileFilter(expression)).toThrow(FilterSyntaxError);
  });

  test('150 generated combinations select the same flows, or are rejected by both', () => {
    // Patterns without letters (or on ~d and ~m, which ignore case in 8.1.1 too), so that case never matters.
    const atom = fc.oneof(
      fc.constantFrom('~q', '~s', '~e', '~a', '~http', '~websocket', '~all', '~marked', '~tcp', '~dns', '~c 200', '~c 304', '~c 101', '~c 404'),
      fc.tuple(fc.constantFrom('~m', '~d'), fc.constantFrom('get', 'POST', '^p', 'api', 'CDN', 'shop\\.', '"^(put|delete)$"', '127')).map(([o, a]) => `${o} ${a}`),
      fc.tuple(
        fc.constantFrom('~u', '~h', '~hq', '~hs', '~b', '~bq', '~bs', '~t', '~tq', '~ts', '~src', '~dst', '~meta', '~marker', '~comment', ''),
        fc.constantFrom('/', '\\d{3}', '[0-9]{4}', ':443', '=', '%', '\\?', ';', '1', '0$', '"^/"', "'\\x00'", '"\\r$"', '"^[0-9]"'),
      ).map(([o, a]) => (o === '' ? a : `${o} ${a}`)),
    );
    const { expression } = fc.letrec<{ expression: string }>((tie) => ({
      expression: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        tie('expression').map((e) => `!${e}`),
        fc.tuple(tie('expression'), fc.constantFrom(' & ', ' | ', ' '), tie('expression')).map(([a, op, b]) => `${a}${op}${b}`),
        tie('expression').map((e) => `( ${e} )`),
      ),
    }));
    const expressions = [...new Set(fc.sample(expression, { numRuns: 150, seed: 11 }))];
    const theirs = peer<Record<string, string[] | null>>('filter', input, expressions);
    const differences = expressions.flatMap((e) => {
      const filter = ourFilter(e);
      const ours = filter === null ? null : sorted(records.filter((r) => filter(r.flow)).map((r) => r.flow.id));
      const peerIds = theirs[e] === null ? null : sorted(theirs[e]!);
      return JSON.stringify(ours) === JSON.stringify(peerIds) ? [] : [{ e, ours: ours?.length ?? null, theirs: peerIds?.length ?? null }];
    });
    expect(differences).toEqual([]);
    // Juxtaposition inside parentheses is an error in both; most combinations are valid.
    expect(expressions.filter((e) => theirs[e] !== null).length).toBeGreaterThan(90);
  });

  test.each([
    [['~m', 'POST|~m', 'PUT'], '~m POST|~m PUT'],
    [['~m GET ~d api | ~d cdn'], '~m GET ~d api | ~d cdn'],
  ])('flowtx IN OUT %j (a trailing expression) writes what mitmdump writes', async (words, expression) => {
    const output = join(dir, `flowtx-${words.length}.flows`);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/flowtx.js'), input, output, ...words], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await idsIn(output)).toEqual(dumped[expression]);
  });
});

/** A parse tree in peer.py's shape. */
function tree(node: FilterNode): unknown[] {
  switch (node.kind) {
    case 'operator':
      return node.argument === undefined ? [node.operator.name] : [node.operator.name, node.argument];
    case 'not':
      return ['not', tree(node.operand)];
    default:
      return [node.kind, ...node.operands.map(tree)];
  }
}

function ourFilter(expression: string): ReturnType<typeof compileFilter> | null {
  try {
    return compileFilter(expression);
  } catch (err) {
    if (err instanceof FilterSyntaxError) return null;
    throw err;
  }
}

function ourTree(expression: string): unknown[] | null {
  try {
    return tree(parseFilter(expression));
  } catch (err) {
    if (err instanceof FilterSyntaxError) return null;
    throw err;
  }
}

describe.skipIf(noPeer !== '')(`the parser builds mitmproxy 8.1.1's trees${noPeer}`, () => {
  const pieces = ['~q', '~s', '~e', '~c 2', '~c', '~d a', '~h "x y"', "~b 'a\\'b'", '~u', '~m GET', '~marked', '~zz', 'a', 'b|', '&c', '!', '&', '|', '(', ')', '( ', ' )', '"', "'", '"a b"', '*', '[x]', '\\d', '(?P<n>x)', '(?i)', 'x{,2}', ' ', '  ', '\t'];
  const expressions = fc.sample(
    fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 7 }).map((parts) => parts.join('')),
    { numRuns: 400, seed: 5 },
  );

  test('400 generated expressions: same tree, or both reject', () => {
    const theirs = peer<(unknown[] | null)[]>('tree', '-', expressions);
    const differences = expressions.map((e, i) => ({ e, ours: ourTree(e), theirs: theirs[i] })).filter((d) => JSON.stringify(d.ours) !== JSON.stringify(d.theirs));
    expect(differences).toEqual([]);
    expect(theirs.filter((t) => t !== null).length).toBeGreaterThan(60);
  });
});
