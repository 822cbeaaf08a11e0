import type { FastifyReply } from 'fastify';

/** A `: ping` comment this often keeps proxies and idle timers from closing a stream. */
export const SSE_PING_MS = 15_000;

/** An open server-sent event stream (WHATWG HTML §9.2). */
export interface SseStream {
  /** Writes one event (`event: name`, `data:` the JSON of `data`); a closed stream drops it. */
  send(event: string, data: unknown): void;
  /** Called once when the stream ends, whoever ended it; stops the pings. */
  onClose(listener: () => void): void;
  /** Bytes written but not yet taken by the reader: a slow or stuck reader makes it grow. */
  backlog(): number;
}

/** Takes over `reply` and opens an SSE stream on it, with pings. */
export function openSse(reply: FastifyReply): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const ping = setInterval(() => {
    if (!res.destroyed) res.write(': ping\n\n');
  }, SSE_PING_MS);
  const listeners: Array<() => void> = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(ping);
    for (const listener of listeners) listener();
  };
  res.on('close', close);
  res.on('error', close);
  reply.request.raw.on('close', close);
  return {
    send(event, data) {
      if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
    backlog: () => res.writableLength,
  };
}
