import { BriefcaseError } from '@briefcase/core';
import {
  createUpstreamPool,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  isValidServerName,
  isValidToolName,
  type UpstreamServerConfig,
  validateServerConfig,
  validateServerUrl,
} from '@briefcase/mcp-upstream';
import { describe, expect, it } from 'vitest';

function invalidArgs(fn: () => unknown): BriefcaseError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BriefcaseError);
    expect((error as BriefcaseError).code).toBe('invalid_args');
    return error as BriefcaseError;
  }
  throw new Error('expected invalid_args');
}

describe('server names', () => {
  it.each(['a', 'github', 'my.server-1_x', 'A'.repeat(64)])('accepts %j', (name) => {
    expect(isValidServerName(name)).toBe(true);
  });
  it.each(['', 'A'.repeat(65), 'has space', 'slash/name', 'ünïcode', 'new\nline', 42, null])(
    'rejects %j',
    (name) => {
      expect(isValidServerName(name)).toBe(false);
    },
  );
});

describe('tool names', () => {
  it('accepts 1-128 of [A-Za-z0-9_.-] and nothing else', () => {
    expect(isValidToolName('get-sum')).toBe(true);
    expect(isValidToolName('x'.repeat(128))).toBe(true);
    expect(isValidToolName('x'.repeat(129))).toBe(false);
    expect(isValidToolName('a b')).toBe(false);
    expect(isValidToolName('a\u200Bb')).toBe(false);
  });
});

describe('validateServerUrl', () => {
  it.each([
    'https://mcp.example.com/mcp',
    'https://mcp.example.com:8443/v1/mcp?tenant=a',
    'http://127.0.0.1:3001/mcp',
    'http://[::1]:3001/mcp',
    'http://localhost/mcp',
  ])('accepts %s', (url) => {
    expect(validateServerUrl(url)).toBeInstanceOf(URL);
  });

  it.each([
    ['http://mcp.example.com/mcp', /https unless the host is 127\.0\.0\.1, ::1 or localhost/],
    ['http://127.0.0.2/mcp', /https unless/],
    ['http://10.0.0.1/mcp', /https unless/],
    ['https://user:hunter2@mcp.example.com/mcp', /must not contain a user name or password/],
    ['https://token@mcp.example.com/mcp', /must not contain a user name or password/],
    ['https://mcp.example.com/mcp#frag', /must not contain a fragment/],
    ['https://mcp.example.com/mcp#', /must not contain a fragment/],
    ['ftp://mcp.example.com/mcp', /must use https/],
    ['file:///etc/passwd', /must use https/],
    ['not a url', /not a valid absolute URL/],
    ['', /non-empty/],
  ])('rejects %s', (url, message) => {
    const error = invalidArgs(() => validateServerUrl(url));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('hunter2');
  });
});

describe('validateServerConfig', () => {
  it('applies defaults', () => {
    expect(
      validateServerConfig({ name: 's', transport: 'streamable_http', url: 'https://x.example/mcp' }),
    ).toEqual({
      name: 's',
      transport: 'streamable_http',
      url: 'https://x.example/mcp',
      timeoutMs: DEFAULT_TIMEOUT_MS,
      maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    });
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(4 * 1024 * 1024);
  });

  it.each([
    [{ name: 'bad name', transport: 'stdio', command: ['x'], cwd: '/tmp' }, /server name/],
    [{ name: 's', transport: 'stdio', command: ['x'] }, /needs cwd/],
    [{ name: 's', transport: 'stdio', command: ['x'], cwd: 'relative' }, /needs cwd/],
    [{ name: 's', transport: 'stdio', command: [], cwd: '/tmp' }, /command must be/],
    [{ name: 's', transport: 'stdio', command: ['a\0b'], cwd: '/tmp' }, /without NUL/],
    [{ name: 's', transport: 'stdio', command: ['x'], cwd: '/tmp', env: { 'BAD-KEY': 'v' } }, /env keys/],
    [
      { name: 's', transport: 'stdio', command: ['x'], cwd: '/tmp', url: 'https://x.example' },
      /url is not used/,
    ],
    [{ name: 's', transport: 'sse', url: 'https://x.example', command: ['x'] }, /only for the stdio/],
    [{ name: 's', transport: 'sse' }, /needs a url/],
    [{ name: 's', transport: 'streamable_http', url: 'http://x.example/mcp' }, /https unless/],
    [{ name: 's', transport: 'websocket', url: 'https://x.example' }, /transport must be/],
    [{ name: 's', transport: 'sse', url: 'https://x.example', timeoutMs: 0 }, /timeoutMs/],
    [{ name: 's', transport: 'sse', url: 'https://x.example', maxResponseBytes: 1.5 }, /maxResponseBytes/],
  ])('rejects %j', (config, message) => {
    expect(invalidArgs(() => validateServerConfig(config as UpstreamServerConfig)).message).toMatch(message);
  });

  it('never echoes env values', () => {
    const error = invalidArgs(() =>
      validateServerConfig({
        name: 's',
        transport: 'stdio',
        command: ['x'],
        cwd: '/tmp',
        env: { KEY: 'sk-\0secret' },
      }),
    );
    expect(error.message).not.toContain('secret');
  });
});

describe('pool argument checks', () => {
  it('rejects bad configs, tool names and args with invalid_args before any I/O', async () => {
    const pool = createUpstreamPool();
    const config: UpstreamServerConfig = {
      name: 's',
      transport: 'stdio',
      command: ['/bin/false'],
      cwd: '/tmp',
    };
    await expect(pool.listTools({ ...config, cwd: undefined })).rejects.toMatchObject({
      code: 'invalid_args',
    });
    await expect(pool.callTool(config, 'bad name', {})).rejects.toMatchObject({ code: 'invalid_args' });
    await expect(pool.callTool(config, 'ok', [] as unknown as Record<string, unknown>)).rejects.toMatchObject(
      {
        code: 'invalid_args',
      },
    );
    await expect(pool.callTool(config, 'ok', { n: 1n })).rejects.toMatchObject({ code: 'invalid_args' });
    expect(pool.status('s')).toEqual({ connected: false, lastError: null, reconnectAttempts: 0 });
    expect(pool.status('unknown')).toEqual({ connected: false, lastError: null, reconnectAttempts: 0 });
    await pool.close();
  });
});
