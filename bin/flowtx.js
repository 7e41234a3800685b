#!/usr/bin/env node
import { main } from '../dist/flowtx.mjs';

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting: process.exit() would cut off piped output.
process.exitCode = code;
