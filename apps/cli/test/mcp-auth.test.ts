/**
 * The parts of `mcp login/show` that the end-to-end test cannot reach: the browser command of
 * other platforms, scopes a hostile server names, and views from a daemon without `auth`.
 */
import type { McpServerView } from '@briefcase/client';
import { describe, expect, it } from 'vitest';
import { authCompact, authRows, browserCommand, loginCommand } from '../src/commands/mcp-auth.js';
import type { CommandContext } from '../src/context.js';

const ctx = { prefix: '', cli: 'briefcase' } as CommandContext;

function server(auth: unknown, authorization = 'none'): McpServerView {
  return {
    name: 'secure',
    transport: 'streamable_http',
    url: 'https://mcp.example.com/mcp',
    status: { connected: false, lastError: null, authorization },
    auth,
  } as unknown as McpServerView;
}

const required = (reason: string, scope: string | null) =>
  server({ state: 'oauth_required', reason, scope, issuer: 'https://as.example.com' }, 'oauth_required');

describe('browserCommand', () => {
  const url = 'https://as.example.com/authorize?a=1&b=2';
  it('passes the URL as one argument to a program, never to a shell', () => {
    expect(browserCommand('linux', url)).toEqual(['xdg-open', [url]]);
    expect(browserCommand('freebsd', url)).toEqual(['xdg-open', [url]]);
    expect(browserCommand('darwin', url)).toEqual(['open', [url]]);
    expect(browserCommand('win32', url)).toEqual(['rundll32.exe', ['url.dll,FileProtocolHandler', url]]);
  });
});

describe('loginCommand', () => {
  it('adds the missing scope to the granted ones for insufficient_scope', () => {
    expect(loginCommand(ctx, required('insufficient_scope: mcp:admin', 'mcp:tools'))).toBe(
      "briefcase mcp login secure --scope 'mcp:tools mcp:admin'",
    );
    expect(loginCommand(ctx, required('insufficient_scope: mcp:tools', 'mcp:tools'))).toBe(
      'briefcase mcp login secure --scope mcp:tools',
    );
  });

  it('quotes a hostile scope so the printed command stays one safe argument', () => {
    const command = loginCommand(ctx, required("insufficient_scope: a'$(rm -rf ~)`x`", null));
    expect(command).toBe(`briefcase mcp login secure --scope 'a'\\''$(rm -rf ~)\`x\`'`);
  });

  it('is the plain command for every other reason, with --data-dir when one was given', () => {
    expect(loginCommand(ctx, required('logged_out', 'mcp:tools'))).toBe('briefcase mcp login secure');
    const withDir = {
      prefix: " --data-dir '/tmp/a b'",
      cli: "briefcase --data-dir '/tmp/a b'",
    } as CommandContext;
    expect(loginCommand(withDir, required('login_required', null))).toBe(
      "briefcase --data-dir '/tmp/a b' mcp login secure",
    );
  });
});

describe('loginCommand for a machine grant', () => {
  const machine = (grant: string) =>
    server(
      {
        state: 'oauth_required',
        reason: 'login_required',
        scope: null,
        issuer: 'https://as.example.com',
        grant,
      },
      'oauth_required',
    );
  it('names the grant and the credentials to give again, never a browser sign-in', () => {
    expect(loginCommand(ctx, machine('client_credentials'))).toBe(
      'briefcase mcp login secure --grant client_credentials --client-id ID (--client-secret-env VAR | --private-key-file FILE)',
    );
    expect(loginCommand(ctx, machine('jwt_bearer'))).toBe(
      'briefcase mcp login secure --grant jwt-bearer --client-id ID --assertion-file FILE',
    );
    expect(loginCommand(ctx, machine('enterprise'))).toMatch(/--grant enterprise .*--id-token-file FILE$/);
    expect(loginCommand(ctx, machine('authorization_code'))).toBe('briefcase mcp login secure');
  });

  it('shows the grant among the authorized rows', () => {
    const rows = authRows(
      ctx,
      server({
        state: 'authorized',
        issuer: 'https://as.example.com',
        grant: 'jwt_bearer',
        tokenType: 'Bearer',
      }),
    );
    expect(rows).toContainEqual(['  grant', expect.stringMatching(/^JWT bearer assertion/)]);
  });
});

describe('authRows and authCompact', () => {
  it('fall back to the live 401 flag for a daemon that sends no auth', () => {
    expect(authRows(ctx, server(undefined, 'oauth_required'))[0]).toEqual([
      'authorization',
      'sign-in required: the server answered 401 (not signed in)',
    ]);
    expect(authCompact(server(undefined, 'oauth_required'))).toBe('sign-in required');
    expect(authRows(ctx, server('garbage'))).toEqual([['authorization', 'none (no sign-in asked for)']]);
  });

  it('trust the stored grant over a 401 flag that lags behind a fresh login', () => {
    const view = server(
      { state: 'authorized', tokenType: 'Bearer', bearerReason: 'dpop_not_advertised' },
      'oauth_required',
    );
    expect(authCompact(view)).toBe('bearer');
    expect(authRows(ctx, view)).toContainEqual([
      '  token',
      'bearer: the authorization server does not advertise DPoP',
    ]);
  });
});
