import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, runCli } from '../src/index.js';

/** Runs `briefcase completion SHELL` in process and returns the script it printed. */
async function scriptFor(shell: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    out: (text: string) => {
      out += text;
    },
    err: (text: string) => {
      err += text;
    },
    outBulk: async (text: string) => {
      out += text;
    },
    env: {},
    stderrIsTty: false,
  };
  const code = await runCli(['node', 'briefcase', 'completion', shell], io);
  return { code, out, err };
}

function hasShell(shell: string): boolean {
  try {
    execFileSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** CI installs every shell (.ci/run); a developer machine may lack zsh or fish. */
function requireShell(shell: string): boolean {
  if (hasShell(shell)) return true;
  if (process.env.CI) throw new Error(`${shell} is not installed; .ci/run installs it`);
  return false;
}

function writeScript(shell: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'briefcase-completion-')), `briefcase.${shell}`);
  writeFileSync(file, text);
  return file;
}

/** Every subcommand path of the real program, for checks that must cover all of them. */
function allPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return [path, ...allPaths(sub, path)];
  });
}

function words(output: string): string[] {
  return output.split(/\s+/).filter((word) => word !== '');
}

/** Sources the script and calls the completion function as bash would on Tab. */
const BASH_DRIVER =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _briefcase; printf "%s\\n" "${COMPREPLY[@]}"';
/** The same for zsh, with _describe, _files and compdef stubbed to print what they were given. */
const ZSH_DRIVER =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  '_describe(){ print -rl -- "${(@P)${@[-1]}}" }; _files(){ print FILES }; compdef(){ }; source "$1"; shift; words=("$@"); CURRENT=$#; _briefcase';

const program = buildProgram(
  { out: () => {}, err: () => {}, outBulk: async () => {}, env: {}, stderrIsTty: false },
  { exitCode: 0 },
);

describe('briefcase completion', () => {
  it('refuses an unknown shell as a usage error', async () => {
    const result = await scriptFor('powershell');
    expect(result.code).toBe(2);
    expect(result.err).toContain('unknown shell "powershell": choose one of bash, zsh, fish');
  });

  describe('bash', () => {
    const complete = (file: string, typed: string[]): string[] =>
      words(
        execFileSync('bash', ['-c', BASH_DRIVER, 'bash', file, 'briefcase', ...typed], { encoding: 'utf8' }),
      );

    it('offers every subcommand of every command, and only subcommands where there are some', async () => {
      const { code, out } = await scriptFor('bash');
      expect(code).toBe(0);
      const file = writeScript('bash', out);
      for (const path of [[], ...allPaths(program)]) {
        const node = path.reduce<Command>(
          (command, name) => command.commands.find((sub) => sub.name() === name) as Command,
          program,
        );
        if (node.commands.length === 0) continue;
        expect(complete(file, [...path, '']).sort(), path.join(' ')).toEqual(
          node.commands.map((sub) => sub.name()).sort(),
        );
      }
    });

    it('completes flags of the command being typed, skipping flag values and global flags on the way', async () => {
      const file = writeScript('bash', (await scriptFor('bash')).out);
      expect(complete(file, ['--data-dir', '/tmp/x', 'tools', 'call', '--a'])).toEqual([
        '--args',
        '--approval',
      ]);
      // `--args` takes a value, so `approvals` here is that value, not the subcommand.
      expect(complete(file, ['tools', 'call', '--args', 'approvals', '--w'])).toEqual(['--wait']);
      expect(complete(file, ['mcp', 'add', '--no-'])).toEqual(['--no-prefix']);
      // --version belongs to the root only.
      expect(complete(file, ['status', '--'])).not.toContain('--version');
      expect(complete(file, ['--'])).toContain('--version');
    });

    it('falls back to file names for a free argument', async () => {
      const file = writeScript('bash', (await scriptFor('bash')).out);
      expect(complete(file, ['policy', 'validate', file.slice(0, -3)])).toEqual([file]);
    });
  });

  it('zsh: offers subcommands with descriptions, flags, and files', async (context) => {
    if (!requireShell('zsh')) return context.skip();
    const file = writeScript('zsh', (await scriptFor('zsh')).out);
    execFileSync('zsh', ['-n', file]);
    const complete = (typed: string[]): string =>
      execFileSync('zsh', ['-c', ZSH_DRIVER, 'zsh', file, 'briefcase', ...typed], { encoding: 'utf8' });
    expect(complete(['approvals', ''])).toContain('approve:approve a pending request');
    expect(complete(['tools', 'call', '--t'])).toContain('--timeout:how long --wait waits');
    expect(complete(['policy', 'set', ''])).toBe('FILES\n');
  });

  it('fish: offers subcommands and flags through `complete -C`', async (context) => {
    if (!requireShell('fish')) return context.skip();
    const file = writeScript('fish', (await scriptFor('fish')).out);
    execFileSync('fish', ['--no-execute', file]);
    const complete = (line: string): string[] =>
      execFileSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C$argv[2]', file, line], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter((row) => row !== '')
        .map((row) => row.split('\t')[0] as string);
    expect(complete('briefcase ')).toEqual(
      expect.arrayContaining(['tools', 'approvals', 'mcp', 'completion']),
    );
    expect(complete('briefcase receipts ')).toEqual(
      expect.arrayContaining(['list', 'verify', 'export', 'head']),
    );
    expect(complete('briefcase --data-dir /x tools call --')).toEqual(
      expect.arrayContaining(['--args', '--approval', '--wait', '--timeout']),
    );
    expect(complete('briefcase keys ')).not.toContain('tools');
  });
});
