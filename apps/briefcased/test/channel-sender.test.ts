import type { ChannelEvent } from '@briefcase/core';
import { describe, expect, it } from 'vitest';
import { channelSender } from '../src/routes/relay.js';

const events: ChannelEvent[] = [
  {
    type: 'notification',
    server: 's',
    method: 'notifications/message',
    params: { level: 'info', data: 'x' },
  },
  { type: 'progress', ref: 'r', progress: 1 },
  { type: 'request', id: 'r1', server: 's', method: 'sampling/createMessage', params: {} },
  { type: 'cancel', id: 'r1' },
  { type: 'end', ref: 'r' },
];

function recorder(backlog: number) {
  const sent: string[] = [];
  return { sent, stream: { send: (event: string) => void sent.push(event), backlog: () => backlog } };
}

describe('the channel sender', () => {
  it('sends every event while the reader keeps up', () => {
    const { sent, stream } = recorder(0);
    const send = channelSender(stream, 1024);
    for (const event of events) send(event);
    expect(sent).toEqual(['notification', 'progress', 'request', 'cancel', 'end']);
  });

  it('drops logs and progress, never requests, cancels or ends, once the backlog passes the cap', () => {
    const { sent, stream } = recorder(1025);
    const send = channelSender(stream, 1024);
    for (const event of events) send(event);
    expect(sent).toEqual(['request', 'cancel', 'end']);
  });
});
