/**
 * Preload (`node --import ./conformance/globsync-shim.mjs ...`) that gives Node 20 an `fs.globSync`.
 *
 * Why: @modelcontextprotocol/conformance >= 0.1.14 does `import { globSync } from 'fs'`, a static
 * named import of a builtin that only Node >= 22 provides. On Node 20 the whole CLI fails to link
 * ("does not provide an export named 'globSync'"), even though only its `tier-check` command calls it.
 *
 * How, in two steps:
 * 1. `fs.globSync` is assigned on the CommonJS `fs` object, backed by tinyglobby (a maintained glob
 *    library); this file only adapts the options.
 * 2. That alone is not enough: `syncBuiltinESMExports()` refreshes the values of the builtin's
 *    existing named exports but never adds a new name, so linking still fails. A module resolve hook
 *    (`module.register`) therefore answers every `import ... from 'fs' | 'node:fs'` with a small
 *    virtual module that re-exports all of `node:fs` plus `globSync`.
 * On a Node that already has `fs.globSync` this file does nothing.
 */
import fs from 'node:fs';
import { register } from 'node:module';
import { globSync as tinyGlobSync } from 'tinyglobby';

/** The URL the resolve hook gives the `fs`-with-globSync module. */
const SHIM_URL = 'globsync-shim:fs';

/** Runs in the loader hooks thread; kept as source so this file is only ever a preload. */
const HOOKS_SOURCE = `
const SHIM_URL = ${JSON.stringify(SHIM_URL)};
export async function resolve(specifier, context, nextResolve) {
  if ((specifier === 'fs' || specifier === 'node:fs') && context.parentURL !== SHIM_URL) {
    return { url: SHIM_URL, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
export async function load(url, context, nextLoad) {
  if (url !== SHIM_URL) return nextLoad(url, context);
  return {
    format: 'module',
    shortCircuit: true,
    source: "import fs from 'node:fs'; export * from 'node:fs'; export default fs; export const globSync = fs.globSync;",
  };
}
`;

if (typeof fs.globSync !== 'function') {
  /**
   * The subset of Node 22's `fs.globSync(pattern, { cwd, exclude })` the suite uses: paths relative
   * to `cwd`, files and directories alike. `withFileTypes` and an `exclude` function are refused
   * loudly rather than approximated.
   *
   * @param {string | string[]} pattern
   * @param {{ cwd?: string | URL, exclude?: string[] | ((path: string) => boolean), withFileTypes?: boolean }} [options]
   * @returns {string[]}
   */
  const globSync = (pattern, options = {}) => {
    if (options.withFileTypes) throw new Error('globsync-shim: withFileTypes is not supported');
    if (typeof options.exclude === 'function') {
      throw new Error('globsync-shim: an exclude function is not supported');
    }
    return tinyGlobSync(pattern, {
      cwd: options.cwd ?? process.cwd(),
      ignore: options.exclude ?? [],
      // Node's globSync returns directories too and does not turn a directory pattern into
      // "everything below it"; tinyglobby marks directories with a trailing slash, Node does not.
      onlyFiles: false,
      expandDirectories: false,
    }).map((path) => path.replace(/\/$/, ''));
  };
  fs.globSync = globSync;
  register(`data:text/javascript,${encodeURIComponent(HOOKS_SOURCE)}`);
}
