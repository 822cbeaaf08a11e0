/**
 * The `briefcase` command on the PATH. A checkout is not installed anywhere, so `npm run
 * install-cli` writes, only when asked, a small shell script into a bin dir (default
 * `~/.local/bin`) that runs this checkout's CLI with this Node. Nothing else outside the checkout is
 * written: no shell rc file is edited, the person adds the bin dir to PATH themselves.
 *
 * {@link cliCommand} is how every hint the CLI and `npm start` print names the CLI: the way the
 * person can actually run it from where they are.
 */
import { accessSync, constants, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { CHECKOUT_ROOT } from './data-dir.js';
import { shellQuote } from './output.js';

/** The committed launcher the shim runs (it works before and after a build). */
export const CLI_BIN = join(CHECKOUT_ROOT, 'apps/cli/bin/briefcase.js');

/** Marks a file as a shim we wrote, so we replace or remove only our own. */
const SHIM_MARKER = '# credential-briefcase shim v1';

/** The bin dir the shim goes to by default: `$XDG_BIN_HOME`, else `~/.local/bin`. */
export function defaultBinDir(env: NodeJS.ProcessEnv): string {
  return env.XDG_BIN_HOME ? resolve(env.XDG_BIN_HOME) : join(homedir(), '.local', 'bin');
}

/** The shim's text: exec this Node on this checkout's launcher, with the person's arguments. */
export function shimScript(node: string = process.execPath, bin: string = CLI_BIN): string {
  return [
    '#!/bin/sh',
    SHIM_MARKER,
    `# briefcase: the Credential Briefcase CLI of the checkout ${CHECKOUT_ROOT}`,
    '# Written by `npm run install-cli`; `npm run install-cli -- --uninstall` (or deleting this file) removes it.',
    `exec ${shellQuote(node)} ${shellQuote(bin)} "$@"`,
    '',
  ].join('\n');
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What happened to the shim. */
export type ShimOutcome = 'installed' | 'updated' | 'unchanged' | 'removed' | 'absent';

/**
 * Writes `<binDir>/briefcase` (mode 0755). An existing file that is not our shim is left alone
 * unless `force`: it may be another program of that name.
 */
export function installShim(binDir: string, options: { force?: boolean } = {}): ShimOutcome {
  const file = join(binDir, 'briefcase');
  const text = shimScript();
  const existing = readText(file);
  if (existing === text) return 'unchanged';
  if (existing !== undefined && !existing.includes(SHIM_MARKER) && options.force !== true) {
    throw new Error(`${file} exists and is not a briefcase shim; not replacing it (--force replaces it)`);
  }
  mkdirSync(binDir, { recursive: true, mode: 0o755 });
  rmSync(file, { force: true });
  writeFileSync(file, text, { mode: 0o755, flag: 'wx' });
  return existing === undefined ? 'installed' : 'updated';
}

/** Removes `<binDir>/briefcase` when it is our shim. */
export function uninstallShim(binDir: string): ShimOutcome {
  const file = join(binDir, 'briefcase');
  const existing = readText(file);
  if (existing === undefined) return 'absent';
  if (!existing.includes(SHIM_MARKER)) throw new Error(`${file} is not a briefcase shim; not removing it`);
  rmSync(file);
  return 'removed';
}

/** The first executable `name` on `PATH`, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** True when `file` runs this checkout's CLI: our shim for it, or a link to its launcher (`npm link`). */
function runsThisCli(file: string): boolean {
  try {
    if (realpathSync(file) === realpathSync(CLI_BIN)) return true;
  } catch {
    return false;
  }
  const text = readText(file);
  return text?.includes(SHIM_MARKER) === true && text.includes(shellQuote(CLI_BIN));
}

/** True when `dir` is `root` or inside it. */
function within(dir: string, root: string): boolean {
  const path = relative(resolve(root), resolve(dir));
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

/**
 * How a person runs this CLI from `cwd`, for hints and the banner: `briefcase` when the first
 * `briefcase` on PATH is this CLI; `npx briefcase` inside the checkout (npx resolves the
 * workspace's own bin there, while elsewhere it would fetch an unrelated npm package of that name);
 * else the launcher by its absolute path.
 */
export function cliCommand(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const found = findOnPath('briefcase', env);
  if (found !== undefined && runsThisCli(found)) return 'briefcase';
  if (within(cwd, CHECKOUT_ROOT)) return 'npx briefcase';
  return `${shellQuote(process.execPath)} ${shellQuote(CLI_BIN)}`;
}

/** True when `dir` is one of PATH's entries. */
export function onPath(dir: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((entry) => entry !== '' && resolve(entry) === resolve(dir));
}
