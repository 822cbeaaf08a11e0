import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cachedCatalog,
  forgetCatalog,
  newCatalogState,
  noteToolsChanged,
  toolHashIn,
} from '../src/catalog-cache.js';
import { toolDefinitionHash, type UpstreamTool } from '../src/tools.js';

const tool = (name: string): UpstreamTool => ({ name, inputSchema: { type: 'object' } });

/** A load whose result the test hands out when it chooses. */
function deferredLoad() {
  let resolve: (tools: UpstreamTool[]) => void = () => {};
  const load = vi.fn(
    () =>
      new Promise<UpstreamTool[]>((r) => {
        resolve = r;
      }),
  );
  return { load, finish: (tools: UpstreamTool[]) => resolve(tools) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('cachedCatalog', () => {
  it('serves the cache within the TTL, reloads after it, and on refresh', async () => {
    vi.useFakeTimers();
    const state = newCatalogState();
    let listing = 0;
    const load = vi.fn(async () => [tool(`t${++listing}`)]);
    const get = (refresh = false) =>
      cachedCatalog(state, { ttlMs: 1000, refresh, load, mayCache: () => true });

    const first = await get();
    expect(await get()).toBe(first);
    vi.advanceTimersByTime(999);
    expect(await get()).toBe(first);
    vi.advanceTimersByTime(1);
    expect((await get()).map((t) => t.name)).toEqual(['t2']);
    expect((await get(true)).map((t) => t.name)).toEqual(['t3']);
    expect(load).toHaveBeenCalledTimes(3);
  });

  it('shares one load among concurrent callers', async () => {
    const state = newCatalogState();
    const { load, finish } = deferredLoad();
    const options = { ttlMs: 60_000, refresh: false, load, mayCache: () => true };
    const both = Promise.all([
      cachedCatalog(state, options),
      cachedCatalog(state, { ...options, refresh: true }),
    ]);
    finish([tool('a')]);
    const [a, b] = await both;
    expect(a).toBe(b);
    expect(load).toHaveBeenCalledTimes(1);
    expect(state.loading).toBeNull();
  });

  it('returns but does not cache a listing that a list_changed overtook', async () => {
    const state = newCatalogState();
    const { load, finish } = deferredLoad();
    const pending = cachedCatalog(state, { ttlMs: 60_000, refresh: false, load, mayCache: () => true });
    expect(noteToolsChanged(state)).toBe(true);
    finish([tool('stale')]);
    expect((await pending).map((t) => t.name)).toEqual(['stale']);
    expect(state.current).toBeNull();
  });

  it('does not cache when mayCache says no (the server was removed meanwhile)', async () => {
    const state = newCatalogState();
    await cachedCatalog(state, {
      ttlMs: 60_000,
      refresh: false,
      load: async () => [tool('a')],
      mayCache: () => false,
    });
    expect(state.current).toBeNull();
  });

  it('lets a failed load be retried', async () => {
    const state = newCatalogState();
    const options = { ttlMs: 60_000, refresh: false, mayCache: () => true };
    await expect(
      cachedCatalog(state, { ...options, load: () => Promise.reject(new Error('down')) }),
    ).rejects.toThrow('down');
    await Promise.resolve(); // the cleanup of the failed load runs a microtask later
    expect(
      (await cachedCatalog(state, { ...options, load: async () => [tool('b')] })).map((t) => t.name),
    ).toEqual(['b']);
  });
});

describe('list_changed', () => {
  it('is news once until the catalog is read again', async () => {
    const state = newCatalogState();
    expect(noteToolsChanged(state)).toBe(true);
    expect(noteToolsChanged(state)).toBe(false);
    await cachedCatalog(state, { ttlMs: 60_000, refresh: false, load: async () => [], mayCache: () => true });
    expect(noteToolsChanged(state)).toBe(true);
  });

  it('forgetCatalog drops the listing without counting as a change', async () => {
    const state = newCatalogState();
    await cachedCatalog(state, { ttlMs: 60_000, refresh: false, load: async () => [], mayCache: () => true });
    forgetCatalog(state);
    expect(state).toMatchObject({ current: null, generation: 0, changeAnnounced: false });
  });
});

describe('toolHashIn', () => {
  it('hashes the named tool once per listing and answers undefined for an unknown name', () => {
    const tools = [tool('a'), tool('b')];
    expect(toolHashIn(tools, 'b')).toBe(toolDefinitionHash(tool('b')));
    expect(toolHashIn(tools, 'missing')).toBeUndefined();
    // Cached per listing: a changed definition shows only in a new listing, as from a new load.
    (tools[1] as UpstreamTool).description = 'changed';
    expect(toolHashIn(tools, 'b')).toBe(toolDefinitionHash(tool('b')));
    expect(toolHashIn([...tools], 'b')).not.toBe(toolDefinitionHash(tool('b')));
  });
});
