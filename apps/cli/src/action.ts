import type { Command } from 'commander';
import { type CommandContext, contextFor } from './context.js';
import { reportError } from './errors.js';
import type { Io } from './io.js';

/** A command body: positional arguments, the command's own options; returns an exit code. */
export type Handler<O = Record<string, unknown>> = (
  ctx: CommandContext,
  positionals: string[],
  options: O,
) => Promise<number | undefined>;

/** Turns handlers into commander actions that record an exit code instead of throwing. */
export type ActionFactory = <O>(handler: Handler<O>) => (...args: unknown[]) => Promise<void>;

/** Where actions leave their exit code for runCli. */
export interface RunState {
  exitCode: number;
}

/** Creates the factory; every error is rendered per the contract and mapped to its exit code. */
export function actionFactory(io: Io, state: RunState): ActionFactory {
  return <O>(handler: Handler<O>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const options = args.at(-2) as O;
      const positionals = args.slice(0, -2) as string[];
      const ctx = await contextFor(command, io);
      try {
        state.exitCode = (await handler(ctx, positionals, options)) ?? 0;
      } catch (error) {
        state.exitCode = reportError(error, ctx.errorContext, io);
      }
    };
}
