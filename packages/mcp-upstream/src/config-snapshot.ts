import type { UpstreamServerConfig } from './config.js';

// Every pool call passes the server's config again (the daemon builds a fresh object per call), and
// validating plus hashing it costs about 10 µs, twice per tool call (toolHash, then callTool). A
// config that reads exactly like the one last validated for a server maps to the same entry, so a
// field-by-field comparison with a private copy is enough.

/** A private copy of the fields of a config that `validateServerConfig` reads. */
export interface ConfigSnapshot {
  readonly name: unknown;
  readonly transport: unknown;
  readonly url: unknown;
  readonly command: unknown;
  readonly env: unknown;
  readonly cwd: unknown;
  readonly timeoutMs: unknown;
  readonly maxResponseBytes: unknown;
}

function isObjectRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Copies what validation reads from `config`, so the copy is what gets validated: a caller that
 * mutates its object later (or a getter that answers differently) cannot make the copy disagree
 * with what was checked. Values of the wrong type are kept as they are, for validation to refuse.
 */
export function snapshotConfig(config: UpstreamServerConfig): ConfigSnapshot {
  const { command, env } = config;
  return {
    name: config.name,
    transport: config.transport,
    url: config.url,
    command: Array.isArray(command) ? [...command] : command,
    env: isObjectRecord(env) ? { ...env } : env,
    cwd: config.cwd,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: config.maxResponseBytes,
  };
}

function sameCommand(seen: unknown, value: unknown): boolean {
  if (!Array.isArray(seen) || !Array.isArray(value)) return seen === value;
  return value.length === seen.length && seen.every((arg, index) => value[index] === arg);
}

function sameEnv(seen: unknown, value: unknown): boolean {
  if (!isObjectRecord(seen) || !isObjectRecord(value)) return seen === value;
  const keys = Object.keys(value);
  return (
    keys.length === Object.keys(seen).length &&
    keys.every((key) => Object.hasOwn(seen, key) && value[key] === seen[key])
  );
}

/** True when `config` reads exactly like `seen`, so validating it would give the same result. */
export function matchesSnapshot(seen: ConfigSnapshot, config: unknown): boolean {
  if (!isObjectRecord(config)) return false;
  return (
    config.name === seen.name &&
    config.transport === seen.transport &&
    config.url === seen.url &&
    config.cwd === seen.cwd &&
    config.timeoutMs === seen.timeoutMs &&
    config.maxResponseBytes === seen.maxResponseBytes &&
    sameCommand(seen.command, config.command) &&
    sameEnv(seen.env, config.env)
  );
}
