import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `admin` may do everything (CLI, UI); `agent` (the gateway) may only list and call tools. */
export type Role = 'admin' | 'agent';

export const ROLES: readonly Role[] = ['admin', 'agent'];

/** Route `roles` of the routes only the admin token may use. */
export const ADMIN = ['admin'] as const;

/** Route `roles` of the routes both tokens may use (listing and calling tools). */
export const ANY_ROLE = ['admin', 'agent'] as const;

export const tokenFile = (dataDir: string, role: Role) => join(dataDir, `${role}.token`);

/**
 * Loads the role's bearer token, creating it (32 random bytes, base64url, mode 0600) on first start.
 * A token file that others can read is refused: it would let any local user act as that role.
 */
export function loadOrCreateToken(dataDir: string, role: Role): string {
  const file = tokenFile(dataDir, role);
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
  }
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 32)
    throw new Error(`${file} does not hold a usable token; delete it to generate a new one`);
  return token;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Resolves the role of a bearer token in constant time (both candidates are always compared, over
 * fixed-length digests, so timing reveals neither the token nor which role matched).
 */
export function createTokenAuthenticator(tokens: Record<Role, string>) {
  const known = ROLES.map((role) => ({ role, digest: digest(tokens[role]) }));
  return (authorization: string | undefined): Role | undefined => {
    if (typeof authorization !== 'string') return undefined;
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(authorization);
    const presented = digest(match?.[1] ?? '');
    let role: Role | undefined;
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented) && match) role = candidate.role;
    }
    return role;
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * DNS-rebinding defence for the optional TCP listener: the Host header (and Origin, when a browser
 * sends one) must name a loopback host on our port. A rebound name like attacker.example fails.
 */
export function isLoopbackRequest(
  host: string | undefined,
  origin: string | undefined,
  port: number,
): boolean {
  if (typeof host !== 'string') return false;
  const hostMatch = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!hostMatch || !LOOPBACK_HOSTS.has(hostMatch[1] as string) || Number(hostMatch[2] ?? 80) !== port)
    return false;
  if (origin === undefined) return true;
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && Number(url.port || 80) === port;
  } catch {
    return false;
  }
}
