import { BriefcaseError, isBriefcaseError } from '@briefcase/core';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { printJson } from '../context.js';
import { UsageError } from '../errors.js';
import { inlineSafe } from '../output.js';

interface DaemonOptions {
  tcp?: string;
  logLevel?: string;
  dev?: boolean;
}

/** `briefcase daemon`: run briefcased in the foreground until SIGINT/SIGTERM. */
export function registerDaemon(program: Command, act: ActionFactory): void {
  program
    .command('daemon')
    .description('run briefcased in the foreground (Ctrl-C stops it cleanly)')
    .option('--tcp <host:port>', 'also listen on this loopback address (default: $BRIEFCASE_TCP, else off)')
    .option('--log-level <level>', 'log level (default: $BRIEFCASE_LOG_LEVEL, else info)')
    .option('--dev', 'development mode')
    .action(
      act<DaemonOptions>(async (ctx, _args, options) => {
        const tcp = options.tcp ?? (ctx.io.env.BRIEFCASE_TCP || undefined);
        if (tcp !== undefined && !/^[^\s:]+:\d{1,5}$/.test(tcp) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(tcp)) {
          throw new UsageError(`--tcp must look like 127.0.0.1:7777, got "${tcp}"`);
        }
        const logLevel = options.logLevel ?? (ctx.io.env.BRIEFCASE_LOG_LEVEL || undefined);
        // Loaded on demand: every other command stays free of the daemon's dependencies.
        const { startDaemon, promptPassphraseOnTty } = await import('@briefcase/briefcased');
        const prompt = promptPassphraseOnTty();
        let daemon: Awaited<ReturnType<typeof startDaemon>>;
        try {
          daemon = await startDaemon({
            dataDir: ctx.dataDir,
            // The daemon reads BRIEFCASE_SECRET_BACKEND and friends from here.
            env: ctx.io.env,
            ...(tcp === undefined ? {} : { tcp }),
            ...(logLevel === undefined ? {} : { logLevel }),
            ...(options.dev ? { dev: true } : {}),
            ...(prompt ? { promptPassphrase: prompt } : {}),
          });
        } catch (error) {
          // Startup refusals (already running, bad data dir permissions, ...) are not CLI bugs.
          if (isBriefcaseError(error)) throw error;
          throw new BriefcaseError(
            'internal_error',
            `briefcased could not start: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        if (ctx.json)
          printJson(ctx, { event: 'listening', socketPath: daemon.socketPath, dataDir: ctx.dataDir });
        else ctx.io.err(`briefcased listening on ${inlineSafe(daemon.socketPath)} (Ctrl-C to stop)\n`);

        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        // A second signal while closing means "now".
        const force = (): void => process.exit(1);
        process.once('SIGINT', force);
        process.once('SIGTERM', force);
        if (!ctx.json) ctx.io.err(`briefcased: ${signal}, shutting down\n`);
        await daemon.close();
        process.removeListener('SIGINT', force);
        process.removeListener('SIGTERM', force);
        if (ctx.json) printJson(ctx, { event: 'stopped' });
        else ctx.io.err('briefcased stopped\n');
        return 0;
      }),
    );
}
