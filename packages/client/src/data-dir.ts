import { join } from 'node:path';
import { DATA_DIR_LAYOUT, resolveDataDir } from '@briefcase/core';

/**
 * Where briefcased keeps its socket, tokens and database: `BRIEFCASE_DATA_DIR`, else
 * `${XDG_DATA_HOME:-$HOME/.local/share}/briefcase`. Re-exported from @briefcase/core so the
 * daemon and every client resolve the same directory by construction.
 */
export { resolveDataDir };

/** The daemon's Unix socket path inside `dataDir`. */
export function socketPathFor(dataDir: string): string {
  return join(dataDir, DATA_DIR_LAYOUT.socket);
}
