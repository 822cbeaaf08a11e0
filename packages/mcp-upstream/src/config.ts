import {
  BriefcaseError,
  canonicalHash,
  DEFAULT_MCP_TIMEOUT_MS,
  MAX_MCP_SERVER_NAME_LENGTH,
  MAX_MCP_TIMEOUT_MS,
} from '@briefcase/core';

/** How briefcased reaches an upstream MCP server. */
export type UpstreamTransport = 'streamable_http' | 'sse' | 'stdio';

/** One remote MCP server, as the daemon configures it. */
export interface UpstreamServerConfig {
  /** 1 to {@link MAX_MCP_SERVER_NAME_LENGTH} characters of `[A-Za-z0-9_.-]`; the pool keys sessions by it. */
  name: string;
  /** Which MCP transport to use. */
  transport: UpstreamTransport;
  /**
   * `streamable_http` / `sse` only: the endpoint. https is required unless the host is loopback
   * (127.0.0.1, ::1, localhost); no userinfo, no fragment. See {@link validateServerUrl}.
   */
  url?: string;
  /** `stdio` only: argv, `command[0]` is the executable. No shell is involved. */
  command?: string[];
  /**
   * `stdio` only: the only environment the child gets besides a fixed `PATH` and `HOME` (= `cwd`).
   * Nothing of the daemon's environment is inherited. Entries here override `PATH`/`HOME`.
   */
  env?: Record<string, string>;
  /** `stdio` only, required: absolute working directory (the daemon gives each server its own). */
  cwd?: string;
  /** Per-request timeout in milliseconds (default 30 000). Connecting uses it too. */
  timeoutMs?: number;
  /** Cap on any one upstream message or tool result, serialized (default 4 MiB). */
  maxResponseBytes?: number;
}

/** A validated config with defaults applied. */
export interface NormalizedServerConfig {
  name: string;
  transport: UpstreamTransport;
  url?: string;
  command?: string[];
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** Default per-request timeout (the daemon's, which the CLI states). */
export const DEFAULT_TIMEOUT_MS = DEFAULT_MCP_TIMEOUT_MS;
/** Default cap on one upstream message or result: 4 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** `PATH` given to stdio servers; the daemon's own `PATH` is never passed on. */
export const STDIO_DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

const SERVER_NAME = new RegExp(`^[A-Za-z0-9_.-]{1,${MAX_MCP_SERVER_NAME_LENGTH}}$`);
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const MAX_URL_LENGTH = 2048;
const MAX_ARGS = 256;
const MAX_ARG_LENGTH = 4096;
const MAX_ENV_ENTRIES = 256;
const MAX_ENV_VALUE_LENGTH = 32 * 1024;
const TIMEOUT_RANGE = { min: 1, max: MAX_MCP_TIMEOUT_MS };
const RESPONSE_BYTES_RANGE = { min: 1024, max: 256 * 1024 * 1024 };

/** True when `name` is a valid server name: 1 to {@link MAX_MCP_SERVER_NAME_LENGTH} characters of `[A-Za-z0-9_.-]`. */
export function isValidServerName(name: unknown): name is string {
  return typeof name === 'string' && SERVER_NAME.test(name);
}

function invalid(message: string): BriefcaseError {
  return new BriefcaseError('invalid_args', message);
}

/**
 * Parses and checks an upstream URL. https is required unless the host is loopback
 * (127.0.0.1, ::1, localhost), where plain http is allowed for local servers.
 * Userinfo (RFC 3986 §3.2.1 `user:password@`) and fragments are rejected: credentials never live in
 * URLs, and a fragment has no meaning for an HTTP endpoint. Messages never echo the URL, which may
 * carry a token in its query.
 * @throws BriefcaseError `invalid_args`
 */
export function validateServerUrl(raw: string): URL {
  if (typeof raw !== 'string' || raw.length === 0)
    throw invalid('The server URL must be a non-empty string.');
  if (raw.length > MAX_URL_LENGTH)
    throw invalid(`The server URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('The server URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid('The server URL must use https (or http on a loopback host).');
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid(
      'The server URL must not contain a user name or password; use `briefcase mcp login` instead.',
    );
  }
  if (raw.includes('#')) throw invalid('The server URL must not contain a fragment (#...).');
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) {
    throw invalid('The server URL must use https unless the host is 127.0.0.1, ::1 or localhost.');
  }
  return url;
}

/**
 * Checks a per-request timeout in milliseconds, when given.
 * @throws BriefcaseError `invalid_args` naming it `what`
 */
export function checkTimeoutMs(value: unknown, what: string): void {
  checkIntegerOption(value, what, TIMEOUT_RANGE);
}

function checkIntegerOption(value: unknown, what: string, range: { min: number; max: number }): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalid(`${what} must be an integer from ${range.min} to ${range.max}.`);
  }
}

function hasNul(text: string): boolean {
  return text.includes('\0');
}

function checkCommand(command: unknown): string[] {
  if (!Array.isArray(command) || command.length === 0 || command.length > MAX_ARGS) {
    throw invalid(`command must be a non-empty array of at most ${MAX_ARGS} strings.`);
  }
  for (const [index, arg] of command.entries()) {
    if (typeof arg !== 'string' || hasNul(arg) || arg.length > MAX_ARG_LENGTH) {
      throw invalid(
        `command[${index}] must be a string without NUL of at most ${MAX_ARG_LENGTH} characters.`,
      );
    }
  }
  if (command[0] === '') throw invalid('command[0] (the executable) must not be empty.');
  return [...command];
}

function checkEnv(env: unknown): Record<string, string> {
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    throw invalid('env must be an object of string values.');
  }
  const entries = Object.entries(env);
  if (entries.length > MAX_ENV_ENTRIES) throw invalid(`env has more than ${MAX_ENV_ENTRIES} entries.`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    // Never echo values: env is where API keys live.
    if (!ENV_KEY.test(key)) throw invalid('env keys must match [A-Za-z_][A-Za-z0-9_]*.');
    if (typeof value !== 'string' || hasNul(value) || value.length > MAX_ENV_VALUE_LENGTH) {
      throw invalid(`env.${key} must be a string without NUL of at most ${MAX_ENV_VALUE_LENGTH} characters.`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * Checks a server config and applies defaults. Fields of the other transport family are rejected
 * rather than ignored, so a misconfiguration is visible.
 * @throws BriefcaseError `invalid_args`
 */
export function validateServerConfig(config: UpstreamServerConfig): NormalizedServerConfig {
  if (config === null || typeof config !== 'object') throw invalid('The server config must be an object.');
  if (!isValidServerName(config.name)) {
    throw invalid(
      `The server name must be 1-${MAX_MCP_SERVER_NAME_LENGTH} characters of letters, digits, "_", "." or "-".`,
    );
  }
  const where = `Server "${config.name}"`;
  checkTimeoutMs(config.timeoutMs, `${where}: timeoutMs`);
  checkIntegerOption(config.maxResponseBytes, `${where}: maxResponseBytes`, RESPONSE_BYTES_RANGE);
  const base = {
    name: config.name,
    transport: config.transport,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxResponseBytes: config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
  if (config.transport === 'streamable_http' || config.transport === 'sse') {
    if (config.command !== undefined || config.env !== undefined || config.cwd !== undefined) {
      throw invalid(`${where}: command, env and cwd are only for the stdio transport.`);
    }
    if (config.url === undefined) throw invalid(`${where}: the ${config.transport} transport needs a url.`);
    try {
      validateServerUrl(config.url);
    } catch (error) {
      throw invalid(`${where}: ${(error as Error).message}`);
    }
    return { ...base, url: config.url };
  }
  if (config.transport === 'stdio') {
    if (config.url !== undefined) throw invalid(`${where}: url is not used by the stdio transport.`);
    const command = checkCommand(config.command);
    const env = config.env === undefined ? {} : checkEnv(config.env);
    if (typeof config.cwd !== 'string' || !config.cwd.startsWith('/') || hasNul(config.cwd)) {
      throw invalid(`${where}: the stdio transport needs cwd, an absolute directory path.`);
    }
    return { ...base, command, env, cwd: config.cwd };
  }
  throw invalid(`${where}: transport must be "streamable_http", "sse" or "stdio".`);
}

/** Identity of a normalized config: a changed hash means the pooled session must be replaced. */
export function configHash(config: NormalizedServerConfig): string {
  return canonicalHash(config);
}
