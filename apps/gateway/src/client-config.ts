/** Options for {@link printClientConfig}. */
export interface ClientConfigOptions {
  transport: 'stdio' | 'http';
  /** The HTTP endpoint (`http` only), e.g. `http://127.0.0.1:8766/mcp`. */
  url?: string;
  /** The gateway bearer token (`http` only). */
  token?: string;
  /** The data dir the gateway should use; passed to stdio servers as `BRIEFCASE_DATA_DIR`. */
  dataDir: string;
  /** The full stdio command, absolute paths, e.g. `[process.execPath, '/abs/apps/cli/dist/main.js', 'gateway', '--stdio']`. */
  command: string[];
  /** The server's key in the client config; default `briefcase`. */
  name?: string;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/**
 * Ready-to-paste MCP client configuration for the gateway: Claude Code and Claude Desktop
 * (`mcpServers`), Cursor (`mcpServers`) and VS Code (`servers` with an explicit `type`). Only fields
 * those clients document are used: `command`/`args`/`env` for stdio, `url`/`headers` (plus `type`
 * where the client wants it) for HTTP. Claude Desktop's config file launches local stdio servers
 * only, so it always gets the stdio entry.
 */
export function printClientConfig(options: ClientConfigOptions): string {
  const name = options.name ?? 'briefcase';
  const [command, ...args] = options.command;
  if (command === undefined || command === '') throw new Error('command must name the executable to run');
  const stdio = { command, args, env: { BRIEFCASE_DATA_DIR: options.dataDir } };

  const sections: string[] = [];
  const section = (title: string, body: unknown) => sections.push(`${title}\n${json(body)}`);

  if (options.transport === 'stdio') {
    section('# Claude Code: .mcp.json at the project root (or ~/.claude.json)', {
      mcpServers: { [name]: { type: 'stdio', ...stdio } },
    });
    section('# Claude Desktop: claude_desktop_config.json', { mcpServers: { [name]: stdio } });
    section('# Cursor: ~/.cursor/mcp.json (or .cursor/mcp.json in a project)', {
      mcpServers: { [name]: stdio },
    });
    section('# VS Code: .vscode/mcp.json', { servers: { [name]: { type: 'stdio', ...stdio } } });
    return `${sections.join('\n\n')}\n`;
  }

  if (options.url === undefined || options.token === undefined) {
    throw new Error('the http transport needs the url and the token');
  }
  const headers = { Authorization: `Bearer ${options.token}` };
  section('# Claude Code: .mcp.json at the project root (or ~/.claude.json)', {
    mcpServers: { [name]: { type: 'http', url: options.url, headers } },
  });
  section('# Cursor: ~/.cursor/mcp.json (or .cursor/mcp.json in a project)', {
    mcpServers: { [name]: { url: options.url, headers } },
  });
  section('# VS Code: .vscode/mcp.json', {
    servers: { [name]: { type: 'http', url: options.url, headers } },
  });
  section(
    '# Claude Desktop: claude_desktop_config.json (its config file starts local servers over stdio only)',
    { mcpServers: { [name]: stdio } },
  );
  return (
    `# These snippets contain the gateway token from ${options.dataDir}/gateway.token: keep the files\n` +
    `# private and out of version control. The token only opens the gateway; it cannot approve anything.\n\n${sections.join('\n\n')}\n`
  );
}
