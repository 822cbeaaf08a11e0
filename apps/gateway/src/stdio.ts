import type { Readable, Writable } from 'node:stream';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createGatewayServer, type GatewayServerOptions, logToStderr, settleCalls } from './server.js';

/** Options for {@link runStdioGateway}. */
export interface StdioGatewayOptions extends GatewayServerOptions {
  /** Defaults to `process.stdin`. */
  stdin?: Readable;
  /** Defaults to `process.stdout`. Nothing but MCP messages is ever written to it. */
  stdout?: Writable;
  /** Largest accepted message in bytes (default 4 MiB). */
  maxMessageBytes?: number;
}

/** A gateway serving one MCP client over stdio. */
export interface StdioGateway {
  readonly server: Server;
  /** Resolves when the session ends: stdin closed, or {@link StdioGateway.close} was called. */
  readonly closed: Promise<void>;
  /**
   * Ends the session as a shutdown: calls in flight (held for approval, say) are answered with
   * `shutting_down` first, so the client is not left waiting for its own timeout.
   */
  close(): Promise<void>;
}

/**
 * Serves the gateway over stdio (MCP 2025-11-25, basic/transports "stdio"): newline-delimited
 * JSON-RPC on stdin/stdout. Diagnostics go to stderr only, since anything else on stdout would
 * corrupt the stream.
 */
export async function runStdioGateway(options: StdioGatewayOptions): Promise<StdioGateway> {
  const log = options.log ?? logToStderr;
  const stdin = options.stdin ?? process.stdin;
  const stop = new AbortController();
  const stopping = options.stopping ? AbortSignal.any([options.stopping, stop.signal]) : stop.signal;
  const server = createGatewayServer({ ...options, log, stopping });
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout, {
    maxBufferSize: options.maxMessageBytes ?? 4 * 1024 * 1024,
  });
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const closeRelay = server.onclose;
  server.onclose = () => {
    closeRelay?.();
    markClosed();
  };
  server.onerror = (error) => log(`stdio: ${error.message}`);
  await server.connect(transport);
  // The SDK transport does not watch for end of input: the client going away ends the session.
  const onEnd = () => void server.close();
  stdin.once('end', onEnd);
  stdin.once('close', onEnd);
  return {
    server,
    closed,
    async close() {
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      stop.abort();
      await settleCalls(server);
      await server.close();
    },
  };
}
