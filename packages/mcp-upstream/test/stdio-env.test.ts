import { realpathSync } from 'node:fs';
import path from 'node:path';
import { createUpstreamPool, STDIO_DEFAULT_PATH, type UpstreamPool } from '@briefcase/mcp-upstream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  FIXTURES,
  firstText,
  isAlive,
  liveChildrenMatching,
  makeTempDir,
  removeTempDirs,
  stdioConfig,
} from './helpers.js';

const CANARY = 'BRIEFCASE_CANARY_SECRET';
let pool: UpstreamPool;
beforeAll(() => {
  process.env[CANARY] = 'canary-value-that-must-not-leak';
});
afterEach(async () => {
  await pool?.close();
});
afterAll(() => {
  delete process.env[CANARY];
  removeTempDirs();
});

describe('stdio servers', () => {
  it('see only PATH, HOME (= cwd) and the configured env, in the configured cwd', async () => {
    pool = createUpstreamPool();
    const config = stdioConfig('env-report', 'env-report-server.mjs', [], {
      env: { API_REGION: 'eu-west-1' },
    });
    const report = JSON.parse(firstText(await pool.callTool(config, 'report-env', {}))) as {
      env: Record<string, string>;
      cwd: string;
    };
    expect(Object.keys(report.env).sort()).toEqual(['API_REGION', 'HOME', 'PATH']);
    expect(report.env).toEqual({ API_REGION: 'eu-west-1', HOME: config.cwd, PATH: STDIO_DEFAULT_PATH });
    expect(realpathSync(report.cwd)).toBe(realpathSync(config.cwd as string));
    expect(JSON.stringify(report)).not.toContain('canary-value');
  });

  it('let the configured env override PATH and HOME', async () => {
    pool = createUpstreamPool();
    const config = stdioConfig('env-report', 'env-report-server.mjs', [], {
      env: { PATH: '/opt/bin:/usr/bin', HOME: '/nowhere' },
    });
    const report = JSON.parse(firstText(await pool.callTool(config, 'report-env', {}))) as {
      env: Record<string, string>;
    };
    expect(report.env).toEqual({ PATH: '/opt/bin:/usr/bin', HOME: '/nowhere' });
  });

  it('are killed with their whole process group on close', async () => {
    pool = createUpstreamPool();
    const server = path.join(FIXTURES, 'env-report-server.mjs');
    const config = {
      name: 'forking',
      transport: 'stdio' as const,
      // The shell leaves a grandchild behind, then becomes the MCP server.
      command: ['/bin/sh', '-c', `sleep 300 & exec "${process.execPath}" "${server}"`],
      cwd: makeTempDir(),
    };
    const { pid } = JSON.parse(firstText(await pool.callTool(config, 'report-env', {}))) as { pid: number };
    const [grandchild] = liveChildrenMatching('sleep 300', pid);
    expect(grandchild).toBeDefined();
    await pool.close('forking');
    expect(isAlive(pid)).toBe(false);
    // SIGKILL to the group is asynchronous for the orphaned grandchild.
    await vi.waitFor(() => expect(isAlive(grandchild as number)).toBe(false), { timeout: 2000 });
  });
});
