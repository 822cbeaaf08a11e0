import { type ChildProcess, spawn } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { STDIO_DEFAULT_PATH } from './config.js';
import type { FatalHook } from './http-fetch.js';

/** How much of a child's stderr is kept for diagnostics. */
export const STDERR_TAIL_CHARS = 4096;
/** Grace periods of the MCP stdio shutdown sequence: close stdin, then SIGTERM, then SIGKILL. */
const STDIN_CLOSE_GRACE_MS = 500;
const SIGTERM_GRACE_MS = 1000;
/** After the child exits, stdout may still hold its last message; wait this long for it to drain. */
const STDOUT_DRAIN_MS = 200;

/** Options of {@link BoundedStdioTransport}. */
export interface BoundedStdioOptions {
  command: string[];
  /** Exactly the child's environment, minus the fixed PATH/HOME defaults (see {@link buildStdioEnv}). */
  env: Record<string, string>;
  cwd: string;
  /** Cap on one stdout line (one JSON-RPC message), in bytes. */
  maxMessageBytes: number;
  onFatal: FatalHook;
}

/** The complete environment of a stdio server: a fixed PATH, HOME = its cwd, then the configured env. */
export function buildStdioEnv(cwd: string, env: Record<string, string>): Record<string, string> {
  return { PATH: STDIO_DEFAULT_PATH, HOME: cwd, ...env };
}

// Children still running when the daemon exits are killed with it (best effort, synchronous).
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const running of liveChildren) killGroup(running, 'SIGKILL');
  });
}

/** Signals the child's whole process group (it was spawned as a group leader), else the child. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * MCP stdio client transport (newline-delimited JSON-RPC over the child's stdin/stdout) that, unlike
 * the SDK's `StdioClientTransport`:
 * - passes exactly the given environment (the SDK merges `getDefaultEnvironment()`, which leaks
 *   HOME, USER, SHELL, ... of the daemon);
 * - never buffers more than `maxMessageBytes` of one line: past it the child is killed and the
 *   session fails with `too_large`;
 * - treats any stdout line that is not a JSON-RPC message as fatal (`malformed`): the MCP stdio
 *   transport says the server MUST NOT write anything else to stdout;
 * - keeps only the last few KB of stderr, for diagnostics;
 * - spawns the child as a process-group leader and kills the whole group on close.
 */
export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private child: ChildProcess | undefined;
  private lineChunks: Buffer[] = [];
  private lineBytes = 0;
  private stderr = '';
  private stopped = false;
  private finished = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BoundedStdioOptions) {}

  /** The child's pid, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last {@link STDERR_TAIL_CHARS} characters the child wrote to stderr, raw. */
  get stderrTail(): string {
    return this.stderr;
  }

  start(): Promise<void> {
    if (this.child) return Promise.reject(new Error('BoundedStdioTransport already started'));
    const [executable, ...args] = this.options.command;
    return new Promise((resolve, reject) => {
      let spawned = false;
      const child = spawn(executable as string, args, {
        cwd: this.options.cwd,
        env: buildStdioEnv(this.options.cwd, this.options.env),
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        detached: true, // own process group, so close() reaches grandchildren too
        windowsHide: true,
      });
      this.child = child;
      trackChild(child);
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      child.once('error', (error) => {
        if (!spawned) reject(error);
        else this.onerror?.(error);
        this.finish();
      });
      child.once('exit', () => {
        liveChildren.delete(child);
        const stdout = child.stdout;
        if (!stdout || stdout.readableEnded) return this.finish();
        const timer = setTimeout(() => this.finish(), STDOUT_DRAIN_MS);
        stdout.once('end', () => {
          clearTimeout(timer);
          this.finish();
        });
      });
      child.stdout?.on('data', (chunk: Buffer) => this.onStdout(chunk));
      child.stderr?.on('data', (chunk: Buffer) => {
        this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      });
      // EPIPE and friends after the child died: the exit handler reports the close.
      child.stdin?.on('error', () => {});
      child.stdout?.on('error', () => {});
      child.stderr?.on('error', () => {});
    });
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length && !this.stopped) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.lineBytes + (end - start) > this.options.maxMessageBytes) {
        this.lineChunks = [];
        this.lineBytes = 0;
        this.fatal('too_large', `sent a message larger than the ${this.options.maxMessageBytes}-byte limit`);
        return;
      }
      if (end > start) {
        this.lineChunks.push(chunk.subarray(start, end));
        this.lineBytes += end - start;
      }
      if (newline === -1) return;
      const line = Buffer.concat(this.lineChunks, this.lineBytes);
      this.lineChunks = [];
      this.lineBytes = 0;
      this.onLine(line);
      start = newline + 1;
    }
  }

  private onLine(line: Buffer): void {
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.fatal('malformed', 'wrote a line to stdout that is not JSON');
      return;
    }
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (!message.success) {
      this.fatal('malformed', 'wrote a JSON value to stdout that is not a JSON-RPC message');
      return;
    }
    try {
      this.onmessage?.(message.data);
    } catch (error) {
      // A handler choking on hostile content (e.g. too deep to stringify) must not kill the reader.
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private fatal(reason: 'too_large' | 'malformed', message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.options.onFatal(reason, message);
    void this.close();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (this.stopped || this.finished || !stdin || !stdin.writable) throw new Error('Not connected');
    const data = `${JSON.stringify(message)}\n`;
    await new Promise<void>((resolve, reject) => {
      stdin.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Closes stdin, then SIGTERM, then SIGKILL to the process group (MCP stdio shutdown sequence). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child) {
      try {
        child.stdin?.end();
      } catch {
        // ignore: the pipe may already be gone
      }
      if (!(await waitForExit(child, STDIN_CLOSE_GRACE_MS))) {
        killGroup(child, 'SIGTERM');
        if (!(await waitForExit(child, SIGTERM_GRACE_MS))) {
          killGroup(child, 'SIGKILL');
          await waitForExit(child, SIGTERM_GRACE_MS);
        }
      }
      // Grandchildren may outlive the leader: clear the rest of the group.
      killGroup(child, 'SIGKILL');
      liveChildren.delete(child);
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopped = true;
    this.onclose?.();
  }
}
