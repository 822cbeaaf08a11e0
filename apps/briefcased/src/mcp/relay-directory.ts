import { BriefcaseError, isBriefcaseError, isRecord } from '@briefcase/core';
import type { UpstreamPool, UpstreamServerConfig } from '@briefcase/mcp-upstream';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerRecord } from '../db/mcp.js';
import { redactResult } from '../pipeline/redact.js';

/** What the directory reads: the servers, their sessions, and whether the policy lets a listing through. */
export interface RelayDirectoryDeps {
  pool: UpstreamPool;
  /** Registered servers, in registration order. */
  servers: () => McpServerRecord[];
  configFor: (server: McpServerRecord) => Promise<UpstreamServerConfig>;
  knownSecrets: () => readonly string[];
  /** How long listings of resources, templates and prompts are reused (list_changed clears them). */
  listingTtlMs: number;
  log: { warn(fields: object, msg: string): void };
  /** Whether the policy lets `agent` list `method` on `server` (asked on every listing, cached or not). */
  allowed: (agent: string, server: string, method: string) => boolean;
}

type Item = Record<string, unknown>;
interface Listing {
  items: Item[];
  at: number;
}
type ListKind = 'resources' | 'resourceTemplates' | 'prompts';

const LIST_METHOD: Record<ListKind, 'resources/list' | 'resources/templates/list' | 'prompts/list'> = {
  resources: 'resources/list',
  resourceTemplates: 'resources/templates/list',
  prompts: 'prompts/list',
};
const MAX_LIST_PAGES = 50;
const MAX_LIST_ITEMS = 10_000;
/** The `_meta` key carrying which server an item came from. */
export const SERVER_META_KEY = 'briefcase/server';

/** A name or URI as it may appear in a message: quoted, and clipped so hostile text stays readable. */
export const printable = (text: string) =>
  JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);

/**
 * What the relay knows of the remote servers' resources and prompts: each server's capabilities and
 * listings (all pages, cached, scrubbed of known secrets), merged across servers, and which server
 * owns a resource URI or a prompt name. Each server's part of a listing is decided by the policy on
 * its own; the agent's listing as a whole is one attempt with one receipt (relay.ts).
 */
export function createRelayDirectory(deps: RelayDirectoryDeps) {
  const { pool } = deps;
  const listings = new Map<string, Listing>(); // `${kind}\0${server}`
  const capabilitiesOf = new Map<string, ServerCapabilities>();

  async function capabilities(server: McpServerRecord): Promise<ServerCapabilities> {
    const known = capabilitiesOf.get(server.name);
    if (known) return known;
    const caps = await pool.serverCapabilities(await deps.configFor(server));
    capabilitiesOf.set(server.name, caps);
    return caps;
  }

  const supports = (caps: ServerCapabilities, kind: ListKind) =>
    kind === 'prompts' ? caps.prompts !== undefined : caps.resources !== undefined;

  /** One server's full listing of `kind` (all pages), cached; scrubbed of known secrets. */
  async function listingOf(server: McpServerRecord, kind: ListKind, agent: string): Promise<Item[]> {
    const method = LIST_METHOD[kind];
    // Asked on every listing, cached or not: a policy change applies at once.
    if (!deps.allowed(agent, server.name, method)) return [];
    const key = `${kind}\0${server.name}`;
    const cached = listings.get(key);
    if (cached && Date.now() - cached.at < deps.listingTtlMs) return cached.items;
    const caps = await capabilities(server);
    if (!supports(caps, kind)) return [];
    const config = await deps.configFor(server);
    const items: Item[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const result = await pool.request(config, method, cursor === undefined ? {} : { cursor });
      const list = result[kind];
      if (Array.isArray(list)) items.push(...list.filter(isRecord));
      const next = result.nextCursor;
      if (typeof next !== 'string' || seen.has(next) || items.length >= MAX_LIST_ITEMS) break;
      seen.add(next);
      cursor = next;
    }
    const safe = redactResult(
      `${server.name} ${method}`,
      items.slice(0, MAX_LIST_ITEMS),
      ['*'],
      Number.MAX_SAFE_INTEGER,
      deps.knownSecrets(),
    ).value as Item[];
    listings.set(key, { items: safe, at: Date.now() });
    return safe;
  }

  /** Every server's listing of `kind`, asked in parallel; a server that fails is left out (and logged). */
  async function listAll(
    kind: ListKind,
    agent: string,
  ): Promise<Array<{ server: McpServerRecord; items: Item[] }>> {
    const servers = deps.servers();
    const settled = await Promise.allSettled(servers.map((server) => listingOf(server, kind, agent)));
    const out: Array<{ server: McpServerRecord; items: Item[] }> = [];
    settled.forEach((outcome, i) => {
      const server = servers[i] as McpServerRecord;
      if (outcome.status === 'fulfilled') {
        out.push({ server, items: outcome.value });
        return;
      }
      const code = isBriefcaseError(outcome.reason) ? outcome.reason.code : 'internal_error';
      deps.log.warn({ server: server.name, kind, code }, 'server left out of a relayed listing');
    });
    return out;
  }

  const withServer = (item: Item, server: string): Item => ({
    ...item,
    _meta: { ...(isRecord(item._meta) ? item._meta : {}), [SERVER_META_KEY]: server },
  });

  const promptName = (server: McpServerRecord, name: string) =>
    server.prefix ? `${server.name}__${name}` : name;

  /** The prompts the agent sees, namespaced like tools; an unprefixed name already taken is left out. */
  async function promptCatalog(agent: string) {
    const byName = new Map<string, { server: McpServerRecord; upstream: string; item: Item }>();
    for (const { server, items } of await listAll('prompts', agent)) {
      for (const item of items) {
        if (typeof item.name !== 'string') continue;
        const name = promptName(server, item.name);
        if (byName.has(name)) {
          deps.log.warn({ server: server.name, prompt: name.slice(0, 128) }, 'prompt name taken; left out');
          continue;
        }
        byName.set(name, { server, upstream: item.name, item: withServer({ ...item, name }, server.name) });
      }
    }
    return byName;
  }

  /**
   * The server a resource URI belongs to: the one whose listing has it, else the one whose template
   * matches it, else the only server offering resources. Two claimants make it ambiguous: refused.
   */
  async function serverForUri(uri: string, agent: string): Promise<McpServerRecord> {
    const exact = (await listAll('resources', agent)).filter(({ items }) => items.some((r) => r.uri === uri));
    if (exact.length === 1) return (exact[0] as { server: McpServerRecord }).server;
    if (exact.length === 0) {
      const templated = (await listAll('resourceTemplates', agent)).filter(({ items }) =>
        items.some((t) => typeof t.uriTemplate === 'string' && templateMatches(t.uriTemplate, uri)),
      );
      if (templated.length === 1) return (templated[0] as { server: McpServerRecord }).server;
      if (templated.length === 0) {
        const offering: McpServerRecord[] = [];
        for (const server of deps.servers()) {
          try {
            if ((await capabilities(server)).resources !== undefined) offering.push(server);
          } catch {
            // unreachable servers cannot own it
          }
        }
        if (offering.length === 1) return offering[0] as McpServerRecord;
        if (offering.length === 0) {
          throw new BriefcaseError(
            'not_found',
            `No remote MCP server offers the resource ${printable(uri)}.`,
          );
        }
      }
    }
    throw new BriefcaseError(
      'not_found',
      `More than one remote MCP server could own the resource ${printable(uri)}, so it is not read. List resources to see which server offers what.`,
    );
  }

  function forgetListings(kind?: ListKind, server?: string) {
    for (const key of [...listings.keys()]) {
      const [k, s] = key.split('\0');
      if ((kind === undefined || k === kind) && (server === undefined || s === server)) listings.delete(key);
    }
  }

  /** Forgets what is cached about a server (it was removed, changed or reconnected). */
  function forgetServer(server: string) {
    capabilitiesOf.delete(server);
    forgetListings(undefined, server);
  }

  return { capabilities, listAll, promptCatalog, serverForUri, withServer, forgetListings, forgetServer };
}

function templateMatches(template: string, uri: string): boolean {
  try {
    return new UriTemplate(template).match(uri) !== null;
  } catch {
    return false; // a template the SDK cannot parse claims nothing
  }
}
