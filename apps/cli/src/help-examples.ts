/**
 * Examples at the end of `--help` for the main commands, kept in one table instead of spread over
 * the command files. Each names the CLI the way this person can run it (see cliCommand), so a
 * pasted example works.
 */
import type { Command } from 'commander';
import { cliCommand } from './shim.js';

/** Example lines by command path (`''` is the program itself); `$` stands for the CLI. */
export const HELP_EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  '': [
    '$ status                                  # is the daemon running, and where',
    '$ tools list',
    `$ tools call note_add --args '{"text":"hi"}' --wait   # waits for a person to approve`,
    '$ approvals watch                         # see approval requests as they arrive',
    '$ gateway --print-config --client claude-code',
  ],
  status: ['$ status', '$ status --json | jq .gateway'],
  tools: ['$ tools list', `$ tools call echo --args '{"text":"hi"}'`],
  'tools call': [
    `$ tools call echo --args '{"text":"hi"}'`,
    `$ tools call note_add --args '{"text":"hi"}'              # exit 4: prints the approval id`,
    `$ tools call note_add --args '{"text":"hi"}' --approval ID  # after approvals approve ID`,
    `$ tools call note_add --args '{"text":"hi"}' --wait --timeout 120`,
  ],
  approvals: [
    '$ approvals list',
    '$ approvals approve ID',
    '$ approvals deny ID --reason "not this file"',
    '$ approvals watch',
  ],
  receipts: [
    '$ receipts list --limit 20',
    '$ receipts verify',
    '$ receipts export --out receipts.ndjson',
    '$ receipts verify --file receipts.ndjson --key @receipts-key.jwk',
  ],
  policy: ['$ policy show > policy.cedar', '$ policy validate policy.cedar', '$ policy set policy.cedar'],
  budgets: ['$ budgets list', '$ budgets set demo_paid --daily 1 --monthly 10'],
  mcp: [
    '$ mcp add docs --url https://example.com/mcp',
    '$ mcp add files -- npx -y @modelcontextprotocol/server-filesystem /tmp',
    '$ mcp list',
    '$ mcp review docs --accept',
  ],
  'mcp add': [
    '$ mcp add docs --url https://example.com/mcp',
    '$ mcp add gh --command "github-mcp-server stdio" --env GITHUB_TOKEN   # the value is read from your env',
    '$ mcp add files -- npx -y @modelcontextprotocol/server-filesystem /tmp',
  ],
  gateway: [
    '$ gateway --print-config --client claude-code              # one client, as JSON',
    '$ gateway --print-config --client vscode --out .vscode/mcp.json',
    '$ gateway --http 8765                                      # a long-running HTTP gateway',
    '$ gateway --stdio                                          # what an MCP client starts',
  ],
  keys: ['$ keys list', '$ keys rotate receipts'],
  daemon: ['$ daemon', '$ daemon --tcp 127.0.0.1:7777'],
};

function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds the examples of {@link HELP_EXAMPLES} to the commands of `program` they name. */
export function addHelpExamples(program: Command): void {
  const visit = (command: Command): void => {
    const lines = HELP_EXAMPLES[pathOf(command)];
    if (lines !== undefined) {
      command.addHelpText('after', () => {
        const cli = cliCommand();
        return `\nExamples:\n${lines.map((line) => `  ${line.replace(/^\$/, cli)}`).join('\n')}\n`;
      });
    }
    for (const child of command.commands) visit(child);
  };
  visit(program);
}
