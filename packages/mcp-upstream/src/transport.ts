import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type NormalizedServerConfig, validateServerUrl } from './config.js';
import { createGuardedFetch, type FatalHook } from './http-fetch.js';
import { BoundedStdioTransport } from './stdio-transport.js';

/**
 * The MCP transport for one server, with the pool's guards: a byte cap on every message, and for
 * HTTP no redirects and no URL but the configured one. `baseFetch` (HTTP only) runs under the guards,
 * e.g. to add OAuth tokens. `onFatal` hears what poisons the whole session.
 */
export function createTransport(
  config: NormalizedServerConfig,
  onFatal: FatalHook,
  baseFetch: typeof fetch | undefined,
): Transport {
  if (config.transport === 'stdio') {
    return new BoundedStdioTransport({
      command: config.command ?? [],
      env: config.env ?? {},
      cwd: config.cwd ?? '/',
      maxMessageBytes: config.maxResponseBytes,
      onFatal,
    });
  }
  const url = validateServerUrl(config.url ?? '');
  const guardedFetch = createGuardedFetch({
    // Streamable HTTP has exactly one endpoint. Legacy SSE posts to an endpoint the server names,
    // which the SDK already requires to share the origin.
    allow:
      config.transport === 'streamable_http'
        ? (target) => target.href === url.href
        : (target) => target.origin === url.origin,
    maxBytes: config.maxResponseBytes,
    onFatal,
    ...(baseFetch ? { baseFetch } : {}),
  });
  if (config.transport === 'streamable_http') {
    return new StreamableHTTPClientTransport(url, {
      fetch: guardedFetch,
      requestInit: { redirect: 'manual' },
    });
  }
  return new SSEClientTransport(url, { fetch: guardedFetch, requestInit: { redirect: 'manual' } });
}
