import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { COMPLETION_SHELLS, type CompletionShell, completionScript } from '../completion.js';
import { UsageError } from '../errors.js';

const INSTALL_HELP = `
Install (pick your shell):
  bash:  briefcase completion bash > ~/.local/share/bash-completion/completions/briefcase
  zsh:   briefcase completion zsh > "\${fpath[1]}/_briefcase"   (or: source <(briefcase completion zsh))
  fish:  briefcase completion fish > ~/.config/fish/completions/briefcase.fish
Then open a new shell. The scripts complete commands, subcommands and flags; regenerate them after
an upgrade.`;

/** `briefcase completion bash|zsh|fish`: prints a completion script built from the command tree. */
export function registerCompletion(program: Command, act: ActionFactory): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', COMPLETION_SHELLS.join(' | '))
    .addHelpText('after', INSTALL_HELP)
    .action(
      act(async (ctx, [shell]) => {
        if (!COMPLETION_SHELLS.includes(shell as CompletionShell)) {
          throw new UsageError(`unknown shell "${shell}": choose one of ${COMPLETION_SHELLS.join(', ')}`);
        }
        ctx.io.out(completionScript(program, shell as CompletionShell));
        return 0;
      }),
    );
}
