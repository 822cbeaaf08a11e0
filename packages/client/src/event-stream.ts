import type { IncomingMessage } from 'node:http';
import type { DaemonHttp } from './daemon-http.js';
import { unexpected } from './daemon-http.js';
import { createSseParser, type SseEvent } from './sse.js';
import { mapTransportError } from './transport.js';

/**
 * Reads the server-sent events of `res`, awaiting `dispatch` for each before reading on. Resolves
 * when the daemon ends the stream or `signal` aborts (a failure after an abort is not one).
 */
export async function readEventStream(
  http: DaemonHttp,
  res: IncomingMessage,
  signal: AbortSignal | undefined,
  dispatch: (event: SseEvent) => void | Promise<void>,
): Promise<void> {
  const parser = createSseParser({ maxLineBytes: http.maxLineBytes, maxEventChars: http.maxResponseBytes });
  try {
    for await (const chunk of res) {
      for (const event of parser.push(chunk)) {
        await dispatch(event);
        if (signal?.aborted) return;
      }
    }
    for (const event of parser.end()) await dispatch(event);
  } catch (error) {
    if (signal?.aborted) return;
    throw mapTransportError(error, http.endpoint);
  } finally {
    res.destroy();
  }
}

/** The JSON data of an event; anything else breaks the contract. */
export function eventData(route: string, event: SseEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    throw unexpected(route, `${event.event} event data is not JSON`);
  }
}
