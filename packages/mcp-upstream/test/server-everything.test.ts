import type { UpstreamServerConfig } from '@briefcase/mcp-upstream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EVERYTHING,
  firstText,
  isAlive,
  liveChildrenMatching,
  logRecorder,
  removeTempDirs,
  type ServerProcess,
  startCountingProxy,
  startEverythingHttp,
  stdioConfig,
  trackedPools,
} from './helpers.js';

// The official example server; its tools include `echo` and `get-sum`.
const newPool = trackedPools();
afterAll(removeTempDirs);

describe('server-everything over stdio', () => {
  const config = (): UpstreamServerConfig => stdioConfig('everything', EVERYTHING, ['stdio']);

  it('lists its tools and calls echo and get-sum', async () => {
    const pool = newPool();
    const cfg = config();
    const tools = await pool.listTools(cfg);
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    const echo = tools.find((tool) => tool.name === 'echo');
    expect(echo?.inputSchema).toMatchObject({ type: 'object', properties: { message: { type: 'string' } } });
    expect(echo?.annotations).toMatchObject({ readOnlyHint: true });

    expect(firstText(await pool.callTool(cfg, 'echo', { message: 'hello upstream' }))).toBe(
      'Echo: hello upstream',
    );
    expect(firstText(await pool.callTool(cfg, 'get-sum', { a: 2, b: 40 }))).toBe(
      'The sum of 2 and 40 is 42.',
    );
    expect(pool.status('everything')).toEqual({ connected: true, lastError: null, reconnectAttempts: 0 });
  });

  it('reuses one child process for many calls, including concurrent first calls', async () => {
    const recorder = logRecorder();
    const pool = newPool({ log: recorder.log });
    const cfg = config();
    const first = await Promise.all(
      Array.from({ length: 5 }, (_, i) => pool.callTool(cfg, 'echo', { message: `concurrent ${i}` })),
    );
    expect(first.map(firstText)).toEqual([0, 1, 2, 3, 4].map((i) => `Echo: concurrent ${i}`));
    for (let i = 0; i < 20; i += 1) await pool.callTool(cfg, 'get-sum', { a: i, b: 1 });
    await pool.listTools(cfg, { refresh: true });

    const children = liveChildrenMatching(EVERYTHING);
    expect(children).toHaveLength(1);
    expect(recorder.entries.filter((entry) => entry.msg === 'upstream connected')).toHaveLength(1);

    // close() terminates the child.
    await pool.close('everything');
    expect(children.every((pid) => !isAlive(pid))).toBe(true);
    expect(pool.status('everything').connected).toBe(false);
  });

  it('replaces the session when the config for the name changes', async () => {
    const pool = newPool();
    const cfg = config();
    await pool.callTool(cfg, 'echo', { message: 'one' });
    const [before] = liveChildrenMatching(EVERYTHING);
    await pool.callTool({ ...cfg, env: { EXTRA: '1' } }, 'echo', { message: 'two' });
    expect(before).toBeDefined();
    // The old child is shut down in the background (stdin closed, then SIGTERM).
    await vi.waitFor(() => expect(isAlive(before as number)).toBe(false), { timeout: 5000 });
    const after = liveChildrenMatching(EVERYTHING);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
  });
});

describe('server-everything over Streamable HTTP', () => {
  let server: ServerProcess;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  beforeAll(async () => {
    server = await startEverythingHttp('streamableHttp');
    proxy = await startCountingProxy(server.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('lists tools, calls echo, and keeps one MCP session for every call', async () => {
    const pool = newPool();
    const cfg: UpstreamServerConfig = {
      name: 'everything-http',
      transport: 'streamable_http',
      url: `http://127.0.0.1:${proxy.port}/mcp`,
    };
    const before = proxy.initializeRequests();
    const [tools] = await Promise.all([
      pool.listTools(cfg),
      pool.callTool(cfg, 'echo', { message: 'racing the first connect' }),
    ]);
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    for (let i = 0; i < 15; i += 1) {
      expect(firstText(await pool.callTool(cfg, 'echo', { message: `call ${i}` }))).toBe(`Echo: call ${i}`);
    }
    expect(firstText(await pool.callTool(cfg, 'get-sum', { a: 1, b: 2 }))).toBe('The sum of 1 and 2 is 3.');
    expect(proxy.initializeRequests() - before).toBe(1);
    expect(pool.status('everything-http')).toMatchObject({ connected: true, reconnectAttempts: 0 });
  });
});

describe('server-everything over legacy SSE', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startEverythingHttp('sse');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists tools and calls echo', async () => {
    const pool = newPool();
    const cfg: UpstreamServerConfig = {
      name: 'everything-sse',
      transport: 'sse',
      url: `http://127.0.0.1:${server.port}/sse`,
    };
    const tools = await pool.listTools(cfg);
    expect(tools.map((tool) => tool.name)).toContain('echo');
    expect(firstText(await pool.callTool(cfg, 'echo', { message: 'over sse' }))).toBe('Echo: over sse');
  });
});
