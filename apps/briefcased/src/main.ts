#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDataDir } from '@briefcase/core';
import { startDaemon } from './daemon.js';
import { promptPassphraseOnTty } from './prompt.js';

const USAGE = `usage: briefcased [--data-dir DIR] [--tcp 127.0.0.1:PORT] [--dev]

  --data-dir DIR   where the database, tokens and socket live (default: $BRIEFCASE_DATA_DIR,
                   else ~/.local/share/briefcase; with --dev: ./.briefcase)
  --tcp HOST:PORT  also listen on a loopback TCP port (Host/Origin checked)
  --dev            development defaults (data dir ./.briefcase, warnings-only log); \`npm start\`
                   uses the same defaults and also runs the MCP gateway (apps/cli/src/dev.ts)`;

async function main() {
  let values: { 'data-dir'?: string; tcp?: string; dev?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        tcp: { type: 'string' },
        dev: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`briefcased: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const dev = values.dev === true;
  const dataDir = values['data-dir']
    ? resolve(values['data-dir'])
    : dev && !process.env.BRIEFCASE_DATA_DIR
      ? resolve('.briefcase')
      : resolveDataDir();
  const prompt = promptPassphraseOnTty();
  const daemon = await startDaemon({
    dataDir,
    dev,
    ...(prompt ? { promptPassphrase: prompt } : {}),
    // Under `npm start` the banner below is the interface; keep the JSON log to warnings and errors.
    ...(dev && !process.env.BRIEFCASE_LOG_LEVEL ? { logLevel: 'warn' } : {}),
    ...(values.tcp ? { tcp: values.tcp } : {}),
  });
  if (dev) {
    // The full walkthrough (gateway, client config, CLI steps) is `npm start`'s banner.
    console.log(
      `briefcased is running: data dir ${dataDir}, socket ${daemon.socketPath}. In another shell: export BRIEFCASE_DATA_DIR=${dataDir} && briefcase status (\`npm run install-cli\` puts briefcase on the PATH; inside the checkout \`npx briefcase\` works too)`,
    );
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    await daemon.close();
    if (dev) console.log(`briefcased stopped (${signal}).`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`briefcased: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
