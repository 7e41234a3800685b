import { defineConfig } from 'vitest/config';

// Three projects, so a developer can run the fast part alone (`npm run test:unit`) while `npm test` and CI run
// all three:
// - unit: in-process tests; they import src/ directly and need no build.
// - e2e: tests that spawn the built command (bin/flowtx.js over dist/), so they need `npm run build` first.
// - interop: tests against real peers (Debian's mitmdump, Chromium, ajv's HAR schema); they skip, saying why,
//   where a peer is not installed.
const E2E = [
  'test/cli/cli.test.ts',
  'test/cli/batch.test.ts',
  'test/cli/commands.test.ts',
  'test/cli/hostile.test.ts',
  'test/cli/misbehave.test.ts',
  'test/cli/scrub.test.ts',
  'test/cli/scrub-check.test.ts',
  'test/cli/signals.test.ts',
  'test/docs.test.ts',
];
const INTEROP = ['test/interop/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Spawning tests keep a second process busy each; two workers suit the 2-core CI machine.
    maxWorkers: 2,
    projects: [
      // Unit test files share a worker's module graph (isolate: false): importing src/ afresh for each of the
      // 22 files was most of their time (this project took 13 s instead of 28-42 s on the shared 2-core machine).
      // They pass so (checked over several runs); a test that needs a module's state fresh must reset it itself.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...E2E, ...INTEROP], isolate: false } },
      { extends: true, test: { name: 'e2e', include: E2E } },
      { extends: true, test: { name: 'interop', include: INTEROP } },
    ],
  },
});
