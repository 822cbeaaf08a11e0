// Before anything else: see the file for the V8 bug it avoids.
import './v8-workarounds.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR_LAYOUT } from '@briefcase/core';
import { createSoftwareKeyStore } from '@briefcase/keys';
import { createUpstreamPool } from '@briefcase/mcp-upstream';
import { type CompiledPolicy, compilePolicy, DEFAULT_POLICY } from '@briefcase/policy';
import { openReceiptLog } from '@briefcase/receipts';
import { openSecretStore, type SecretStore } from '@briefcase/secrets';
import { createLogger, humanLogStream, startTracing } from '@briefcase/telemetry';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, type PolicyHolder } from './app.js';
import { createTokenAuthenticator, loadOrCreateToken } from './auth.js';
import {
  type ChainHealth,
  type ChainHealthView,
  createChainHealth,
  type OnBrokenChain,
  onBrokenChainFromEnv,
} from './chain-health.js';
import { createApprovalStore } from './db/approvals.js';
import { createBudgetStore } from './db/budgets.js';
import { createMcpStore } from './db/mcp.js';
import { createOAuthStore } from './db/mcp-oauth.js';
import { type Db, type Durability, openDatabase } from './db/open.js';
import { createPolicyStore } from './db/policy.js';
import { createToolStatsStore } from './db/stats.js';
import { type ApprovalEvents, createApprovalEvents } from './events.js';
import { createToolCalls } from './kernel/actions/tool-call.js';
import { createAdminLedger } from './kernel/admin.js';
import { createKernel } from './kernel/enforce.js';
import { outboundFetch } from './kernel/outbound.js';
import { createReceiptWriter } from './kernel/receipt-writer.js';
import { keyCustodyStatus } from './key-custody.js';
import { createChannelHub } from './mcp/channels.js';
import { createMcpManager, type McpManager } from './mcp/manager.js';
import { createMcpAuth, type McpAuth } from './mcp/oauth.js';
import { createRelay, type Relay } from './mcp/relay.js';
import { expireDue } from './pipeline/expire.js';
import { scrubString } from './pipeline/redact.js';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from './pipeline/settings.js';
import { builtinTools, SEED_BUDGETS } from './tools/builtin.js';
import { createToolRegistry } from './tools/registry.js';
import type { ToolProvider } from './tools/types.js';
import { VERSION } from './version.js';

export interface DaemonOptions {
  dataDir: string;
  /** Optional loopback TCP listener, `HOST:PORT` (port 0 picks one). Only loopback hosts are accepted. */
  tcp?: string;
  /** Secret backend; default from BRIEFCASE_SECRET_BACKEND, else the keyring with a fallback. */
  secretBackend?: 'keyring' | 'file' | 'memory';
  /** Development defaults (`npm start`): without a keyring or passphrase, fall back to memory, loudly. */
  dev?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Asks a person for the master passphrase when the file store needs one and the env has none. */
  promptPassphrase?: () => Promise<string>;
  logger?: Logger;
  logLevel?: string;
  /** `human`: log lines for a person, on stderr (a terminal); default `json` on stdout. */
  logFormat?: 'json' | 'human';
  durability?: Durability;
  settings?: Partial<PipelineSettings>;
  /** Extra tool providers (tests; later remote MCP servers and plugins). */
  providers?: ToolProvider[];
  /** How long a remote server's tool list is trusted before it is fetched again (default 60 s). */
  mcpCatalogTtlMs?: number;
  /** What to do about a broken receipt chain; default `BRIEFCASE_ON_BROKEN_CHAIN`, else `refuse-calls`. */
  onBrokenChain?: OnBrokenChain;
  /**
   * How old a remote server's tool list may be when a call checks the tool against its pin, before
   * the server is listed again (0: before every call). Default: `BRIEFCASE_MCP_PIN_CHECK_MS`, else
   * 2 s (`DEFAULT_PIN_CHECK_MAX_AGE_MS`).
   */
  mcpPinCheckMaxAgeMs?: number;
  clock?: () => Date;
}

export interface RunningDaemon {
  dataDir: string;
  socketPath: string;
  /** `http://HOST:PORT` of the loopback TCP listener, when enabled. */
  tcpUrl: string | undefined;
  app: FastifyInstance;
  db: Db;
  secrets: SecretStore;
  /**
   * Approval changes as they happen, for a trusted host process (`npm start` tells the person in its
   * terminal). Listeners run synchronously in the daemon's path: keep them quick and non-throwing.
   */
  approvalEvents: Pick<ApprovalEvents, 'subscribe'>;
  close(): Promise<void>;
}

const EXPIRY_SWEEP_MS = 1000;
/**
 * Longest close() waits for actions in flight (a tool still running) to write their receipts, before
 * and again after the listeners close. Waits for approval end at once; this bounds slow tools only.
 */
const SHUTDOWN_GRACE_MS = 5_000;

/** Creates the data dir 0700, or tightens an existing one: it holds tokens and the socket. */
function prepareDataDir(dataDir: string, log: Logger) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stat = statSync(dataDir);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new Error(`the data dir ${dataDir} belongs to another user; refusing to use it`);
  }
  if ((stat.mode & 0o077) !== 0) {
    chmodSync(dataDir, 0o700);
    log.warn({ dataDir }, 'tightened the data dir to mode 0700');
  }
}

/** True when something already answers on the socket: another daemon owns this data dir. */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function parseTcp(spec: string): { host: string; port: number } {
  const match = /^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$/.exec(spec);
  if (!match || Number(match[2]) > 65535) {
    throw new Error(`--tcp takes a loopback address such as 127.0.0.1:8765 (got ${JSON.stringify(spec)})`);
  }
  return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

function settingsFromEnv(env: NodeJS.ProcessEnv): Partial<PipelineSettings> {
  const out: Partial<PipelineSettings> = {};
  if (env.BRIEFCASE_BUDGET_OVERRUN) {
    if (env.BRIEFCASE_BUDGET_OVERRUN !== 'approve' && env.BRIEFCASE_BUDGET_OVERRUN !== 'deny') {
      throw new Error('BRIEFCASE_BUDGET_OVERRUN must be "approve" or "deny"');
    }
    out.budgetOverrun = env.BRIEFCASE_BUDGET_OVERRUN;
  }
  if (env.BRIEFCASE_APPROVAL_TTL_SECONDS) {
    const seconds = Number(env.BRIEFCASE_APPROVAL_TTL_SECONDS);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) {
      throw new Error('BRIEFCASE_APPROVAL_TTL_SECONDS must be a whole number of seconds from 1 to 86400');
    }
    out.approvalTtlMs = seconds * 1000;
  }
  return out;
}

/** The status warning for a broken chain: loud, with what is refused and where to look. */
function chainWarnings(health: ChainHealthView): string[] {
  if (health.ok) return [];
  return [
    `The receipt chain is BROKEN at receipt ${health.brokenAt}: ${health.reason}. ${
      health.callsRefused
        ? 'Tool calls are refused (BRIEFCASE_ON_BROKEN_CHAIN=refuse-calls). '
        : 'Calls still run and are recorded after the break (BRIEFCASE_ON_BROKEN_CHAIN=warn). '
    }Check it with \`briefcase receipts verify\`.`,
  ];
}

/** Longest `BRIEFCASE_MCP_PIN_CHECK_MS` accepted: the listing TTL, past which it would mean nothing. */
const MAX_PIN_CHECK_MS = 60_000;

/** The pool's `pinCheckMaxAgeMs`: the option, else `BRIEFCASE_MCP_PIN_CHECK_MS`, else the pool's default. */
function pinCheckOption(option: number | undefined, env: NodeJS.ProcessEnv): { pinCheckMaxAgeMs?: number } {
  if (option !== undefined) return { pinCheckMaxAgeMs: option };
  const text = env.BRIEFCASE_MCP_PIN_CHECK_MS;
  if (text === undefined || text === '') return {};
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms > MAX_PIN_CHECK_MS) {
    throw new Error(
      `BRIEFCASE_MCP_PIN_CHECK_MS must be a whole number of milliseconds from 0 (list before every call) to ${MAX_PIN_CHECK_MS}`,
    );
  }
  return { pinCheckMaxAgeMs: ms };
}

/**
 * Starts briefcased: data dir, tokens, secret store, database, policy, pipeline, and the local API on
 * its Unix socket (plus an optional loopback TCP listener).
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? (() => new Date());
  const log =
    options.logger ??
    createLogger({
      name: 'briefcased',
      level: (options.logLevel ?? env.BRIEFCASE_LOG_LEVEL ?? 'info') as Parameters<
        typeof createLogger
      >[0]['level'],
      ...(options.logFormat === 'human'
        ? { destination: humanLogStream((text) => void process.stderr.write(text)) }
        : {}),
    });
  const tcpSpec = options.tcp ?? env.BRIEFCASE_TCP;
  const tcpAddress = tcpSpec ? parseTcp(tcpSpec) : undefined;
  const dataDir = options.dataDir;
  prepareDataDir(dataDir, log);
  const tracing = startTracing({ serviceName: 'briefcased', env });

  const socketPath = join(dataDir, DATA_DIR_LAYOUT.socket);
  if (existsSync(socketPath)) {
    if (await socketIsLive(socketPath)) {
      throw new Error(`briefcased is already running for ${dataDir} (its socket answers); stop it first`);
    }
    rmSync(socketPath, { force: true });
  }

  const tokens = { admin: loadOrCreateToken(dataDir, 'admin'), agent: loadOrCreateToken(dataDir, 'agent') };
  const secretEnv = { ...env };
  if (options.secretBackend) secretEnv.BRIEFCASE_SECRET_BACKEND = options.secretBackend;
  let secrets: SecretStore;
  let secretNotice: string | undefined;
  try {
    const opened = await openSecretStore({
      dataDir,
      env: secretEnv,
      ...(options.promptPassphrase ? { promptPassphrase: options.promptPassphrase } : {}),
    });
    secrets = opened.store;
    secretNotice = opened.notice;
  } catch (error) {
    if (!options.dev || secretEnv.BRIEFCASE_SECRET_BACKEND) throw error;
    const opened = await openSecretStore({
      dataDir,
      env: { ...secretEnv, BRIEFCASE_SECRET_BACKEND: 'memory' },
    });
    secrets = opened.store;
    secretNotice =
      'Development mode: no OS keyring and no BRIEFCASE_MASTER_PASSPHRASE, so secrets are kept in memory only and are lost on restart. Set BRIEFCASE_MASTER_PASSPHRASE to use the encrypted file store.';
  }
  if (secretNotice) log.warn(secretNotice);
  const keys = createSoftwareKeyStore({ secrets, clock });

  const db = openDatabase(join(dataDir, DATA_DIR_LAYOUT.database), {
    durability: options.durability ?? 'full',
  });
  const receipts = openReceiptLog(db);
  // Before anything is appended: a broken chain is reported (and, as configured, refused) up front.
  let chain: ChainHealth;
  try {
    chain = createChainHealth({
      receipts,
      mode: onBrokenChainFromEnv(options.onBrokenChain ?? env.BRIEFCASE_ON_BROKEN_CHAIN),
      log,
    });
  } catch (error) {
    db.close();
    throw error;
  }
  const writer = createReceiptWriter({ db, receipts, clock });
  const approvals = createApprovalStore(db);
  const budgets = createBudgetStore(db);
  const stats = createToolStatsStore(db);
  const policyStore = createPolicyStore(db);
  const events = createApprovalEvents();

  if (!policyStore.get()) {
    await writer.commit((tx) => {
      const seeded = policyStore.set(DEFAULT_POLICY, clock().getTime());
      for (const cap of SEED_BUDGETS) budgets.set(cap, clock().getTime());
      tx.append('policy_update', { policyHash: seeded.hash, previousPolicyHash: null, by: 'seed' });
    });
  }

  let stored = policyStore.get() ?? policyStore.set(DEFAULT_POLICY, clock().getTime());
  let policyError: string | null = null;
  const initial = compilePolicy(stored.text);
  let compiled: CompiledPolicy;
  if (initial.ok) {
    compiled = initial.policy;
  } else {
    // Fail closed: a stored policy that no longer compiles denies everything until a person fixes it.
    policyError = initial.errors.map((e) => e.message).join('; ');
    log.error(
      { policyError },
      'the stored policy does not compile; every call is denied until it is replaced',
    );
    const empty = compilePolicy('');
    if (!empty.ok) throw new Error('the empty policy set does not compile');
    compiled = empty.policy;
  }

  const policy: PolicyHolder = {
    current: () => ({ compiled, stored }),
    validate: (text) => compilePolicy(text),
    async replace(next) {
      stored = await writer.commit((tx) => {
        const previousHash = policyStore.get()?.hash ?? null;
        const saved = policyStore.set(next.text, clock().getTime());
        tx.append('policy_update', {
          policyHash: saved.hash,
          previousPolicyHash: previousHash,
          by: 'local-admin',
        });
        return saved;
      });
      const old = compiled;
      compiled = next;
      policyError = null;
      old.dispose();
      return stored;
    },
  };

  const scratchDir = mkdtempSync(join(tmpdir(), 'briefcase-mcp-'));
  let mcp: McpManager | undefined;
  let mcpAuth: McpAuth | undefined;
  let relay: Relay | undefined;
  // Progress messages come from remote servers, which may echo the values given them with --env.
  const channels = createChannelHub({ scrub: (text) => scrubString(text, mcp?.knownSecrets() ?? []).text });
  const pool = createUpstreamPool({
    clientInfo: { name: 'briefcased', version: VERSION },
    onToolsChanged: (server) => mcp?.onToolsChanged(server),
    onServerRequest: (server, request, ctx) => {
      if (!relay) return Promise.reject(new Error('briefcased is starting'));
      return relay.onServerRequest(server, request, ctx);
    },
    onServerNotification: (server, notification) => relay?.onServerNotification(server, notification),
    // Requests to an HTTP server carry its OAuth tokens once a person signed in.
    fetchFor: (server) => mcpAuth?.fetchFor(server),
    ...(options.mcpCatalogTtlMs !== undefined ? { catalogTtlMs: options.mcpCatalogTtlMs } : {}),
    ...pinCheckOption(options.mcpPinCheckMaxAgeMs, env),
  });
  const registry = createToolRegistry([builtinTools, ...(options.providers ?? [])], (tool, why) =>
    log.error({ tool, why }, 'tool left out of the catalog'),
  );
  const settings: PipelineSettings = {
    ...DEFAULT_PIPELINE_SETTINGS,
    ...settingsFromEnv(env),
    ...options.settings,
  };
  mcpAuth = createMcpAuth({
    store: createOAuthStore(db),
    secrets,
    keys,
    writer,
    clock,
    log,
    onChanged: async (server) => mcp?.afterAuthChange(server),
  });
  mcp = createMcpManager({
    store: createMcpStore(db),
    pool,
    secrets,
    registry,
    writer,
    scratchDir,
    clock,
    log,
    channels,
    onServerChanged: (server) => relay?.forgetServer(server),
    auth: mcpAuth,
  });
  mcp.start();
  const manager = mcp;
  const kernel = createKernel({
    writer,
    db,
    approvals,
    events,
    knownSecrets: () => mcp?.knownSecrets() ?? [],
    secrets,
    fetch: outboundFetch,
    maxResultBytes: settings.maxResultBytes,
    clock,
    refusal: () => chain.refusal(),
  });
  relay = createRelay({
    kernel,
    pool,
    channels,
    policy: () => compiled,
    servers: () => manager.servers(),
    configFor: (server) => manager.configFor(server),
    knownSecrets: () => manager.knownSecrets(),
    maxResultBytes: settings.maxResultBytes,
    listingTtlMs: options.mcpCatalogTtlMs ?? 60_000,
    log,
  });
  const toolCalls = createToolCalls(kernel, {
    registry,
    approvals,
    budgets,
    stats,
    events,
    policy: () => compiled,
    settings,
  });

  let tcpServer: Server | undefined;
  let tcpPort: number | undefined;
  const startedAt = clock().toISOString();
  const app = await buildApp({
    db,
    toolCalls,
    writer,
    admin: createAdminLedger(writer),
    registry,
    receipts,
    approvals,
    budgets,
    events,
    policy,
    mcp,
    relay,
    channels,
    keys,
    authenticate: createTokenAuthenticator(tokens),
    logger: log,
    tcpPort: () => tcpPort,
    clock,
    chain,
    status: async () => {
      const head = receipts.head();
      const custody = await keyCustodyStatus(keys);
      const health = chain.check();
      return {
        version: VERSION,
        pid: process.pid,
        startedAt,
        dataDir,
        socketPath,
        tcp: tcpPort === undefined ? null : `127.0.0.1:${tcpPort}`,
        secretBackend: secrets.backend,
        secretBackendNotice: secretNotice ?? null,
        keyCustody: custody.keyCustody,
        warnings: [...(custody.warnings ?? []), ...chainWarnings(health)],
        policyHash: stored.hash,
        policyError,
        durability: options.durability ?? 'full',
        receipts: { count: receipts.count(), headSeq: head.seq, headHash: head.hash, chain: health },
        approvalsPending: approvals.countPending(clock().getTime()),
        tools: registry.list().length,
        tracing: tracing.enabled,
      };
    },
  });

  // The socket is created with no permissions for anyone else; the 0700 dir already guards it.
  const umask = process.umask(0o177);
  try {
    await app.listen({ path: socketPath });
  } finally {
    process.umask(umask);
  }
  chmodSync(socketPath, 0o600);

  let tcpUrl: string | undefined;
  if (tcpAddress) {
    const { host, port } = tcpAddress;
    tcpServer = createServer((req, res) => app.routing(req, res));
    await new Promise<void>((resolve, reject) => {
      tcpServer?.once('error', reject);
      tcpServer?.listen(port, host, () => resolve());
    });
    const address = tcpServer.address();
    tcpPort = typeof address === 'object' && address ? address.port : port;
    tcpUrl = `http://${host.includes(':') ? `[${host}]` : host}:${tcpPort}`;
  }

  // Approvals past their lifetime expire with a receipt each: at start (those that ran out while
  // briefcased was down), then every EXPIRY_SWEEP_MS. One sweep at a time.
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    if (sweeping) return;
    sweeping = expireDue({ approvals, writer, events, clock })
      .then(
        () => {},
        (err: unknown) => log.error({ err }, 'approval expiry sweep failed'),
      )
      .finally(() => {
        sweeping = undefined;
      });
  };
  sweep();
  const sweeper = setInterval(sweep, EXPIRY_SWEEP_MS);
  sweeper.unref();

  log.info({ socketPath, tcp: tcpUrl ?? null, secretBackend: secrets.backend }, 'briefcased listening');

  let closed = false;
  return {
    dataDir,
    socketPath,
    tcpUrl,
    app,
    db,
    secrets,
    approvalEvents: { subscribe: (listener) => events.subscribe(listener) },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      // Calls waiting for approval are answered (shutting_down) and their receipts written while the
      // connections are still open; only then are the listeners closed and the database after them.
      kernel.stop();
      await kernel.settled(SHUTDOWN_GRACE_MS);
      await new Promise((resolve) => setImmediate(resolve));
      if (tcpServer) {
        tcpServer.closeAllConnections();
        await new Promise<void>((resolve) => tcpServer?.close(() => resolve()));
      }
      await app.close();
      // Actions cancelled by their connection closing still write their receipts.
      await kernel.settled(SHUTDOWN_GRACE_MS);
      await sweeping;
      await mcp?.close();
      rmSync(scratchDir, { recursive: true, force: true });
      compiled.dispose();
      db.close();
      await tracing.shutdown();
    },
  };
}
