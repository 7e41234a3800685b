// The command line as a pure table: argv → command and plan, or a usage error. In-process (no spawn).

import { describe, expect, test } from 'vitest';
import { parseArgs, type RunPlan } from '../../src/cli/args.js';
import { pickCommand } from '../../src/cli/commands.js';

describe('commands', () => {
  test.each([
    [['in.flows'], 'run', ['in.flows']],
    [['run', 'in.flows', 'out.har'], 'run', ['in.flows', 'out.har']],
    [['./run', 'out.har'], 'run', ['./run', 'out.har']],
    [['scrub', 'in.flows', 'out.flows'], 'scrub', ['in.flows', 'out.flows']],
    [['./scrub', 'out.har'], 'run', ['./scrub', 'out.har']],
    [['run', 'scrub', 'out.har'], 'run', ['scrub', 'out.har']],
    [['-s', 'x.ts', 'run'], 'run', ['-s', 'x.ts', 'run']],
    [['constructor'], 'run', ['constructor']],
    [[], 'run', []],
  ])('%j → %s with %j', (argv, name, args) => {
    const picked = pickCommand(argv);
    expect([picked.name, picked.args]).toEqual([name, args]);
  });
});

describe('run: argv → plan', () => {
  test.each<[string[], Partial<RunPlan>]>([
    [['in.flows'], { inputs: ['in.flows'], output: null }],
    [['a.flows', 'b.ftx', 'out.har'], { inputs: ['a.flows', 'b.ftx'], output: 'out.har' }],
    [['-r', 'a.ftx', '-r', 'b.ndjson'], { inputs: ['a.ftx', 'b.ndjson'], output: null }],
    [['-r', 'a.ftx', 'out.flows'], { inputs: ['a.ftx'], output: 'out.flows' }],
    [['a.ftx', '-w', '-', '--to', 'ndjson'], { inputs: ['a.ftx'], output: '-', to: 'ndjson' }],
    [['in.flows', 'out.flows', '~d', 'api.test', '&', '~m', 'POST'], { inputs: ['in.flows'], output: 'out.flows', filter: '~d api.test & ~m POST' }],
    [['-s', 'a.ts', '-s', 'builtin:decode', 'in', 'out'], { scripts: ['a.ts', 'builtin:decode'] }],
    [['--set', 'k=v=w', '--set', 'x=', 'in'], { options: { k: 'v=w', x: '' } }],
    [['captures/', '--out-dir', 'clean', '-j', '2', '--shard', '1/4'], { inputs: ['captures/'], output: null, outDir: 'clean', jobs: 2, shard: { index: 1, count: 4 } }],
    [['in', 'out', '--on-script-error', 'keep', '--allow-script-errors'], { onScriptError: 'keep', allowScriptErrors: true }],
    [['in', 'out', '--flow-version', '17'], { flowVersion: 17 }],
    [['in', '--json', '--select', '~u login'], { json: true, select: '~u login' }],
  ])('%j', async (argv, plan) => {
    expect(await parseArgs(argv)).toMatchObject(plan);
  });

  test.each([
    [[], 'no input given; see flowtx --help'],
    [['-', '-', 'out'], 'stdin ("-") can be read only once'],
    [['in', '--out-dir', 'd', '-w', 'x'], 'give either --out-dir or -w, not both'],
    [['in', 'out', '--json'], '--json is for the listing (no OUTPUT); to write flows as JSON use --to ndjson'],
    [['in', 'out', '--filter', '~m GET', '~d x'], 'give the filter once: --filter "~m GET" or the trailing expression "~d x"'],
    [['--set', 'novalue', 'in'], '--set expects key=value, got "novalue"'],
    [['-', '--shard', '1/2', '--out-dir', 'd'], '--shard splits files; stdin ("-") cannot be sharded'],
    [['in', '--jobs', '0', '--out-dir', 'd'], '--jobs expects a whole number ≥ 1, got 0'],
  ])('%j is a usage error: %s', async (argv, message) => {
    await expect(parseArgs(argv)).rejects.toThrow(message);
  });
});
