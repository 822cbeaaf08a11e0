import { type BriefcaseClient, createClient } from '@briefcase/client';
import type { Command } from 'commander';
import { chooseDataDir } from './data-dir.js';
import type { ErrorContext } from './errors.js';
import type { Io } from './io.js';
import { shellQuote } from './output.js';
import { cliCommand } from './shim.js';

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
  /** How the person runs this CLI (see {@link cliCommand}) plus {@link prefix}: the start of every command we suggest. */
  cli: string;
  /** Filled in by handlers that can say how to retry (tool calls). */
  errorContext: ErrorContext;
  /** An admin client; the CLI is a trusted admin surface. */
  client(): BriefcaseClient;
}

/**
 * Builds the context from a command's parsed options (global ones included). Without `--data-dir`
 * and `BRIEFCASE_DATA_DIR`, the data dir may be a running `npm start`'s (see data-dir.ts): then a
 * line on stderr says which, so a person knows whose daemon they are approving on.
 */
export async function contextFor(command: Command, io: Io): Promise<CommandContext> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const json = globals.json === true;
  const choice = await chooseDataDir({
    flag: globals.dataDir,
    env: io.env,
    cwd: io.cwd?.() ?? process.cwd(),
    discover: command.name() !== 'daemon',
  });
  const dataDir = choice.dataDir;
  if (choice.source === 'discovered') {
    io.err(
      `briefcase: using the daemon running for ${dataDir} (found from this directory; --data-dir or BRIEFCASE_DATA_DIR choose another)\n`,
    );
  }
  const prefix = globals.dataDir !== undefined ? ` --data-dir ${shellQuote(dataDir)}` : '';
  const cli = `${cliCommand(io.env, io.cwd?.() ?? process.cwd())}${prefix}`;
  let client: BriefcaseClient | undefined;
  const errorContext: ErrorContext = { json, prefix, cli };
  if (choice.nearby !== undefined) {
    const dir = shellQuote(choice.nearby);
    errorContext.daemonHint =
      `A briefcase data dir exists at ${dir} (made by \`npm start\`), but no daemon answers there either. ` +
      `Start it (\`npm start\` in the checkout), or if its daemon runs elsewhere choose it: ` +
      `--data-dir ${dir}, or export BRIEFCASE_DATA_DIR=${dir}`;
  }
  return {
    io,
    json,
    dataDir,
    prefix,
    cli,
    errorContext,
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
