import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The gateway's bearer token file inside the data dir. */
export const GATEWAY_TOKEN_FILE = 'gateway.token';

const MIN_TOKEN_LENGTH = 32;

/**
 * Loads `<dataDir>/gateway.token`, the bearer token HTTP clients must present to the gateway,
 * creating it on first use: 32 random bytes, base64url, mode 0600 (like briefcased's own tokens).
 * A token file others could read is tightened to 0600. Errors name the file, never its content.
 */
export function loadOrCreateGatewayToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, GATEWAY_TOKEN_FILE);
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Already there (maybe written a moment ago by a concurrent start): use it.
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new Error(`${file} does not hold a usable token; delete it to generate a new one`);
  }
  return token;
}
