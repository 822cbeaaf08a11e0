import { resolve } from 'node:path';
import { type BriefcaseClient, createClient, resolveDataDir } from '@briefcase/client';
import type { Command } from 'commander';
import type { ErrorContext } from './errors.js';
import type { Io } from './io.js';
import { shellQuote } from './output.js';

/** Options every command accepts (defined once on the root program). */
export interface GlobalOptions {
  json?: boolean;
  dataDir?: string;
}

/** Everything a command handler needs. */
export interface CommandContext {
  io: Io;
  json: boolean;
  dataDir: string;
  /** ` --data-dir X` when given on the command line, for commands we suggest; else ''. */
  prefix: string;
  /** Filled in by handlers that can say how to retry (tool calls). */
  errorContext: ErrorContext;
  /** An admin client; the CLI is a trusted admin surface. */
  client(): BriefcaseClient;
}

/** Builds the context from a command's parsed options (global ones included). */
export function contextFor(command: Command, io: Io): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const json = globals.json === true;
  const dataDir = globals.dataDir !== undefined ? resolve(globals.dataDir) : resolveDataDir(io.env);
  const prefix = globals.dataDir !== undefined ? ` --data-dir ${shellQuote(dataDir)}` : '';
  let client: BriefcaseClient | undefined;
  return {
    io,
    json,
    dataDir,
    prefix,
    errorContext: { json, prefix },
    client: () => {
      client ??= createClient({ dataDir, role: 'admin' });
      return client;
    },
  };
}

/** Prints `value` as one line of JSON on stdout. */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.out(`${JSON.stringify(value)}\n`);
}
