// flowtx's own name and version, read once from its package.json, for what it writes about itself (HAR's
// log.creator). Outside codecs/, which do no file I/O: the pipeline passes it to the encoders.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: { name: string; version: string } | undefined;

/**
 * The version in the nearest package.json named flowtx above this module (src/, dist/ and the bundle sit at
 * different depths); empty when there is none.
 */
export function flowtx(): { name: string; version: string } {
  if (found === undefined) {
    let version = '';
    for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'flowtx') {
        version = pkg.version ?? '';
        break;
      }
    }
    found = { name: 'flowtx', version };
  }
  return found;
}
