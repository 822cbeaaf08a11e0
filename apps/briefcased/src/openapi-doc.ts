import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';

/** Builds the API on a throwaway data dir (memory secrets, nothing listening elsewhere) and returns its OpenAPI document. */
export async function generateOpenApi(): Promise<unknown> {
  const dataDir = mkdtempSync(join(tmpdir(), 'briefcase-openapi-'));
  const daemon = await startDaemon({
    dataDir,
    secretBackend: 'memory',
    logLevel: 'silent',
    env: {},
  });
  try {
    await daemon.app.ready();
    return daemon.app.swagger();
  } finally {
    await daemon.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
