// Deterministic synthetic archive in flowtx's msgpack format, with the flow mix of
// ../shared/bench/gen_synthetic_flows.py (bench/flow-mix.mjs), ~9.4 KiB per flow.
// Same seed and size ⇒ byte-identical file.
//   node bench/generate.mjs --target-mb 300 -o /tmp/flowtx-bench/big.ftx [--seed 20240601]

import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { msgpackCodec } from '../dist/codecs/msgpack/codec.js';
import { Flow } from '../dist/model/flow.js';
import { FlowRecord } from '../dist/model/record.js';
import { flowMix } from './flow-mix.mjs';

const { values } = parseArgs({
  options: { 'target-mb': { type: 'string', default: '300' }, output: { type: 'string', short: 'o' }, seed: { type: 'string', default: '20240601' } },
});
if (values.output === undefined) throw new Error('usage: node bench/generate.mjs --target-mb N -o FILE');

const CODINGS = { gzip: gzipSync, br: brotliCompressSync, deflate: deflateSync };
const { flowState } = flowMix(Number(values.seed), (plain, coding) => CODINGS[coding](plain));

const target = Number(values['target-mb']) * 1024 * 1024;
await mkdir(dirname(values.output), { recursive: true });
const out = createWriteStream(values.output);
const encoder = msgpackCodec.encoder();
let written = 0;
let flows = 0;
const write = (pieces) => {
  for (const piece of pieces) written += piece.byteLength;
  return out.write(Buffer.concat(pieces));
};
write(encoder.begin());
while (written < target) {
  if (!write(encoder.encode(FlowRecord.of(new Flow(flowState(flows)))))) await new Promise((r) => out.once('drain', r));
  flows++;
}
await new Promise((resolve) => out.end(resolve));
console.log(JSON.stringify({ file: values.output, bytes: written, flows }));
