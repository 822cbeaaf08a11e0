/**
 * Per-server request timeouts of remote MCP servers: migration 3 on a database created at schema
 * version 2, the manager's validation and the config it hands to a real upstream pool, and the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR_LAYOUT, isBriefcaseError } from '@briefcase/core';
import { createUpstreamPool, isUpstreamError, type UpstreamPool } from '@briefcase/mcp-upstream';
import { openReceiptLog } from '@briefcase/receipts';
import { createMemorySecretStore } from '@briefcase/secrets';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMcpStore } from '../src/db/mcp.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { type Db, migrate, openDatabase } from '../src/db/open.js';
import { createReceiptWriter } from '../src/kernel/receipt-writer.js';
import { createMcpManager, type McpManager } from '../src/mcp/manager.js';
import { builtinTools } from '../src/tools/builtin.js';
import { createToolRegistry } from '../src/tools/registry.js';
import { startTestDaemon } from './support.js';

const STALLING = new URL('./fixtures/stalling-server.mjs', import.meta.url).pathname;
const stalling = [process.execPath, STALLING];
const NEWEST = MIGRATIONS.at(-1)?.version;

/** A database as briefcased left it at schema version 2, with one server registered. */
function versionTwoDatabase(db: Db): void {
  expect(
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 2),
    ),
  ).toBe(2);
  db.prepare(
    `INSERT INTO mcp_servers (name, transport, url, command_json, env_names_json, prefix, trust_annotations, cost_micro_usd, created_at_ms)
     VALUES ('old', 'stdio', NULL, ?, '[]', 1, 0, 0, 0)`,
  ).run(JSON.stringify(stalling));
}

describe('migration 3: mcp_servers.timeout_ms', () => {
  it('migrates a version-2 database: existing servers keep the default, the column is range-checked', () => {
    const db = new Database(':memory:');
    versionTwoDatabase(db);
    expect(migrate(db, MIGRATIONS)).toBe(NEWEST);
    const store = createMcpStore(db);
    expect(store.server('old')).toMatchObject({ name: 'old', command: stalling, timeoutMs: null });

    const base = {
      transport: 'stdio' as const,
      url: null,
      command: stalling,
      envNames: [],
      prefix: true,
      trustAnnotations: false,
      costMicroUsd: 0,
    };
    expect(store.addServer({ ...base, name: 'fast', timeoutMs: 1 }, 0).timeoutMs).toBe(1);
    expect(store.addServer({ ...base, name: 'slow', timeoutMs: 600_000 }, 0).timeoutMs).toBe(600_000);
    const setTimeout = db.prepare("UPDATE mcp_servers SET timeout_ms = ? WHERE name = 'old'");
    for (const bad of [0, -1, 600_001, 1.5, 'soon']) {
      expect(() => setTimeout.run(bad), String(bad)).toThrow(/CHECK constraint failed/);
    }
    expect(store.server('old')?.timeoutMs).toBe(null);
  });

  it('briefcased starts on a version-2 data dir and shows its server with the default timeout', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'briefcased-v2-'));
    try {
      const db = new Database(join(dataDir, DATA_DIR_LAYOUT.database));
      versionTwoDatabase(db);
      db.close();
      const t = await startTestDaemon({ dataDir });
      try {
        expect(t.daemon.db.pragma('user_version', { simple: true })).toBe(NEWEST);
        const reply = await t.api('GET', '/v1/mcp/servers/old');
        expect(reply.status, reply.text).toBe(200);
        expect(reply.json.server).toMatchObject({ name: 'old', timeoutMs: null });
      } finally {
        await t.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the manager', () => {
  let dir: string;
  let db: Db;
  let pool: UpstreamPool;
  let manager: McpManager;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'briefcased-timeout-'));
    db = openDatabase(join(dir, 'test.db'));
    pool = createUpstreamPool();
    manager = createMcpManager({
      store: createMcpStore(db),
      pool,
      secrets: createMemorySecretStore(),
      registry: createToolRegistry([builtinTools]),
      writer: createReceiptWriter({ db, receipts: openReceiptLog(db), clock: () => new Date() }),
      scratchDir: join(dir, 'scratch'),
      clock: () => new Date(),
      log: { warn() {}, error() {} },
    });
  });
  afterEach(async () => {
    await manager.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a timeout that is not a whole number of ms from 1 to 600000, before connecting', async () => {
    for (const timeoutMs of [0, -1, 600_001, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await manager.add({ name: 'x', command: stalling, timeoutMs }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(isBriefcaseError(error) && error.code, String(timeoutMs)).toBe('invalid_args');
      expect((error as Error).message).toMatch(
        /timeout must be a whole number of milliseconds from 1 to 600000/,
      );
    }
    expect(manager.list()).toEqual([]);
  });

  it("hands the server's timeout to the pool as the deadline of its requests; none keeps the default", async () => {
    const slow = await manager.add({ name: 'slow', command: stalling, timeoutMs: 700 });
    expect(slow.timeoutMs).toBe(700);
    expect(slow.tools.map((t) => t.name)).toEqual(['slow__hang']);
    const config = await manager.configFor(slow);
    expect(config.timeoutMs).toBe(700);
    const error = await pool.callTool(config, 'hang', {}).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isUpstreamError(error) && error.reason).toBe('timeout');
    expect((error as Error).message).toBe(
      'Server "slow" did not answer within 700 ms while calling tool "hang".',
    );
    expect(pool.status('slow')).toMatchObject({ connected: true, reconnectAttempts: 0 });

    const plain = await manager.add({ name: 'plain', command: stalling });
    expect(plain.timeoutMs).toBe(null);
    expect(await manager.configFor(plain)).not.toHaveProperty('timeoutMs');
  });
});

describe('the API', () => {
  it('takes timeoutMs as an integer from 1 to 600000 and shows it', async () => {
    const t = await startTestDaemon();
    try {
      for (const timeoutMs of [0, 600_001, 1.5, '500', null]) {
        const reply = await t.api('POST', '/v1/mcp/servers', { name: 'x', command: stalling, timeoutMs });
        expect(reply.status, JSON.stringify(timeoutMs)).toBe(400);
        expect(reply.json.error.code).toBe('invalid_args');
        expect(reply.json.error.message).toContain('/timeoutMs');
      }
      expect((await t.api('GET', '/v1/mcp/servers')).json.servers).toEqual([]);
      const added = await t.api('POST', '/v1/mcp/servers', { name: 'x', command: stalling, timeoutMs: 2500 });
      expect(added.status, added.text).toBe(201);
      expect(added.json.server.timeoutMs).toBe(2500);
      expect((await t.api('GET', '/v1/mcp/servers')).json.servers[0].timeoutMs).toBe(2500);
    } finally {
      await t.stop();
    }
  });
});
