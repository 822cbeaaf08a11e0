#!/usr/bin/env node
/**
 * `npm run conformance`: runs the MCP conformance suite's server scenarios against the gateway.
 *
 *   suite (conformance server --url http://[::1]:P/mcp)
 *     -> auth proxy [::1]:P (adds `Authorization: Bearer <gateway token>`, nothing else)
 *     -> gateway 127.0.0.1:P (child process, `--http`)
 *     -> briefcased (in this process, secrets in memory, temp data dir)
 *     -> remote MCP server `conformance` = conformance/server.mjs over stdio (the fixtures)
 *
 * Two legs run one after the other against that same setup (see LEGS below):
 *   current: suite 0.1.16, `--suite all`                               (expected-failures.json)
 *   next:    suite 0.2.0-alpha.12, `--requirements 2025-11-25`         (expected-failures-next.json)
 * For each leg it prints scenario -> pass/fail with the failing checks, compares with that leg's
 * expected-failures file and fails on a failure not listed there or on a listed failure that now
 * passes. Exit code 0 only when both legs are as expected. See conformance/README.md.
 *
 * Options: --scenario NAME (one scenario, in every leg that has it), --leg current|next (one leg),
 * --keep (keep the temp dir with logs and checks.json), --verbose (echo the suite's own output).
 */
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDaemon } from '@briefcase/briefcased';
import { createClient } from '@briefcase/client';
import { loadOrCreateGatewayToken } from '@briefcase/gateway';
import { createLogger } from '@briefcase/telemetry';
import { conformancePolicy } from './policy.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = join(HERE, '..');
const FIXTURE_SERVER = join(HERE, 'server.mjs');
const SHIM = join(HERE, 'globsync-shim.mjs');
const GATEWAY_MAIN = join(REPO_ROOT, 'apps/gateway/dist/main.js');
const SERVER_NAME = 'conformance';
/** How long one leg of the suite may take before it is stopped (~30 scenarios of a few seconds each). */
const SUITE_TIMEOUT_MS = 10 * 60_000;
const STARTUP_TIMEOUT_MS = 15_000;

const CONFORMANCE_POLICY = conformancePolicy(SERVER_NAME);

/** The spec revision whose frozen requirement set the `next` leg runs (`--requirements`). */
const REQUIREMENTS_REVISION = '2025-11-25';

/**
 * The two legs. `current` is the pinned release (`--suite all`: active and pending scenarios).
 * `next` is the newest suite version that runs here, installed side by side as the npm alias
 * `conformance-next`; it has `--requirements <revision>`, which runs exactly the scenarios that
 * revision requires (frozen in the package's requirements/<revision>.yaml) at that revision's wire
 * version, plus the ones it runs but never scores (pending, added after the release), and which
 * replaces `--suite` and `--spec-version`. Each leg has its own expected-failures file.
 */
const LEGS = [
  {
    id: 'current',
    packageDir: join(REPO_ROOT, 'node_modules/@modelcontextprotocol/conformance'),
    version: '0.1.16',
    selection: '--suite all',
    expectedFailuresFile: join(HERE, 'expected-failures.json'),
    listScenarios: (leg, logFile) => listSuiteScenarios(leg, logFile),
    suiteArgs: (scenario) => (scenario ? ['--scenario', scenario] : ['--suite', 'all']),
  },
  {
    id: 'next',
    packageDir: join(REPO_ROOT, 'node_modules/conformance-next'),
    version: '0.2.0-alpha.12',
    selection: `--requirements ${REQUIREMENTS_REVISION}`,
    expectedFailuresFile: join(HERE, 'expected-failures-next.json'),
    listScenarios: (leg, logFile) => listRequiredScenarios(leg, logFile),
    // `--requirements` refuses `--scenario`; `--spec-version` runs one scenario at the same wire.
    suiteArgs: (scenario) =>
      scenario
        ? ['--scenario', scenario, '--spec-version', REQUIREMENTS_REVISION]
        : ['--requirements', REQUIREMENTS_REVISION],
  },
].map((leg) => ({ ...leg, side: 'server', cli: join(leg.packageDir, 'dist/index.js') }));

/**
 * The client legs: the suite's scenario servers and authorization servers against briefcase as the
 * client, driven by conformance/client.mjs, which plays a person through the CLI (`mcp add`,
 * `mcp login --no-browser`, the browser's redirects, `tools call`) with a fresh daemon per scenario.
 */
const CLIENT_LEGS = [
  {
    id: 'client-current',
    packageDir: join(REPO_ROOT, 'node_modules/@modelcontextprotocol/conformance'),
    version: '0.1.16',
    selection: '--suite auth, then extensions, draft and backcompat',
    expectedFailuresFile: join(HERE, 'expected-failures-client.json'),
    suites: ['auth', 'extensions', 'draft', 'backcompat'],
  },
  {
    id: 'client-next',
    packageDir: join(REPO_ROOT, 'node_modules/conformance-next'),
    version: '0.2.0-alpha.12',
    selection: '--suite auth, then extensions, draft and backcompat',
    expectedFailuresFile: join(HERE, 'expected-failures-client-next.json'),
    suites: ['auth', 'extensions', 'draft', 'backcompat'],
  },
].map((leg) => ({ ...leg, side: 'client', cli: join(leg.packageDir, 'dist/index.js') }));
const CLIENT_DRIVER = join(HERE, 'client.mjs');

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy must not forward them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const { values: options } = parseArgs({
  options: {
    scenario: { type: 'string' },
    leg: { type: 'string' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (options.help) {
  process.stdout.write(
    'Usage: npm run conformance -- [--scenario NAME] [--leg current|next] [--keep] [--verbose]\nSee conformance/README.md.\n',
  );
  process.exit(0);
}
if (options.leg !== undefined && ![...LEGS, ...CLIENT_LEGS].some((leg) => leg.id === options.leg)) {
  process.stderr.write(
    `conformance: unknown --leg ${JSON.stringify(options.leg)}; one of ${[...LEGS, ...CLIENT_LEGS].map((l) => l.id).join(', ')}\n`,
  );
  process.exit(2);
}

const say = (line) => process.stderr.write(`conformance: ${line}\n`);

// ---------- cleanup, registered before anything is started ----------

/** Things to undo on exit, newest first. Each must not throw. */
const cleanups = [];
let cleaningUp;
/** Set by SIGINT/SIGTERM/SIGHUP: the results are incomplete and are not reported. */
let interrupted = false;
function cleanup() {
  cleaningUp ??= (async () => {
    for (const undo of cleanups.reverse()) {
      try {
        await undo();
      } catch (error) {
        say(`cleanup step failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaningUp;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    interrupted = true;
    say(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Stops a child: SIGTERM, then SIGKILL after a grace period. Resolves once it has exited. */
function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// ---------- the pieces ----------

/** The gateway as a child process on 127.0.0.1 with an OS-chosen port; resolves with that port. */
function startGateway(dataDir, logFile) {
  const child = spawn(process.execPath, [GATEWAY_MAIN, '--http', '127.0.0.1:0', '--approval-wait', '0'], {
    // Like `npm start`: nothing secret in the gateway's environment.
    env: { BRIEFCASE_DATA_DIR: dataDir, PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stderr.pipe(log);
  const stop = () => stopChild(child);
  // Registered at once, so a Ctrl-C during startup stops it too (stopping an exited child is a no-op).
  cleanups.push(stop);
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the gateway did not start within ${STARTUP_TIMEOUT_MS} ms: ${said.trim()}`));
    }, STARTUP_TIMEOUT_MS);
    child.stderr.setEncoding('utf8');
    const onData = (chunk) => {
      said += chunk;
      const port = /MCP endpoint http:\/\/127\.0\.0\.1:(\d+)\//.exec(said)?.[1];
      if (port) {
        clearTimeout(timer);
        child.stderr.off('data', onData);
        resolve({ port: Number(port), stop, child });
      }
    };
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited during startup (${signal ?? code}): ${said.trim()}`));
    });
  });
}

/**
 * The auth proxy: the suite's client cannot be given a bearer token, and the gateway must keep
 * requiring one. Listens on [::1]:PORT, the gateway on 127.0.0.1:PORT (same port number), so the
 * Host header the suite sends ("[::1]:PORT") names a loopback host and the gateway's own port and
 * can be forwarded unchanged: the gateway's Host/Origin (DNS-rebinding) checks judge exactly what the
 * suite sent. Request and response bodies are piped, never buffered, so SSE streams flow as they come.
 */
function startProxy(port, token) {
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || lower === 'authorization') continue;
      headers.push(name, req.rawHeaders[i + 1]);
    }
    headers.push('Authorization', `Bearer ${token}`);
    const upstream = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent },
      (upstreamRes) => {
        const out = [];
        for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(upstreamRes.rawHeaders[i].toLowerCase())) {
            out.push(upstreamRes.rawHeaders[i], upstreamRes.rawHeaders[i + 1]);
          }
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, out);
        // An SSE stream may stay silent for a while: send the status line and headers now.
        res.flushHeaders();
        upstreamRes.pipe(res);
        upstreamRes.once('error', () => res.destroy());
      },
    );
    upstream.once('error', (error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`conformance auth proxy: the gateway did not answer (${error.message})\n`);
    });
    // The client went away (e.g. it closed an SSE stream): close the gateway side too.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '::1', ipv6Only: true }, () => {
      server.off('error', reject);
      resolve({
        url: `http://[::1]:${port}/mcp`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
            agent.destroy();
          }),
      });
    });
  });
}

/**
 * The proxy must be the only reason the suite gets in: a request straight to the gateway without
 * the token has to be refused with 401, or this run would prove nothing about the real setup.
 */
async function assertGatewayRequiresToken(port) {
  const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'probe', version: '0' },
      },
    }),
  });
  await response.body?.cancel();
  if (response.status !== 401) {
    throw new Error(
      `the gateway answered ${response.status} to a request without its bearer token; expected 401`,
    );
  }
}

/** Gateway and proxy on the same port number; retried when [::1]:PORT happens to be taken. */
async function startGatewayAndProxy(dataDir, token, logFile) {
  for (let attempt = 1; ; attempt++) {
    const gateway = await startGateway(dataDir, logFile);
    try {
      const proxy = await startProxy(gateway.port, token);
      return { gateway, proxy };
    } catch (error) {
      await gateway.stop();
      if (error?.code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

/** Runs a leg's suite CLI under the globSync shim; resolves with its exit code. Output goes to logFile. */
function runSuite(leg, args, logFile) {
  const child = spawn(process.execPath, ['--import', SHIM, leg.cli, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    stream.pipe(log, { end: false });
    if (options.verbose) stream.pipe(process.stderr, { end: false });
  }
  const stop = () => stopChild(child);
  cleanups.push(stop);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      say(`the ${leg.id} leg ran longer than ${SUITE_TIMEOUT_MS / 60_000} minutes; stopping it`);
      void stop();
    }, SUITE_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      log.end();
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** Runs `<cli> list ...args` and returns its stdout; its stderr goes to logFile. */
async function listOutput(leg, args, logFile) {
  const child = spawn(process.execPath, ['--import', SHIM, leg.cli, 'list', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
  });
  child.stderr.pipe(createWriteStream(logFile, { flags: 'a' }));
  const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  const command = `conformance ${leg.version} list ${args.join(' ')}`;
  if (code !== 0) throw new Error(`\`${command}\` failed (exit ${code}); see ${logFile}`);
  return { out, command };
}

/**
 * Every server scenario `list --server` prints, with its spec versions:
 * `name -> { specVersions, notScored: undefined }`.
 */
async function listSuiteScenarios(leg, logFile) {
  const { out, command } = await listOutput(leg, ['--server'], logFile);
  const scenarios = new Map();
  for (const match of out.matchAll(/^\s*-\s+(\S+)\s+\[([^\]]*)\]/gm)) {
    scenarios.set(match[1], {
      specVersions: match[2].split(',').map((v) => v.trim()),
      notScored: undefined,
    });
  }
  if (scenarios.size === 0) throw new Error(`\`${command}\` listed no scenarios`);
  return scenarios;
}

/**
 * The server scenarios `--requirements REVISION` runs, read from `list --requirements REVISION`:
 * the scored ones (section "Server scenarios") and the ones it runs but never scores (section "Run
 * and reported, but never scored", grouped by reason, `[server]` entries only). Spec versions come
 * from `list --server`. `name -> { specVersions, notScored: reason | undefined }`.
 */
async function listRequiredScenarios(leg, logFile) {
  const all = await listSuiteScenarios(leg, logFile);
  const { out, command } = await listOutput(leg, ['--requirements', REQUIREMENTS_REVISION], logFile);
  const scenarios = new Map();
  let section;
  let reason;
  for (const line of out.split('\n')) {
    if (/^Server scenarios/.test(line)) section = 'server';
    else if (/^Client scenarios/.test(line)) section = 'client';
    else if (/^Run and reported, but never scored/.test(line)) section = 'notScored';
    const reasonMatch = /^ {2}(\S+) \(\d+\):$/.exec(line);
    if (section === 'notScored' && reasonMatch) reason = reasonMatch[1];
    const scored = /^ {2}- (\S+)$/.exec(line);
    const unscored = /^ {4}- (\S+) \[server\]$/.exec(line);
    const name = section === 'server' ? scored?.[1] : section === 'notScored' ? unscored?.[1] : undefined;
    if (name === undefined) continue;
    // Like the suite: a not-scored entry this build lacks is not run (a scored one is an error there).
    if (section === 'notScored' && !all.has(name)) continue;
    scenarios.set(name, {
      specVersions: all.get(name)?.specVersions ?? ['?'],
      notScored: section === 'notScored' ? reason : undefined,
    });
  }
  if (![...scenarios.values()].some((s) => s.notScored === undefined)) {
    throw new Error(`\`${command}\` listed no scored server scenarios`);
  }
  return scenarios;
}

/**
 * Reads `<resultsDir>/server-<scenario>-<ISO timestamp>/checks.json`, as the suite writes with
 * `--output-dir`. A scenario that crashed inside the suite writes nothing: it is absent here.
 */
function readResults(resultsDir) {
  const results = new Map();
  if (!existsSync(resultsDir)) return results;
  for (const entry of readdirSync(resultsDir, { withFileTypes: true })) {
    const match = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/.exec(entry.name);
    if (!entry.isDirectory() || !match) continue;
    const file = join(resultsDir, entry.name, 'checks.json');
    try {
      results.set(match[1], JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      results.set(match[1], [
        { id: 'results', status: 'FAILURE', errorMessage: `unreadable ${file}: ${error.message}` },
      ]);
    }
  }
  return results;
}

/**
 * Reads a client leg's results: `<resultsDir>/<scenario>-<ISO timestamp>/checks.json`, where a
 * scenario name's `/` makes a subdirectory (`auth/metadata-default-2026-…`).
 */
function readClientResults(resultsDir, scenarios) {
  const results = new Map();
  for (const scenario of scenarios) {
    const parent = join(resultsDir, scenario, '..');
    const prefix = `${basename(scenario)}-`;
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      const stamp = entry.name.slice(prefix.length);
      if (
        !entry.isDirectory() ||
        !entry.name.startsWith(prefix) ||
        !/^\d{4}-\d{2}-\d{2}T[\d-]+Z$/.test(stamp)
      ) {
        continue;
      }
      const file = join(parent, entry.name, 'checks.json');
      try {
        results.set(scenario, JSON.parse(readFileSync(file, 'utf8')));
      } catch (error) {
        results.set(scenario, [
          { id: 'results', status: 'FAILURE', errorMessage: `unreadable ${file}: ${error.message}` },
        ]);
      }
    }
  }
  return results;
}

function readExpectedFailures(file) {
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${file} must be an object: scenario id -> reason`);
  }
  for (const [scenario, reason] of Object.entries(parsed)) {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new Error(`${file}: "${scenario}" needs a reason string`);
    }
  }
  return parsed;
}

/** The installed version of a leg's suite must be the pinned one, or the table means something else. */
function assertSuiteVersion(leg) {
  const installed = JSON.parse(readFileSync(join(leg.packageDir, 'package.json'), 'utf8')).version;
  if (installed !== leg.version) {
    throw new Error(
      `${leg.packageDir} is ${installed}, but the ${leg.id} leg is written for ${leg.version}: update LEGS in run.mjs and the README`,
    );
  }
}

const oneLine = (value) =>
  String(value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
const clip = (value, max = 220) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

/** Prints one leg's table and returns its verdict against that leg's expected failures. */
function report(leg, scenarios, results, expected) {
  const expectedName = basename(leg.expectedFailuresFile);
  const rows = [];
  for (const [scenario, { specVersions, notScored }] of scenarios) {
    const checks = results.get(scenario);
    const failures = checks ? checks.filter((c) => c.status === 'FAILURE') : [];
    const warnings = checks ? checks.filter((c) => c.status === 'WARNING') : [];
    // SKIPPED: the check does not apply at the run's spec version and its precondition was absent.
    const skipped = checks ? checks.filter((c) => c.status === 'SKIPPED') : [];
    // The suite fails a client scenario on a warning too (a SHOULD the client skipped); so do we.
    const passed =
      checks !== undefined && failures.length === 0 && (leg.side !== 'client' || warnings.length === 0);
    rows.push({ scenario, specVersions, notScored, checks, failures, warnings, skipped, passed });
  }
  const width = Math.max(...rows.map((r) => r.scenario.length));
  const indent = ' '.repeat(width);
  const lines = [
    '',
    `MCP conformance, leg "${leg.id}": suite ${leg.version}, ${options.scenario ? `--scenario ${options.scenario}` : leg.selection} ${leg.side === 'client' ? '(client scenarios, briefcase as the client through its CLI)' : '(server scenarios, against the Briefcase gateway)'}`,
    '',
  ];
  for (const row of rows) {
    const listed = Object.hasOwn(expected, row.scenario);
    const verdict = row.passed
      ? listed
        ? 'PASS (listed as expected failure!)'
        : 'PASS'
      : listed
        ? 'xfail'
        : 'FAIL';
    const counts = row.checks
      ? `${row.checks.filter((c) => c.status === 'SUCCESS').length} ok, ${row.failures.length} failed` +
        (row.warnings.length ? `, ${row.warnings.length} warning(s)` : '') +
        (row.skipped.length ? `, ${row.skipped.length} skipped` : '')
      : 'no result';
    const tags = row.specVersions.join(', ') + (row.notScored ? `; not scored: ${row.notScored}` : '');
    lines.push(`${row.scenario.padEnd(width)}  ${verdict.padEnd(5)}  ${counts}  [${tags}]`);
    if (!row.checks) lines.push(`${indent}    - the suite wrote no checks.json (it crashed; see suite.log)`);
    for (const check of row.failures) {
      lines.push(`${indent}    - ${check.id}: ${clip(oneLine(check.errorMessage ?? check.description))}`);
    }
    for (const check of row.warnings) {
      lines.push(
        `${indent}    ~ ${check.id} (warning): ${clip(oneLine(check.errorMessage ?? check.description))}`,
      );
    }
    for (const check of row.skipped) {
      lines.push(
        `${indent}    . ${check.id} (skipped): ${clip(oneLine(check.errorMessage ?? check.description))}`,
      );
    }
    if (listed && !row.passed) lines.push(`${indent}    expected: ${expected[row.scenario]}`);
  }
  const unexpected = rows.filter((r) => !r.passed && !Object.hasOwn(expected, r.scenario));
  const stale = rows.filter((r) => r.passed && Object.hasOwn(expected, r.scenario));
  const unknown = options.scenario
    ? []
    : Object.keys(expected).filter((scenario) => !scenarios.has(scenario));
  const passed = rows.filter((r) => r.passed).length;
  lines.push(
    '',
    `${leg.id}: ${passed}/${rows.length} scenarios pass; ${rows.length - passed} fail ` +
      `(${rows.length - passed - unexpected.length} listed in conformance/${expectedName}).`,
  );
  if (unexpected.length) lines.push(`Unexpected failures: ${unexpected.map((r) => r.scenario).join(', ')}`);
  if (stale.length) {
    lines.push(
      `Listed as expected failures but now passing (remove them from ${expectedName}): ${stale.map((r) => r.scenario).join(', ')}`,
    );
  }
  if (unknown.length) {
    lines.push(`${expectedName} names scenarios this leg does not run: ${unknown.join(', ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return unexpected.length === 0 && stale.length === 0 && unknown.length === 0;
}

/** Runs one leg against the running gateway and reports it; resolves true when it is as expected. */
async function runLeg(leg, proxyUrl, workDir) {
  const expected = readExpectedFailures(leg.expectedFailuresFile);
  const resultsDir = join(workDir, 'results', leg.id);
  mkdirSync(resultsDir, { recursive: true });
  const logFile = join(workDir, `suite-${leg.id}.log`);

  const scenarios = await leg.listScenarios(leg, logFile);
  let selected = scenarios;
  if (options.scenario !== undefined) {
    if (!scenarios.has(options.scenario)) {
      say(`leg ${leg.id}: does not run ${options.scenario}; skipped`);
      return { ok: true, ran: false };
    }
    selected = new Map([[options.scenario, scenarios.get(options.scenario)]]);
  }

  const suiteArgs = [
    'server',
    '--url',
    proxyUrl,
    '--output-dir',
    resultsDir,
    ...leg.suiteArgs(options.scenario),
  ];
  say(
    `leg ${leg.id}: suite ${leg.version} ${leg.suiteArgs(options.scenario).join(' ')} ` +
      `(${selected.size} scenario(s)); its output goes to ${options.keep ? logFile : basename(logFile)}`,
  );
  const started = Date.now();
  const suiteExit = await runSuite(leg, suiteArgs, logFile);
  if (interrupted) return { ok: false, ran: true };
  say(`leg ${leg.id}: done in ${((Date.now() - started) / 1000).toFixed(1)} s (suite exit ${suiteExit})`);

  const ok = report(leg, selected, readResults(resultsDir), expected);
  if (ok && suiteExit !== 0 && Object.keys(expected).length === 0) {
    // Every scenario passed by our reading, yet the suite says otherwise: do not trust a green table.
    say(
      `leg ${leg.id}: the suite exited ${suiteExit} although every scenario passed; see ${basename(logFile)} (--keep)`,
    );
    return { ok: false, ran: true };
  }
  return { ok, ran: true };
}

/**
 * Runs one client leg and reports it. The scenarios are the ones the suite started (its
 * "Starting scenario: NAME" lines), so a scenario that crashed before writing checks.json still
 * shows, as "no result".
 */
async function runClientLeg(leg, workDir) {
  const expected = readExpectedFailures(leg.expectedFailuresFile);
  const resultsDir = join(workDir, 'results', leg.id);
  mkdirSync(resultsDir, { recursive: true });
  const logFile = join(workDir, `suite-${leg.id}.log`);
  const selections = options.scenario
    ? [['--scenario', options.scenario]]
    : leg.suites.map((suite) => ['--suite', suite]);
  for (const selection of selections) {
    const args = [
      'client',
      '--command',
      `${process.execPath} ${CLIENT_DRIVER}`,
      '--output-dir',
      resultsDir,
      ...selection,
    ];
    say(
      `leg ${leg.id}: suite ${leg.version} client ${selection.join(' ')}; its output goes to ${options.keep ? logFile : basename(logFile)}`,
    );
    const started = Date.now();
    const suiteExit = await runSuite(leg, args, logFile);
    if (interrupted) return { ok: false, ran: true };
    say(`leg ${leg.id}: done in ${((Date.now() - started) / 1000).toFixed(1)} s (suite exit ${suiteExit})`);
  }
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const scenarios = new Map();
  for (const match of log.matchAll(/^Starting scenario: (\S+)$/gm)) {
    scenarios.set(match[1], { specVersions: ['client'], notScored: undefined });
  }
  if (scenarios.size === 0) {
    say(`leg ${leg.id}: the suite started no scenario; see ${basename(logFile)} (--keep)`);
    return { ok: false, ran: true };
  }
  return { ok: report(leg, scenarios, readClientResults(resultsDir, scenarios.keys()), expected), ran: true };
}

// ---------- main ----------

async function main() {
  const legs = LEGS.filter((leg) => options.leg === undefined || leg.id === options.leg);
  const clientLegs = CLIENT_LEGS.filter((leg) => options.leg === undefined || leg.id === options.leg);
  for (const file of [...legs.map((leg) => leg.cli), ...clientLegs.map((leg) => leg.cli), GATEWAY_MAIN]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm install and npx tsc -b first`);
  }
  for (const leg of [...legs, ...clientLegs]) {
    assertSuiteVersion(leg);
    readExpectedFailures(leg.expectedFailuresFile); // a malformed file fails before anything starts
  }

  // mkdtemp creates the directory 0700; the data dir inside is created 0700 as well.
  const workDir = mkdtempSync(join(tmpdir(), 'briefcase-conformance-'));
  const dataDir = join(workDir, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  const logs = {
    daemon: join(workDir, 'briefcased.log'),
    gateway: join(workDir, 'gateway.log'),
  };
  cleanups.push(() => {
    if (options.keep) {
      rmSync(dataDir, { recursive: true, force: true });
      say(`kept ${workDir} (logs and results/<leg>/*/checks.json)`);
    } else {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  let ok = true;
  let ran = 0;
  // The client legs start their own daemon per scenario (conformance/client.mjs).
  for (const leg of clientLegs) {
    const result = await runClientLeg(leg, workDir);
    if (interrupted) return 130;
    ok &&= result.ok;
    if (result.ran) ran++;
  }
  if (legs.length === 0) return finish(ok, ran);

  const daemonLog = createWriteStream(logs.daemon);
  cleanups.push(() => new Promise((resolve) => daemonLog.end(resolve)));
  const daemon = await startDaemon({
    dataDir,
    secretBackend: 'memory',
    env: {},
    logger: createLogger({ name: 'briefcased', level: 'info', destination: daemonLog }),
    durability: 'normal',
  });
  cleanups.push(() => daemon.close());

  const admin = createClient({ dataDir, role: 'admin' });
  await admin.setPolicy(CONFORMANCE_POLICY);
  const server = await admin.addMcpServer({
    name: SERVER_NAME,
    command: [process.execPath, FIXTURE_SERVER],
    prefix: false,
  });
  const active = server.tools.filter((t) => t.state === 'active').map((t) => t.name);
  const held = server.tools.filter((t) => t.state !== 'active').map((t) => `${t.name} (${t.state})`);
  say(
    `remote server "${SERVER_NAME}": connected=${server.status.connected}, ${active.length} active tool(s)` +
      (held.length ? `; not active: ${held.join(', ')}` : '') +
      (server.status.lastError ? `; last error: ${server.status.lastError}` : ''),
  );

  const token = loadOrCreateGatewayToken(dataDir);
  const { gateway, proxy } = await startGatewayAndProxy(dataDir, token, logs.gateway);
  cleanups.push(() => proxy.close());
  await assertGatewayRequiresToken(gateway.port);
  say(`gateway on 127.0.0.1:${gateway.port}, auth proxy ${proxy.url}`);

  // The legs run one after the other: they share the fixture server, whose logging level and
  // subscriptions one scenario sets and another could observe.
  for (const leg of legs) {
    const result = await runLeg(leg, proxy.url, workDir);
    if (interrupted) return 130;
    ok &&= result.ok;
    if (result.ran) ran++;
  }
  return finish(ok, ran);
}

function finish(ok, ran) {
  if (ran === 0) {
    throw new Error(
      `no leg runs the scenario ${JSON.stringify(options.scenario)} (see \`conformance list\`)`,
    );
  }
  if (!options.keep && !ok)
    say('rerun with --keep to inspect the logs and the full checks.json of each scenario');
  return ok ? 0 : 1;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
