import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadOrCreateGatewayToken,
  parseHostPort,
  printClientConfig,
  VSCODE_TOKEN_INPUT,
} from '@briefcase/gateway';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** The JSON blocks of a printed config, keyed by their `# Client:` heading. */
function blocks(text: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const section of text.split('\n\n')) {
    const [heading, ...rest] = section.split('\n');
    if (!heading?.startsWith('# ') || rest.length === 0 || !rest[0]?.startsWith('{')) continue;
    out.set(heading.slice(2, heading.indexOf(':')), JSON.parse(rest.join('\n')));
  }
  return out;
}

const COMMAND = ['/usr/bin/node', '/abs/apps/cli/dist/main.js', 'gateway', '--stdio'];
const STDIO = {
  command: '/usr/bin/node',
  args: ['/abs/apps/cli/dist/main.js', 'gateway', '--stdio'],
  env: { BRIEFCASE_DATA_DIR: '/home/me/.local/share/briefcase' },
};

describe('printClientConfig', () => {
  it('prints stdio entries for Claude Code, Claude Desktop, Cursor and VS Code', () => {
    const text = printClientConfig({
      transport: 'stdio',
      dataDir: '/home/me/.local/share/briefcase',
      command: COMMAND,
    });
    const parsed = blocks(text);
    expect(parsed.get('Claude Code')).toEqual({ mcpServers: { briefcase: { type: 'stdio', ...STDIO } } });
    expect(parsed.get('Claude Desktop')).toEqual({ mcpServers: { briefcase: STDIO } });
    expect(parsed.get('Cursor')).toEqual({ mcpServers: { briefcase: STDIO } });
    expect(parsed.get('VS Code')).toEqual({ servers: { briefcase: { type: 'stdio', ...STDIO } } });
  });

  it('prints HTTP entries with the bearer header, and stdio for Claude Desktop', () => {
    const url = 'http://127.0.0.1:8766/mcp';
    const text = printClientConfig({
      transport: 'http',
      url,
      token: 'tok_123',
      dataDir: '/home/me/.local/share/briefcase',
      command: COMMAND,
      name: 'bc',
    });
    const headers = { Authorization: 'Bearer tok_123' };
    const parsed = blocks(text);
    expect(parsed.get('Claude Code')).toEqual({ mcpServers: { bc: { type: 'http', url, headers } } });
    expect(parsed.get('Cursor')).toEqual({ mcpServers: { bc: { url, headers } } });
    // VS Code asks for the token (inputs, password: true) instead of holding it in the file.
    expect(parsed.get('VS Code')).toEqual({
      inputs: [expect.objectContaining({ type: 'promptString', id: VSCODE_TOKEN_INPUT, password: true })],
      servers: {
        bc: { type: 'http', url, headers: { Authorization: `Bearer \${input:${VSCODE_TOKEN_INPUT}}` } },
      },
    });
    expect(JSON.stringify(parsed.get('VS Code'))).not.toContain('tok_123');
    expect(parsed.get('Claude Desktop')).toEqual({ mcpServers: { bc: STDIO } });
    expect(text).toMatch(/out of version control/);
  });

  it('refuses an HTTP config without url or token, and an empty command', () => {
    expect(() => printClientConfig({ transport: 'http', dataDir: '/d', command: COMMAND })).toThrow(/url/);
    expect(() => printClientConfig({ transport: 'stdio', dataDir: '/d', command: [] })).toThrow(/command/);
  });
});

describe('loadOrCreateGatewayToken', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bc-gateway-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 32-byte base64url token with mode 0600 once, then reuses it', () => {
    const token = loadOrCreateGatewayToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = join(dir, 'gateway.token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateGatewayToken(dir)).toBe(token);
    expect(loadOrCreateGatewayToken(join(dir, 'fresh'))).not.toBe(token);
  });

  it('tightens a readable token file and refuses garbage without echoing it', () => {
    const file = join(dir, 'gateway.token');
    writeFileSync(file, 'x'.repeat(43));
    chmodSync(file, 0o644);
    loadOrCreateGatewayToken(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'short SECRET-ISH');
    expect(() => loadOrCreateGatewayToken(dir)).toThrow(/does not hold a usable token/);
    expect(() => loadOrCreateGatewayToken(dir)).not.toThrow(/SECRET-ISH/);
    expect(readFileSync(file, 'utf8')).toBe('short SECRET-ISH');
  });
});

describe('addresses', () => {
  it('parses HOST:PORT, including IPv6', () => {
    expect(parseHostPort('127.0.0.1:8766')).toEqual({ host: '127.0.0.1', port: 8766 });
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    for (const bad of ['127.0.0.1', ':80', '127.0.0.1:99999', '::1:80', 'a:b']) {
      expect(() => parseHostPort(bad), bad).toThrow(/HOST:PORT/);
    }
  });
});
