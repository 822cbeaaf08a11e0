/**
 * End to end: `briefcase mcp login NAME --grant client_credentials` (issue 10 item 7) as
 * subprocesses against a real briefcased, oidc-provider (client_credentials with
 * client_secret_post and private_key_jwt, DPoP, resource indicators) and an SDK MCP server that
 * checks DPoP-bound tokens. No browser and no person: the login has finished when the command
 * returns, and the daemon repeats the grant by itself when the tokens expire.
 * Build first: `npx tsc -b apps/cli`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MACHINE_CLIENT,
  MACHINE_JWT_CLIENT,
  type ProtectedMcp,
  startAuthorizationServer,
  startProtectedMcp,
  type TestAuthorizationServer,
} from '@briefcase/test-world';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, MAIN, type Result, type Running, startDaemon, startScript, stop } from './support.js';

const SECRET_VAR = 'BC_TEST_MACHINE_SECRET';

let mcp: ProtectedMcp;
let as: TestAuthorizationServer;
let dataDir: string;
let keyFile: string;
let daemon: Running | undefined;
let env: NodeJS.ProcessEnv;
/** Everything the CLI printed in this file: no token, secret or key may ever be in it. */
const printed: string[] = [];

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> {
  const running = startScript(MAIN, args, { ...env, ...extraEnv });
  void running.exited.then((r) => printed.push(r.stdout, r.stderr));
  return running.exited;
}

async function callWhoami(): Promise<Result> {
  const call = ['--json', 'tools', 'call', 'secure__whoami', '--args', '{}'];
  const first = await cli(call);
  const body = JSON.parse(first.stdout) as { error?: { code: string; approval_id?: string } };
  if (body.error?.code !== 'approval_required') return first;
  expect((await cli(['approvals', 'approve', body.error.approval_id as string])).code).toBe(0);
  return cli(call);
}

const clientCredentialGrants = () => as.state.grants.filter((g) => g === 'client_credentials').length;

beforeAll(async () => {
  mcp = await startProtectedMcp();
  as = await startAuthorizationServer(mcp.url);
  mcp.setAuthorizationServer(as);
  dataDir = await mkdtemp(join(tmpdir(), 'bc-cli-machine-'));
  keyFile = join(dataDir, 'client-key.pem');
  await writeFile(keyFile, as.machineClientKeyPem, { mode: 0o600 });
  env = envFor(dataDir);
  daemon = await startDaemon(dataDir);
}, 60_000);

afterAll(async () => {
  await stop(daemon);
  await as?.close();
  await mcp?.close();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('briefcase mcp login --grant client_credentials against oidc-provider', () => {
  it('refuses incomplete machine grant options before sending anything', async () => {
    const add = await cli(['mcp', 'add', 'secure', '--url', mcp.url]);
    expect(add.code, add.stderr).toBe(0);
    const before = as.state.requests.length;
    const cases: Array<[string[], RegExp]> = [
      [['--grant', 'client_credentials'], /needs --client-id/],
      [['--grant', 'client_credentials', '--client-id', 'x'], /exactly one of --client-secret-env/],
      [['--grant', 'jwt-bearer', '--client-id', 'x'], /needs --assertion-file/],
      [['--grant', 'password'], /--grant takes/],
      [['--private-key-file', keyFile], /only applies with --grant/],
      [
        [
          '--grant',
          'client_credentials',
          '--client-id',
          'x',
          '--private-key-file',
          join(dataDir, 'nope.pem'),
        ],
        /cannot read the file \(ENOENT\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cli(['mcp', 'login', 'secure', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(as.state.requests.length).toBe(before);
  });

  it('a file that holds no key is refused by the daemon without echoing it', async () => {
    const bogus = join(dataDir, 'bogus.pem');
    const content = '-----BEGIN PRIVATE KEY-----\nZG8tbm90LXByaW50LXRoaXMta2V5\n-----END PRIVATE KEY-----\n';
    await writeFile(bogus, content, { mode: 0o600 });
    const result = await cli([
      'mcp',
      'login',
      'secure',
      '--grant',
      'client_credentials',
      '--client-id',
      MACHINE_JWT_CLIENT.clientId,
      '--private-key-file',
      bogus,
    ]);
    expect(result.code).toBe(6); // invalid_args, from the daemon
    expect(result.stderr).toMatch(/^error\[invalid_args\]: .*not a PEM private key/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('ZG8tbm90');
  });

  it('signs in with client_secret_post: no URL, no browser, a DPoP-bound token, and the tool works', async () => {
    const result = await cli(
      [
        'mcp',
        'login',
        'secure',
        '--grant',
        'client_credentials',
        '--client-id',
        MACHINE_CLIENT.clientId,
        '--client-secret-env',
        SECRET_VAR,
        '--client-auth',
        'client_secret_post',
      ],
      { [SECRET_VAR]: MACHINE_CLIENT.clientSecret },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(/https?:\/\/\S+\/auth/);
    expect(result.stdout).toMatch(/^authorized: signed in to secure$/m);
    expect(result.stdout).toMatch(/^ {2}token\s+DPoP \(RFC 9449\)/m);
    expect(result.stdout).toMatch(/^ {2}grant\s+client credentials \(no person/m);
    expect(as.state.grants.at(-1)).toBe('client_credentials');
    const done = await callWhoami();
    expect(done.code, done.stdout).toBe(0);
    expect(done.stdout).toContain(`you are ${MACHINE_CLIENT.clientId}`);
  });

  it('the mcp_login receipt records the grant and client authentication, never the secret', async () => {
    const receipts = await cli(['--json', 'receipts', 'list', '--kind', 'mcp_login', '--limit', '1']);
    expect(receipts.code, receipts.stderr).toBe(0);
    expect(receipts.stdout).toContain('"grant":"client_credentials"');
    expect(receipts.stdout).toContain('"clientAuth":"client_secret_post"');
    expect(receipts.stdout).not.toContain(MACHINE_CLIENT.clientSecret);
  });

  it('private_key_jwt from a PEM file; expired tokens are obtained again without a person', async () => {
    as.state.accessTokenTtl = 30; // under the token manager's 60 s margin: every use renews
    const result = await cli([
      'mcp',
      'login',
      'secure',
      '--grant',
      'client_credentials',
      '--client-id',
      MACHINE_JWT_CLIENT.clientId,
      '--private-key-file',
      keyFile,
      '--signing-alg',
      'ES256',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const after = clientCredentialGrants();
    const first = await callWhoami();
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toContain(`you are ${MACHINE_JWT_CLIENT.clientId}`);
    const second = await callWhoami();
    expect(second.code, second.stdout).toBe(0);
    // The daemon repeated the grant on its own, with the stored key.
    expect(clientCredentialGrants()).toBeGreaterThan(after);
    const show = await cli(['mcp', 'show', 'secure']);
    expect(show.stdout).toMatch(/^authorization\s+authorized \(OAuth\)$/m);
    as.state.accessTokenTtl = 3600;
  });

  it('a refused jwt-bearer grant fails at once, once, and never echoes the assertion', async () => {
    const assertion = 'eyJhbGciOiJFUzI1NiJ9.d29ya2xvYWQtaWRlbnRpdHk.c2lnbmF0dXJl';
    const file = join(dataDir, 'workload.jwt');
    await writeFile(file, `${assertion}\n`, { mode: 0o600 });
    const tokenRequests = () => as.state.requests.filter((r) => r.startsWith('POST /token')).length;
    const before = tokenRequests();
    const result = await cli([
      'mcp',
      'login',
      'secure',
      '--grant',
      'jwt-bearer',
      '--client-id',
      MACHINE_CLIENT.clientId,
      '--assertion-file',
      file,
    ]);
    // machine-client must authenticate (client_secret_post): without its secret, invalid_client.
    expect(result.code).toBe(8); // oauth_required
    expect(result.stderr).toMatch(/^error\[oauth_required\]: .*\(reason: invalid_client\)$/m);
    expect(`${result.stdout}${result.stderr}`).not.toContain(assertion);
    expect(tokenRequests() - before).toBe(1); // not retried, no other grant tried
    const receipts = await cli(['--json', 'receipts', 'list', '--limit', '5']);
    expect(receipts.stdout).toContain('"outcome":"failed"');
    expect(receipts.stdout).not.toContain(assertion);
  });

  it('never printed a token, the client secret or the private key', () => {
    const all = printed.join('\n');
    expect(all).not.toContain(MACHINE_CLIENT.clientSecret);
    for (const line of as.machineClientKeyPem.split('\n').filter((l) => l && !l.startsWith('-----'))) {
      expect(all).not.toContain(line);
    }
    for (const token of mcp.state.acceptedTokens) expect(all).not.toContain(token);
  });
});
