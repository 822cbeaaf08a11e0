import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

let t: TestDaemon;
let port: number;
beforeAll(async () => {
  t = await startTestDaemon({ tcp: '127.0.0.1:0' });
  port = Number(new URL(t.daemon.tcpUrl as string).port);
});
afterAll(async () => {
  await t.stop();
});

function get(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/tools',
        headers: { authorization: `Bearer ${t.agent}`, ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

it('serves loopback clients on the optional TCP listener', async () => {
  expect(await get({})).toBe(200);
  expect(await get({ host: `localhost:${port}` })).toBe(200);
  expect(await get({ origin: `http://127.0.0.1:${port}` })).toBe(200);
});

it('rejects DNS-rebinding attempts: a foreign Host or Origin', async () => {
  expect(await get({ host: `attacker.example:${port}` })).toBe(403);
  expect(await get({ host: `127.0.0.1:${port + 1}` })).toBe(403);
  expect(await get({ origin: 'http://attacker.example' })).toBe(403);
  expect(await get({ origin: `https://127.0.0.1:${port}` })).toBe(403);
});

it('refuses to bind TCP on a non-loopback address', async () => {
  await expect(startTestDaemon({ tcp: '0.0.0.0:0' })).rejects.toThrow(/loopback/);
});
