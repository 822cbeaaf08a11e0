import * as z from 'zod';
import { cachedCatalog, toolHashIn } from './catalog-cache.js';
import type { UpstreamServerConfig } from './config.js';
import { noteFailure } from './health.js';
import { MAX_CURSOR_CHARS, MAX_TOOL_PAGES, MAX_TOOLS_PER_SERVER } from './limits.js';
import { type Entry, entryFor, type PoolContext } from './registry.js';
import { runRequest } from './run-request.js';
import { sdkRequestOptions } from './session.js';
import { sanitizeTools, type UpstreamTool } from './tools.js';

/** `tools/list` result, parsed leniently: each tool is checked on its own so one bad entry is dropped, not fatal. */
const ToolsPageSchema = z.looseObject({
  tools: z.array(z.unknown()),
  nextCursor: z.string().max(MAX_CURSOR_CHARS).nullish(),
});

/**
 * Every page of a server's `tools/list`, reduced to the usable tools (the rest are logged with
 * reason `invalid_tool`). Too many pages or tools fail with `too_large`, a repeated cursor with
 * `protocol`: a server must not keep the pool paging forever. Neither breaks the session.
 */
async function fetchCatalog(ctx: PoolContext, entry: Entry): Promise<UpstreamTool[]> {
  const { name: server, config } = entry;
  const collected: unknown[] = [];
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; ; page += 1) {
    if (page >= MAX_TOOL_PAGES) {
      throw noteFailure(
        ctx,
        entry,
        'too_large',
        `Server "${server}" announced more than ${MAX_TOOL_PAGES} pages of tools.`,
      );
    }
    const params = cursor === undefined ? undefined : { cursor };
    const result = await runRequest(
      ctx,
      entry,
      'listing tools',
      config.timeoutMs,
      undefined,
      (session, signal) =>
        session.client.request(
          { method: 'tools/list', ...(params ? { params } : {}) },
          ToolsPageSchema,
          sdkRequestOptions(config.timeoutMs, signal),
        ),
    );
    if (collected.length + result.tools.length > MAX_TOOLS_PER_SERVER) {
      throw noteFailure(
        ctx,
        entry,
        'too_large',
        `Server "${server}" announced more than ${MAX_TOOLS_PER_SERVER} tools.`,
      );
    }
    collected.push(...result.tools);
    const next = result.nextCursor ?? undefined;
    if (next === undefined) break;
    if (seenCursors.has(next)) {
      throw noteFailure(
        ctx,
        entry,
        'protocol',
        `Server "${server}" repeated a pagination cursor while listing tools.`,
      );
    }
    seenCursors.add(next);
    cursor = next;
  }
  const { tools, dropped } = sanitizeTools(collected);
  for (const tool of dropped) {
    ctx.log('warn', 'upstream tool dropped', {
      server,
      reason: 'invalid_tool',
      tool: tool.name,
      index: tool.index,
      why: tool.why,
    });
  }
  return tools;
}

/** The cached catalog itself (never handed out: callers get a copy or a hash). */
async function catalogOf(
  ctx: PoolContext,
  config: UpstreamServerConfig,
  opts: { refresh?: boolean; maxAgeMs?: number },
): Promise<UpstreamTool[]> {
  const entry = entryFor(ctx, config);
  return cachedCatalog(entry.catalog, {
    ttlMs: opts.maxAgeMs ?? ctx.catalogTtlMs,
    refresh: Boolean(opts.refresh),
    load: () => fetchCatalog(ctx, entry),
    mayCache: () => !entry.retired,
  });
}

/** See {@link UpstreamPool.listTools}. */
export async function listTools(
  ctx: PoolContext,
  config: UpstreamServerConfig,
  opts: { refresh?: boolean } = {},
): Promise<UpstreamTool[]> {
  return structuredClone(await catalogOf(ctx, config, opts));
}

/** See {@link UpstreamPool.toolHash}. */
export async function toolHash(
  ctx: PoolContext,
  config: UpstreamServerConfig,
  toolName: string,
): Promise<string | undefined> {
  // Not the listing TTL: a silent change must not keep running for a whole TTL (see pinCheckMaxAgeMs).
  return toolHashIn(await catalogOf(ctx, config, { maxAgeMs: ctx.pinCheckMaxAgeMs }), toolName);
}
