import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { actionFactory, type RunState } from './action.js';
import { registerApprovals } from './commands/approvals.js';
import { registerBudgets } from './commands/budgets.js';
import { registerCompletion } from './commands/completion.js';
import { registerDaemon } from './commands/daemon.js';
import { registerGateway } from './commands/gateway.js';
import { registerKeys } from './commands/keys.js';
import { registerMcp } from './commands/mcp.js';
import { registerPolicy } from './commands/policy.js';
import { registerReceipts } from './commands/receipts.js';
import { registerStatus } from './commands/status.js';
import { registerTools } from './commands/tools.js';
import { EXIT, reportError, UsageError } from './errors.js';
import { addHelpExamples } from './help-examples.js';
import { type Io, processIo } from './io.js';
import { cliCommand } from './shim.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the `briefcase` command tree. Actions record their exit code in `state`. */
export function buildProgram(io: Io, state: RunState): Command {
  const program = new Command('briefcase')
    .description('Credential Briefcase: let agents use tools without holding credentials.')
    .version(packageVersion(), '-V, --version')
    .option('--json', 'machine-readable JSON on stdout (errors too)')
    .option(
      '--data-dir <dir>',
      "briefcased data dir (default: $BRIEFCASE_DATA_DIR, else ~/.local/share/briefcase, else a running npm start's .briefcase found from here)",
    )
    // Inherited by every subcommand created below with .command().
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      // Errors are printed by reportError, in the contract's format.
      outputError: () => {},
    })
    .showSuggestionAfterError(true);

  const act = actionFactory(io, state);
  registerDaemon(program, act);
  registerStatus(program, act);
  registerTools(program, act);
  registerApprovals(program, act);
  registerReceipts(program, act);
  registerKeys(program, act);
  registerBudgets(program, act);
  registerPolicy(program, act);
  registerMcp(program, act);
  registerGateway(program, act);
  registerCompletion(program, act);
  addHelpExamples(program);
  return program;
}

/** Exit code for a commander parse outcome: help and version are successes, the rest usage errors. */
function commanderExit(error: CommanderError): number | undefined {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
  if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  return undefined;
}

/**
 * Runs the CLI on `argv` (as in process.argv, node and script first) and returns the exit code.
 * Never throws: every failure is printed per the contract and mapped to its exit code.
 */
export async function runCli(argv: string[], io: Io = processIo()): Promise<number> {
  const state: RunState = { exitCode: EXIT.ok };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      const exit = commanderExit(error);
      if (exit !== undefined) return exit;
      const message = error.message.replace(/^error: /, '');
      // Parsing failed, so --json is detected from the raw arguments.
      return reportError(
        new UsageError(message),
        { json: argv.includes('--json'), prefix: '', cli: cliCommand(io.env) },
        io,
      );
    }
    return reportError(error, { json: argv.includes('--json'), prefix: '', cli: cliCommand(io.env) }, io);
  }
}
