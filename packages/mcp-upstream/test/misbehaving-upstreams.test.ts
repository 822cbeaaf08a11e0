import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamError, type UpstreamPool, type UpstreamServerConfig } from '@briefcase/mcp-upstream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  delay,
  EVERYTHING,
  firstText,
  isAlive,
  liveChildrenMatching,
  removeTempDirs,
  type ServerProcess,
  startEverythingHttp,
  startHttpFixture,
  stdioConfig,
  trackedPools,
} from './helpers.js';

const newPool = trackedPools();
afterAll(removeTempDirs);

/** A well-behaved peer: each misbehaving case must leave the pool able to use it. */
const healthy = (): UpstreamServerConfig => stdioConfig('healthy', EVERYTHING, ['stdio']);
async function expectHealthy(pool: UpstreamPool, config: UpstreamServerConfig): Promise<void> {
  expect(firstText(await pool.callTool(config, 'echo', { message: 'still fine' }))).toBe('Echo: still fine');
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the upstream call to fail');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe('a server that never answers', () => {
  it('times out the call while the pool keeps serving other servers', async () => {
    const pool = newPool();
    const hanging = stdioConfig('hanging', 'hanging-server.mjs');
    const good = healthy();
    await pool.callTool(hanging, 'quick', {});
    await expectHealthy(pool, good);

    const order: string[] = [];
    const started = Date.now();
    const hang = failure(pool.callTool(hanging, 'hang', {}, { timeoutMs: 1500 })).finally(() =>
      order.push('hang'),
    );
    await expectHealthy(pool, good);
    order.push('healthy');
    const error = await hang;
    expect(order).toEqual(['healthy', 'hang']);
    expect(error).toMatchObject({ code: 'upstream_error', reason: 'timeout' });
    expect(error.message).toBe('Server "hanging" did not answer within 1500 ms while calling tool "hang".');
    // The deadline is a guarantee, not a benchmark: only a generous upper bound is checked.
    expect(Date.now() - started).toBeLessThan(1500 + 5000);

    // One slow call does not cost the session.
    expect(firstText(await pool.callTool(hanging, 'quick', {}))).toMatch(/^quick from \d+$/);
    expect(pool.status('hanging')).toMatchObject({ connected: true, reconnectAttempts: 0 });
  });

  it('honours the caller AbortSignal with reason "cancelled"', async () => {
    const pool = newPool();
    const hanging = stdioConfig('hanging', 'hanging-server.mjs');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const error = await failure(pool.callTool(hanging, 'hang', {}, { signal: controller.signal }));
    expect(error.reason).toBe('cancelled');
    expect(firstText(await pool.callTool(hanging, 'quick', {}))).toMatch(/^quick from/);
  });

  it('rebuilds the session after three timeouts in a row', async () => {
    const pool = newPool({ backoff: { initialMs: 50, maxMs: 100 } });
    const hanging = stdioConfig('hanging', 'hanging-server.mjs');
    const pid = Number(
      firstText(await pool.callTool(hanging, 'quick', {}))
        .split(' ')
        .at(-1),
    );
    for (let i = 0; i < 3; i += 1) {
      expect((await failure(pool.callTool(hanging, 'hang', {}, { timeoutMs: 200 }))).reason).toBe('timeout');
    }
    expect(pool.status('hanging')).toMatchObject({ connected: false, reconnectAttempts: 1 });
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 5000 });
    await delay(120);
    const newPid = Number(
      firstText(await pool.callTool(hanging, 'quick', {}))
        .split(' ')
        .at(-1),
    );
    expect(newPid).not.toBe(pid);
  });

  it('bounds connecting too: a silent process fails with "timeout" and is killed', async () => {
    const pool = newPool();
    const silent = stdioConfig('silent', 'garbage-server.mjs', ['silent'], { timeoutMs: 500 });
    const error = await failure(pool.listTools(silent));
    expect(error.reason).toBe('timeout');
    expect(error.message).toMatch(/^Server "silent" did not finish connecting within 500 ms/);
    await vi.waitFor(() => expect(liveChildrenMatching('garbage-server.mjs')).toEqual([]), { timeout: 5000 });
    await expectHealthy(pool, healthy());
  });
});

describe('a server that exits mid-call', () => {
  it('fails with "closed", fails fast inside the backoff, then reconnects', async () => {
    const pool = newPool({ backoff: { initialMs: 300, maxMs: 1000 } });
    const secret = 'tok-abcdef-0123456789';
    const crashing = stdioConfig('crashing', 'crashing-server.mjs', [], { env: { SECRET_TOKEN: secret } });
    const firstPid = firstText(await pool.callTool(crashing, 'whoami', {}));

    const closed = await failure(pool.callTool(crashing, 'crash', {}));
    expect(closed).toMatchObject({ code: 'upstream_error', reason: 'closed' });
    expect(closed.message).not.toContain(secret);
    const status = pool.status('crashing');
    expect(status).toMatchObject({ connected: false, reconnectAttempts: 1 });
    // stderr is kept for diagnostics, with configured env values blanked out.
    expect(status.lastError).toContain('FATAL: lost connection to db');
    expect(status.lastError).toContain('[redacted]');
    expect(status.lastError).not.toContain(secret);

    const fastFail = await failure(pool.callTool(crashing, 'whoami', {}));
    expect(fastFail.reason).toBe('unreachable');
    expect(fastFail.message).toMatch(
      /^Server "crashing" is unavailable after a failure \(closed\); next retry in \d+\.\d s\.$/,
    );

    await delay(350); // past the first backoff window (at most initialMs)
    const secondPid = firstText(await pool.callTool(crashing, 'whoami', {}));
    expect(secondPid).not.toBe(firstPid);
    expect(pool.status('crashing')).toMatchObject({ connected: true, reconnectAttempts: 0 });
    await expectHealthy(pool, healthy());
  });
});

describe('a Streamable HTTP server that dies mid-call', () => {
  it('fails the call with "closed" at once, then reconnects when the server is back', async () => {
    let server = await startEverythingHttp('streamableHttp');
    try {
      const pool = newPool({ backoff: { initialMs: 50, maxMs: 100 } });
      const config: UpstreamServerConfig = {
        name: 'mortal',
        transport: 'streamable_http',
        url: `http://127.0.0.1:${server.port}/mcp`,
        timeoutMs: 20_000,
      };
      await expectHealthy(pool, config);
      const dying = server;
      setTimeout(() => void dying.stop(), 500);
      const started = Date.now();
      // server-everything's long-running tool answers after 10 s: the server is killed long before.
      const error = await failure(
        pool.callTool(config, 'trigger-long-running-operation', { duration: 10, steps: 2 }),
      );
      expect(error.reason).toBe('closed');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(pool.status('mortal')).toMatchObject({ connected: false, reconnectAttempts: 1 });

      server = await startEverythingHttp('streamableHttp', server.port);
      await delay(120);
      await expectHealthy(pool, config);
    } finally {
      await server.stop();
    }
  });
});

describe('closing the pool', () => {
  it('fails in-flight calls with "closed" and kills the child', async () => {
    const pool = newPool();
    const hanging = stdioConfig('hanging', 'hanging-server.mjs');
    const pid = Number(
      firstText(await pool.callTool(hanging, 'quick', {}))
        .split(' ')
        .at(-1),
    );
    const pending = failure(pool.callTool(hanging, 'hang', {}, { timeoutMs: 20_000 }));
    await delay(50);
    await pool.close('hanging');
    expect((await pending).reason).toBe('closed');
    expect(isAlive(pid)).toBe(false);
    expect(pool.status('hanging')).toEqual({ connected: false, lastError: null, reconnectAttempts: 0 });
  });
});

describe('a server that speaks broken JSON-RPC', () => {
  it.each([
    ['not-json', 'malformed'],
    ['not-jsonrpc', 'malformed'],
  ])('mode %s fails the connect with "%s"', async (mode, reason) => {
    const pool = newPool();
    const garbage = stdioConfig('garbage', 'garbage-server.mjs', [mode]);
    const error = await failure(pool.listTools(garbage));
    expect(error.reason).toBe(reason);
    expect(pool.status('garbage')).toMatchObject({ connected: false, reconnectAttempts: 1 });
    await expectHealthy(pool, healthy());
  });

  it('a truncated JSON line mid-session fails the call with "malformed" and drops the session', async () => {
    const pool = newPool();
    const garbage = stdioConfig('garbage', 'garbage-server.mjs', ['garbage-mid-call']);
    expect(await pool.listTools(garbage)).toEqual([]);
    const error = await failure(pool.callTool(garbage, 'anything', {}));
    expect(error.reason).toBe('malformed');
    expect(pool.status('garbage').connected).toBe(false);
    await expectHealthy(pool, healthy());
  });

  it('a schema-invalid result fails with "protocol" and keeps the session', async () => {
    const pool = newPool();
    const garbage = stdioConfig('garbage', 'garbage-server.mjs', ['bad-result']);
    const error = await failure(pool.callTool(garbage, 'anything', {}));
    expect(error.reason).toBe('protocol');
    expect(pool.status('garbage')).toMatchObject({ connected: true, reconnectAttempts: 0 });
    await expectHealthy(pool, healthy());
  });

  it('a JSON-RPC error answer fails with "protocol" without repeating the server text', async () => {
    const pool = newPool();
    const garbage = stdioConfig('garbage', 'garbage-server.mjs', ['rpc-error']);
    const error = await failure(pool.callTool(garbage, 'anything', {}));
    expect(error.reason).toBe('protocol');
    expect(error.details).toMatchObject({ rpcCode: -32000 });
    const everything = JSON.stringify({
      message: error.message,
      body: error.toBody(),
      status: pool.status('garbage'),
    });
    expect(everything).not.toContain('CANARY');
  });
});

describe('a server that returns 50 MB', () => {
  it('over stdio: fails with "too_large" and the child is killed', async () => {
    const pool = newPool();
    const huge = stdioConfig('huge', 'huge-result-server.mjs', ['stdio']);
    expect(firstText(await pool.callTool(huge, 'small', {}))).toBe('ok');
    const [pid] = liveChildrenMatching('huge-result-server.mjs');
    const error = await failure(pool.callTool(huge, 'huge', {}));
    expect(error).toMatchObject({ code: 'upstream_error', reason: 'too_large' });
    expect(error.message).toBe('Server "huge" sent a message larger than the 4194304-byte limit.');
    await vi.waitFor(() => expect(isAlive(pid as number)).toBe(false), { timeout: 5000 });
    await expectHealthy(pool, healthy());
  });

  describe.each(['http-json', 'http-sse'])('over Streamable HTTP (%s)', (mode) => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startHttpFixture('huge-result-server.mjs', [mode]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('fails with "too_large" and the pool stays usable', async () => {
      const pool = newPool({ backoff: { initialMs: 20, maxMs: 40 } });
      const huge: UpstreamServerConfig = {
        name: 'huge-http',
        transport: 'streamable_http',
        url: `http://127.0.0.1:${server.port}/mcp`,
      };
      expect(firstText(await pool.callTool(huge, 'small', {}))).toBe('ok');
      const error = await failure(pool.callTool(huge, 'huge', {}));
      expect(error.reason).toBe('too_large');
      await expectHealthy(pool, healthy());
      await delay(50);
      expect(firstText(await pool.callTool(huge, 'small', {}))).toBe('ok');
    });
  });
});

describe('an HTTP server that answers 401', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startHttpFixture('unauthorized-server.mjs');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(['streamable_http', 'sse'] as const)(
    'over %s fails with oauth_required and a sign-in hint',
    async (transport) => {
      const pool = newPool();
      const config: UpstreamServerConfig = {
        name: 'locked',
        transport,
        url: `http://127.0.0.1:${server.port}/mcp`,
      };
      const error = await failure(pool.listTools(config));
      expect(error.code).toBe('oauth_required');
      expect(error.reason).toBe('auth_required');
      expect(error.message).toBe(
        'Server "locked" requires authorization. Sign in with: briefcase mcp login locked',
      );
      // Inside the backoff window the answer stays the actionable one.
      const again = await failure(pool.callTool(config, 'anything', {}));
      expect(again.code).toBe('oauth_required');
      const everything = JSON.stringify({
        body: error.toBody(),
        again: again.toBody(),
        status: pool.status('locked'),
      });
      expect(everything).not.toContain('CANARY');
      expect(everything).not.toContain('resource_metadata');
      await expectHealthy(pool, healthy());
    },
  );
});

describe('an HTTP server that redirects to another origin', () => {
  let server: ServerProcess;
  let target: http.Server;
  let targetHits = 0;
  beforeAll(async () => {
    target = http.createServer((req, res) => {
      targetHits += 1;
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as AddressInfo;
    server = await startHttpFixture('redirecting-server.mjs', [`http://127.0.0.1:${port}/mcp`]);
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise((resolve) => target?.close(resolve));
  });

  it('is not followed', async () => {
    const pool = newPool();
    const config: UpstreamServerConfig = {
      name: 'redirector',
      transport: 'streamable_http',
      url: `http://127.0.0.1:${server.port}/mcp`,
    };
    const error = await failure(pool.listTools(config));
    expect(error.reason).toBe('protocol');
    expect(error.message).toContain('redirect');
    expect(targetHits).toBe(0);
    await expectHealthy(pool, healthy());
  });
});

describe('an HTTP server that is not there', () => {
  it('fails with "unreachable"', async () => {
    const pool = newPool();
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const error = await failure(
      pool.listTools({ name: 'nobody', transport: 'streamable_http', url: `http://127.0.0.1:${port}/mcp` }),
    );
    expect(error.reason).toBe('unreachable');
  });

  it('a stdio command that does not exist fails with "unreachable"', async () => {
    const pool = newPool();
    const error = await failure(
      pool.listTools({
        name: 'missing',
        transport: 'stdio',
        command: ['/nonexistent/mcp-server'],
        cwd: '/tmp',
      }),
    );
    expect(error.reason).toBe('unreachable');
  });
});
