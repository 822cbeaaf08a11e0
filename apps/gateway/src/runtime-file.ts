import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The file a running HTTP gateway leaves in the data dir, so `briefcase status` and
 * `briefcase gateway --print-config` can report the gateway that actually runs (its port may not
 * be the default one). It holds no secret: the bearer token stays in `gateway.token`.
 */
export const GATEWAY_RUNTIME_FILE = 'gateway.json';

/** What {@link GATEWAY_RUNTIME_FILE} records about a running gateway. */
export interface GatewayRuntime {
  /** The MCP endpoint, e.g. `http://127.0.0.1:8765/mcp`. */
  url: string;
  transport: 'http';
  pid: number;
  /** ISO 8601. */
  startedAt: string;
}

/** A recorded gateway and whether its process still exists. */
export interface RecordedGateway extends GatewayRuntime {
  /** False when the recorded process is gone: the file is stale (the gateway crashed or was killed). */
  alive: boolean;
}

/**
 * Records the running gateway (mode 0600, written to a temporary name then renamed, so a reader
 * never sees half a file).
 */
export function writeGatewayRuntime(dataDir: string, runtime: GatewayRuntime): void {
  const file = join(dataDir, GATEWAY_RUNTIME_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(runtime)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/**
 * Removes the record, but only when it still names `pid`: a second gateway started on the same
 * data dir since then owns it now.
 */
export function removeGatewayRuntime(dataDir: string, pid: number = process.pid): void {
  const recorded = readGatewayRuntime(dataDir);
  if (recorded?.pid === pid) rmSync(join(dataDir, GATEWAY_RUNTIME_FILE), { force: true });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The recorded gateway, or undefined when none was recorded or the file is not one we wrote.
 * `alive` checks the pid only (a reused pid reads as alive; the gateway removes the file on exit).
 */
export function readGatewayRuntime(dataDir: string): RecordedGateway | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dataDir, GATEWAY_RUNTIME_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const r = parsed as Partial<GatewayRuntime> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.url !== 'string' ||
    !/^http:\/\/[^\s]+$/.test(r.url) ||
    r.transport !== 'http' ||
    !Number.isSafeInteger(r.pid) ||
    (r.pid as number) <= 0 ||
    typeof r.startedAt !== 'string'
  ) {
    return undefined;
  }
  const pid = r.pid as number;
  return { url: r.url, transport: 'http', pid, startedAt: r.startedAt, alive: processExists(pid) };
}
