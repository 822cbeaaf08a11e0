import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { startTestDaemon } from './support.js';

it('exports pipeline spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, without arguments', async () => {
  const bodies: string[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  const t = await startTestDaemon({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
  const secretArg = 'otlp-argument-that-must-not-leave';
  try {
    expect((await t.call('echo', { text: secretArg })).status).toBe(200);
  } finally {
    await t.stop(); // flushes the exporter
    receiver.close();
  }
  const exported = bodies.join('\n');
  for (const name of ['briefcase.call_tool', 'briefcase.decide', 'briefcase.execute'])
    expect(exported).toContain(name);
  expect(exported).toContain('briefcased');
  expect(exported).not.toContain(secretArg);
  expect(exported).not.toContain(t.agent);
});
