#!/usr/bin/env node
/**
 * `npm run install-cli [-- --bin-dir DIR] [--force] [--uninstall]`: puts a `briefcase` command on
 * the PATH by writing one shim (see shim.ts) into a bin dir, default `~/.local/bin`. It is the only
 * step that writes outside the checkout, and only when a person runs it; it never edits shell files.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { shellQuote } from './output.js';
import { defaultBinDir, findOnPath, installShim, onPath, uninstallShim } from './shim.js';

const USAGE = `Usage: npm run install-cli [-- --bin-dir DIR] [--force] [--uninstall]

Writes DIR/briefcase (default: $XDG_BIN_HOME, else ~/.local/bin), a 5-line shell script that runs
this checkout's CLI with this Node. Nothing else is written outside the checkout.
  --bin-dir DIR   where to put it
  --force         replace a DIR/briefcase that is not a briefcase shim
  --uninstall     remove the shim (only if it is ours)
`;

function main(argv: string[], env: NodeJS.ProcessEnv): number {
  let values: { 'bin-dir'?: string; force?: boolean; uninstall?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        'bin-dir': { type: 'string' },
        force: { type: 'boolean' },
        uninstall: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`install-cli: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (process.platform === 'win32') {
    process.stderr.write(
      'install-cli: not on Windows yet; run the CLI as `npx briefcase` inside the checkout.\n',
    );
    return 1;
  }
  const binDir = values['bin-dir'] ?? defaultBinDir(env);
  const file = join(binDir, 'briefcase');
  try {
    if (values.uninstall) {
      const outcome = uninstallShim(binDir);
      process.stdout.write(
        outcome === 'removed' ? `removed ${file}\n` : `no shim at ${file}; nothing to do\n`,
      );
      return 0;
    }
    const outcome = installShim(binDir, { force: values.force === true });
    process.stdout.write(`${outcome === 'unchanged' ? 'already installed' : outcome}: ${file}\n`);
  } catch (error) {
    process.stderr.write(`install-cli: ${(error as Error).message}\n`);
    return 1;
  }
  if (!onPath(binDir, env)) {
    process.stdout.write(
      `${binDir} is not on your PATH. Add this line to your shell's startup file (~/.bashrc, ~/.zshrc), then open a new shell:\n` +
        `  export PATH=${shellQuote(binDir)}:"$PATH"\n`,
    );
    return 0;
  }
  const first = findOnPath('briefcase', env);
  if (first !== undefined && first !== file) {
    process.stdout.write(
      `note: ${first} comes first on your PATH and is another briefcase; put ${binDir} before it.\n`,
    );
    return 0;
  }
  process.stdout.write('`briefcase` now works in any shell (try `briefcase --help`).\n');
  return 0;
}

process.exitCode = main(process.argv.slice(2), process.env);
