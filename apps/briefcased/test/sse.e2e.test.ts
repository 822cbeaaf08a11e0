import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(async () => {
  await t.stop();
});

/** Collects SSE events until `count` `approval` events have arrived. */
function collect(count: number): {
  events: Promise<Array<{ event: string; data: unknown }>>;
  ready: Promise<void>;
} {
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  const events = new Promise<Array<{ event: string; data: unknown }>>((resolve, reject) => {
    const out: Array<{ event: string; data: unknown }> = [];
    const req = request(
      {
        socketPath: t.daemon.socketPath,
        path: '/v1/approvals/stream',
        headers: { authorization: `Bearer ${t.admin}` },
      },
      (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) {
              out.push({ event, data: JSON.parse(data) });
              if (event === 'snapshot') markReady();
            }
            if (out.filter((e) => e.event === 'approval').length >= count) {
              req.destroy();
              resolve(out);
              return;
            }
            end = buffer.indexOf('\n\n');
          }
        });
      },
    );
    req.on('error', (e) => (out.length >= count ? undefined : reject(e)));
    req.end();
  });
  return { events, ready };
}

it('pushes created, approved and consumed events to trusted listeners', async () => {
  const stream = collect(3);
  await stream.ready;
  const first = await t.call('note_add', { text: 'sse' });
  const id = first.json.error.approval_id;
  await t.api('POST', `/v1/approvals/${id}/approve`, {});
  await t.call('note_add', { text: 'sse' });
  const events = await stream.events;
  expect(events[0]?.event).toBe('snapshot');
  const changes = events
    .filter((e) => e.event === 'approval')
    .map((e) => e.data as { type: string; approval: { id: string } });
  expect(changes.map((c) => c.type)).toEqual(['created', 'approved', 'consumed']);
  expect(changes.every((c) => c.approval.id === id)).toBe(true);
});

it('refuses the stream to the agent role', async () => {
  const reply = await t.api('GET', '/v1/approvals/stream', undefined, t.agent);
  expect(reply.status).toBe(403);
});
