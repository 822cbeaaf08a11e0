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

/** The MCP clients {@link clientConfig} writes configuration for (`--print-config --client`). */
export const MCP_CLIENTS = ['claude-code', 'cursor', 'vscode', 'claude-desktop'] as const;
export type McpClientName = (typeof MCP_CLIENTS)[number];

/** Where each client reads its configuration, for the person to know where the entry goes. */
export const MCP_CLIENT_FILES: Record<McpClientName, string> = {
  'claude-code': '.mcp.json at the project root (or ~/.claude.json)',
  cursor: '~/.cursor/mcp.json (or .cursor/mcp.json in a project)',
  vscode: '.vscode/mcp.json',
  'claude-desktop': 'claude_desktop_config.json',
};

/** VS Code's `inputs` id for the gateway token: VS Code asks for it once and stores it itself. */
export const VSCODE_TOKEN_INPUT = 'briefcase-gateway-token';

/** One client's configuration and whether it embeds the gateway token (then the file is a secret). */
export interface ClientConfig {
  config: Record<string, unknown>;
  containsToken: boolean;
  /** The transport actually configured: Claude Desktop's config file starts local stdio servers only. */
  transport: 'stdio' | 'http';
}

/**
 * The configuration of one MCP client for the gateway, using only fields that client documents:
 * `command`/`args`/`env` for stdio, `url`/`headers` (plus `type` where the client wants it) for
 * HTTP. VS Code gets the token through `inputs` (`promptString`, `password: true`), so its file
 * holds no secret; Claude Desktop always gets the stdio entry.
 */
export function clientConfig(client: McpClientName, options: ClientConfigOptions): ClientConfig {
  const name = options.name ?? 'briefcase';
  const [command, ...args] = options.command;
  if (command === undefined || command === '') throw new Error('command must name the executable to run');
  const stdio = { command, args, env: { BRIEFCASE_DATA_DIR: options.dataDir } };
  if (options.transport === 'stdio' || client === 'claude-desktop') {
    const entry = client === 'claude-code' || client === 'vscode' ? { type: 'stdio', ...stdio } : stdio;
    const config = client === 'vscode' ? { servers: { [name]: entry } } : { mcpServers: { [name]: entry } };
    return { config, containsToken: false, transport: 'stdio' };
  }
  const url = options.url;
  if (url === undefined) throw new Error('the http transport needs the url');
  if (client === 'vscode') {
    return {
      config: {
        inputs: [
          {
            type: 'promptString',
            id: VSCODE_TOKEN_INPUT,
            description: `Credential Briefcase gateway token (the content of ${options.dataDir}/gateway.token)`,
            password: true,
          },
        ],
        servers: {
          [name]: { type: 'http', url, headers: { Authorization: `Bearer \${input:${VSCODE_TOKEN_INPUT}}` } },
        },
      },
      containsToken: false,
      transport: 'http',
    };
  }
  if (options.token === undefined) throw new Error('the http transport needs the url and the token');
  const headers = { Authorization: `Bearer ${options.token}` };
  const entry = client === 'claude-code' ? { type: 'http', url, headers } : { url, headers };
  return { config: { mcpServers: { [name]: entry } }, containsToken: true, transport: 'http' };
}

/**
 * Ready-to-paste MCP client configuration for the gateway, every client at once: Claude Code,
 * Claude Desktop, Cursor and VS Code (see {@link clientConfig} for each).
 */
export function printClientConfig(options: ClientConfigOptions): string {
  const order: McpClientName[] =
    options.transport === 'stdio'
      ? ['claude-code', 'claude-desktop', 'cursor', 'vscode']
      : ['claude-code', 'cursor', 'vscode', 'claude-desktop'];
  if (options.transport === 'http' && (options.url === undefined || options.token === undefined)) {
    throw new Error('the http transport needs the url and the token');
  }
  const titles: Record<McpClientName, string> = {
    'claude-code': `# Claude Code: ${MCP_CLIENT_FILES['claude-code']}`,
    cursor: `# Cursor: ${MCP_CLIENT_FILES.cursor}`,
    vscode: `# VS Code: ${MCP_CLIENT_FILES.vscode}${options.transport === 'http' ? ' (VS Code asks for the token once)' : ''}`,
    'claude-desktop': `# Claude Desktop: ${MCP_CLIENT_FILES['claude-desktop']}${options.transport === 'http' ? ' (its config file starts local servers over stdio only)' : ''}`,
  };
  const sections = order.map((client) => `${titles[client]}\n${json(clientConfig(client, options).config)}`);
  if (options.transport === 'stdio') return `${sections.join('\n\n')}\n`;
  return (
    `# These snippets contain the gateway token from ${options.dataDir}/gateway.token: keep the files\n` +
    `# private and out of version control. The token only opens the gateway; it cannot approve anything.\n\n${sections.join('\n\n')}\n`
  );
}
