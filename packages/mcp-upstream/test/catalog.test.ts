import { MAX_TOOL_PAGES, toolDefinitionHash, UpstreamError } from '@briefcase/mcp-upstream';
import { afterAll, describe, expect, it } from 'vitest';
import { firstText, logRecorder, removeTempDirs, stdioConfig, trackedPools } from './helpers.js';

const newPool = trackedPools();
afterAll(removeTempDirs);

describe('tools/list pagination and validation', () => {
  it('follows nextCursor over every page, drops invalid and duplicate tools, and caches the catalog', async () => {
    const recorder = logRecorder();
    const pool = newPool({ log: recorder.log });
    const config = stdioConfig('pages', 'paginating-server.mjs', ['pages']);
    const tools = await pool.listTools(config);
    expect(tools.map((tool) => tool.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(tools[0]).toEqual({
      name: 'alpha',
      description: 'First',
      inputSchema: { type: 'object', properties: {} },
    });

    const dropped = recorder.entries.filter((entry) => entry.fields.reason === 'invalid_tool');
    // 9 invalid entries on page 0, and both copies of "dup".
    expect(dropped).toHaveLength(11);
    expect(dropped.map((entry) => entry.fields.tool)).toEqual(
      expect.arrayContaining(['bad name', 'no-schema', 'string-schema', 'array-type', 'too-deep', 'dup']),
    );
    // Hostile names reach the log only as printable excerpts.
    for (const entry of dropped) {
      const name = entry.fields.tool;
      if (typeof name === 'string') expect(name).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    }

    // Three pages were fetched once; the second listing is served from cache.
    expect(firstText(await pool.callTool(config, 'list-count', {}))).toBe('3');
    await pool.listTools(config);
    expect(firstText(await pool.callTool(config, 'list-count', {}))).toBe('3');
    await pool.listTools(config, { refresh: true });
    expect(firstText(await pool.callTool(config, 'list-count', {}))).toBe('6');
  });

  it('expires the cache after catalogTtlMs', async () => {
    const pool = newPool({ catalogTtlMs: 1 });
    const config = stdioConfig('pages', 'paginating-server.mjs', ['pages']);
    await pool.listTools(config);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await pool.listTools(config);
    expect(firstText(await pool.callTool(config, 'list-count', {}))).toBe('6');
  });

  it('lists again for the call-time pin check once the catalog is older than pinCheckMaxAgeMs', async () => {
    const config = stdioConfig('pages', 'paginating-server.mjs', ['pages']);
    // 0: every pin check lists (3 pages each), while plain listings are still served from cache.
    const every = newPool({ catalogTtlMs: 600_000, pinCheckMaxAgeMs: 0 });
    await every.listTools(config);
    await every.listTools(config);
    const [alpha] = await every.listTools(config);
    expect(await every.toolHash(config, 'alpha')).toBe(alpha && toolDefinitionHash(alpha));
    await every.toolHash(config, 'alpha');
    expect(firstText(await every.callTool(config, 'list-count', {}))).toBe('9');
    // A window no call outlives here: one listing serves the checks.
    const windowed = newPool({ catalogTtlMs: 600_000, pinCheckMaxAgeMs: 600_000 });
    await windowed.listTools(config);
    await windowed.toolHash(config, 'alpha');
    await windowed.toolHash(config, 'beta');
    expect(firstText(await windowed.callTool(config, 'list-count', {}))).toBe('3');
  });

  it(`gives up after ${MAX_TOOL_PAGES} pages with "too_large"`, async () => {
    const pool = newPool();
    const config = stdioConfig('endless', 'paginating-server.mjs', ['endless']);
    const error = await pool.listTools(config).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ reason: 'too_large' });
    // Not a transport failure: the session stays.
    expect(pool.status('endless').connected).toBe(true);
  });

  it('rejects a repeated cursor with "protocol"', async () => {
    const pool = newPool();
    const config = stdioConfig('repeat', 'paginating-server.mjs', ['repeat']);
    await expect(pool.listTools(config)).rejects.toMatchObject({ reason: 'protocol' });
  });
});

describe('notifications/tools/list_changed', () => {
  it('invalidates the catalog, calls onToolsChanged, and the next listing shows the new definition', async () => {
    const changed: string[] = [];
    let announce: () => void = () => {};
    const pool = newPool({
      catalogTtlMs: 600_000,
      onToolsChanged: (server) => {
        changed.push(server);
        announce();
      },
    });
    const config = stdioConfig('shifty', 'list-changed-server.mjs');
    const before = await pool.listTools(config);
    const greetBefore = before.find((tool) => tool.name === 'greet');
    expect(greetBefore?.description).toBe('Says hello (v1).');

    const announced = new Promise<void>((resolve) => {
      announce = resolve;
    });
    expect(firstText(await pool.callTool(config, 'bump', {}))).toBe('now v2');
    await announced;
    expect(changed).toEqual(['shifty']);

    const after = await pool.listTools(config); // no refresh: the notification invalidated the cache
    const greetAfter = after.find((tool) => tool.name === 'greet');
    expect(greetAfter?.description).toBe('Says hello (v2).');
    expect(toolDefinitionHash(greetAfter as NonNullable<typeof greetAfter>)).not.toBe(
      toolDefinitionHash(greetBefore as NonNullable<typeof greetBefore>),
    );
  });
});
