/**
 * Which data dir the CLI uses when neither `--data-dir` nor `BRIEFCASE_DATA_DIR` says: the default
 * (`~/.local/share/briefcase`) when a daemon answers there, else the `.briefcase` of a running
 * `npm start` found from here (this directory or an ancestor up to the repository root, then the
 * checkout this CLI runs from). A person who forgot the `export` still reaches the daemon they
 * started, and is told which one it is.
 *
 * The CLI hands the admin token to whatever answers on the socket it picks, so a discovered dir
 * must look like one briefcased made for this user: owned by us, mode 0700 (the daemon tightens
 * it), holding an admin token. A `.briefcase` someone else planted in a shared ancestor is skipped.
 */
import { existsSync, lstatSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR_LAYOUT, resolveDataDir } from '@briefcase/core';

/** The data dir `npm start` uses, relative to the directory it runs in. */
export const DEV_DATA_DIR_NAME = '.briefcase';

/** The checkout this CLI was built in (apps/cli/dist/ → the repository root). */
export const CHECKOUT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** How the data dir was chosen. */
export interface DataDirChoice {
  dataDir: string;
  source: 'flag' | 'env' | 'default' | 'discovered';
  /**
   * When the default was kept because nothing answers anywhere, an `npm start` data dir found from
   * here: errors name it, since that is most likely the daemon the person means.
   */
  nearby?: string;
}

/** True when something accepts a connection on `socketPath` (a running daemon). */
export function socketAnswers(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(socketPath);
    const finish = (answered: boolean) => {
      socket.destroy();
      done(answered);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** A directory briefcased made for this user: ours, 0700, with an admin token in it. */
function looksOurs(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return false;
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return false;
    if ((stat.mode & 0o077) !== 0) return false;
    return existsSync(join(dir, DATA_DIR_LAYOUT.adminToken));
  } catch {
    return false;
  }
}

/**
 * `.briefcase` dirs to consider, nearest first: `cwd` and its ancestors, stopping at the first one
 * holding `.git` (the repository root), then the checkout this CLI runs from.
 */
export function devDataDirCandidates(cwd: string, checkout: string = CHECKOUT_ROOT): string[] {
  const found: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    found.push(join(dir, DEV_DATA_DIR_NAME));
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
  }
  found.push(join(resolve(checkout), DEV_DATA_DIR_NAME));
  return [...new Set(found)].filter(looksOurs);
}

/** Picks the data dir (see the module comment). Never throws: the default is the last resort. */
export async function chooseDataDir(options: {
  flag: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** False for `briefcase daemon`: it starts a daemon, so it uses the configured dir, never a found one. */
  discover: boolean;
  checkout?: string;
}): Promise<DataDirChoice> {
  if (options.flag !== undefined) return { dataDir: resolve(options.flag), source: 'flag' };
  if (options.env.BRIEFCASE_DATA_DIR) return { dataDir: resolveDataDir(options.env), source: 'env' };
  const fallback = resolveDataDir(options.env);
  if (!options.discover) return { dataDir: fallback, source: 'default' };
  if (await socketAnswers(join(fallback, DATA_DIR_LAYOUT.socket)))
    return { dataDir: fallback, source: 'default' };
  const candidates = devDataDirCandidates(options.cwd, options.checkout).filter((dir) => dir !== fallback);
  for (const dir of candidates) {
    if (await socketAnswers(join(dir, DATA_DIR_LAYOUT.socket))) return { dataDir: dir, source: 'discovered' };
  }
  const nearby = candidates[0];
  return nearby === undefined
    ? { dataDir: fallback, source: 'default' }
    : { dataDir: fallback, source: 'default', nearby };
}
