#!/bin/sh
":" //; exec node --max-semi-space-size=8 "$0" "$@"
// Both a shell script and the module: sh runs the line above, which starts node on this file with its V8
// flags (`env -S` in a shebang, which passes flags, is missing from BusyBox's env on Alpine); for
// JavaScript that line is a string and a comment. A young generation of 8 MiB semi-spaces (V8 grows it to
// 16 by default): a scripted run over a large archive decodes flow after flow that die young, and the
// smaller nursery keeps its peak RSS lower at no cost in speed (about 20 MiB in an earlier npm run bench;
// -s examples/add_header.ts over the bench's big.flows, median of six: 87.1 MiB with the flag, started
// this way or by env -S, and 88.8 MiB without it).
import { hooksLeftRunning, main } from '../dist/flowtx.mjs';

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting: process.exit() would cut off piped output.
process.exitCode = code;
// Unless a hook given up on (--hook-timeout, Ctrl-C) left timers or sockets that would keep the process up.
if (hooksLeftRunning()) setTimeout(() => process.exit(code), 1000).unref();
