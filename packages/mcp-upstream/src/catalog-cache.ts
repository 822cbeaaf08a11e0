import { toolDefinitionHash, type UpstreamTool } from './tools.js';

/** One server's tool catalog as the pool caches it. */
export interface CatalogState {
  /** The last complete listing; never handed out (callers get a copy or a hash). */
  current: { tools: UpstreamTool[]; fetchedAt: number } | null;
  /** The listing under way, shared by everyone who asks meanwhile. */
  loading: Promise<UpstreamTool[]> | null;
  /** Bumped by every list_changed, so a listing that started before one is not cached. */
  generation: number;
  /** list_changed was already reported and the catalog not read since: don't report it again. */
  changeAnnounced: boolean;
}

/** An empty catalog state. */
export function newCatalogState(): CatalogState {
  return { current: null, loading: null, generation: 0, changeAnnounced: false };
}

/** Drops the cached listing, e.g. on a new session: tools may have changed while nobody listened. */
export function forgetCatalog(state: CatalogState): void {
  state.current = null;
}

/**
 * Records `notifications/tools/list_changed`: the cached listing and any listing under way are
 * stale. Returns true when the change is news (not announced since the catalog was last read).
 */
export function noteToolsChanged(state: CatalogState): boolean {
  state.current = null;
  state.generation += 1;
  if (state.changeAnnounced) return false;
  state.changeAnnounced = true;
  return true;
}

/**
 * The cached listing while younger than `ttlMs` (unless `refresh`), else the result of `load`. One
 * load at a time: concurrent callers share it. A result is cached only when no list_changed arrived
 * while it loaded and `mayCache()` still agrees (e.g. the server was not removed meanwhile).
 */
export function cachedCatalog(
  state: CatalogState,
  options: {
    ttlMs: number;
    refresh: boolean;
    load: () => Promise<UpstreamTool[]>;
    mayCache: () => boolean;
  },
): Promise<UpstreamTool[]> {
  const cached = state.current;
  if (!options.refresh && cached && Date.now() - cached.fetchedAt < options.ttlMs) {
    return Promise.resolve(cached.tools);
  }
  if (!state.loading) {
    const generation = state.generation;
    const load = options.load().then((tools) => {
      // A list_changed that arrived meanwhile makes this result stale: return it, don't cache it.
      if (state.generation === generation && options.mayCache()) {
        state.current = { tools, fetchedAt: Date.now() };
        state.changeAnnounced = false;
      }
      return tools;
    });
    load
      .finally(() => {
        if (state.loading === load) state.loading = null;
      })
      .catch(() => undefined); // the caller observes the rejection
    state.loading = load;
  }
  return state.loading;
}

// Hashes per listing, keyed by the listing array itself: a new listing is a new array, so a stale
// hash can never be served, and hashes of a dropped listing are garbage-collected with it.
const hashesByListing = new WeakMap<UpstreamTool[], Map<string, string | undefined>>();

/**
 * The {@link toolDefinitionHash} of the tool named `toolName` in `tools`, or undefined when there is
 * none; computed once per listing and name, since it is checked on every call.
 */
export function toolHashIn(tools: UpstreamTool[], toolName: string): string | undefined {
  let hashes = hashesByListing.get(tools);
  if (!hashes) {
    hashes = new Map();
    hashesByListing.set(tools, hashes);
  }
  if (!hashes.has(toolName)) {
    const tool = tools.find((t) => t.name === toolName);
    hashes.set(toolName, tool ? toolDefinitionHash(tool) : undefined);
  }
  return hashes.get(toolName);
}
