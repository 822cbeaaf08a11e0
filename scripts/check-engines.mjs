#!/usr/bin/env node
/**
 * Checks that the Node.js version we promise is one every installed package accepts, and that the
 * README promises the same one, so `npm ci` on the oldest supported Node prints no EBADENGINE
 * warning and a user is never told one minimum by the README and another by npm.
 *
 * The promise is the root package.json `engines.node` (a `>=X.Y.Z` range); its lowest version must
 * satisfy the `engines.node` of every package in package-lock.json (dev ones too: `npm ci` warns for
 * them as well). Where a dependency wants a newer Node than we support, pin an older release with an
 * `overrides` entry in the root package.json and say why in docs/DEPENDENCIES.md.
 *
 * Prints one line per problem and exits 1 if any. Reads files only.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readJson = (file) => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

const problems = [];
const root = readJson('package.json');
const promised = root.engines?.node;
const minimum = typeof promised === 'string' ? semver.minVersion(promised) : null;
if (!minimum) {
  problems.push(
    `package.json: engines.node must be a range such as ">=20.19" (found ${JSON.stringify(promised)})`,
  );
} else {
  const lock = readJson('package-lock.json');
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    const wanted = entry.engines?.node;
    if (path === '' || typeof wanted !== 'string') continue;
    if (!semver.validRange(wanted) || !semver.satisfies(minimum, wanted)) {
      problems.push(
        `package-lock.json: ${path}@${entry.version} wants Node ${wanted}, but we support Node ${minimum} ` +
          '(pin a release that runs there with an `overrides` entry, or raise engines.node and the README)',
      );
    }
  }
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const stated = `Node.js ${minimum.major}.${minimum.minor} or newer`;
  if (!readme.includes(stated)) {
    problems.push(`README.md: the requirements must say "${stated}" (engines.node is ${promised})`);
  }
}

for (const problem of problems) process.stderr.write(`${problem}\n`);
process.exit(problems.length > 0 ? 1 : 0);
