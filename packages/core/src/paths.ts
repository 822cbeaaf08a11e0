import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** File names inside the data dir; the daemon creates them, clients find the daemon through them. */
export const DATA_DIR_LAYOUT = {
  socket: 'briefcased.sock',
  database: 'briefcase.db',
  adminToken: 'admin.token',
  agentToken: 'agent.token',
  secrets: 'secrets',
} as const;

/**
 * The data dir: `BRIEFCASE_DATA_DIR` when set, else the XDG data dir
 * (`$XDG_DATA_HOME/briefcase`, default `~/.local/share/briefcase`).
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BRIEFCASE_DATA_DIR) return resolve(env.BRIEFCASE_DATA_DIR);
  const base = env.XDG_DATA_HOME ? resolve(env.XDG_DATA_HOME) : join(homedir(), '.local', 'share');
  return join(base, 'briefcase');
}
