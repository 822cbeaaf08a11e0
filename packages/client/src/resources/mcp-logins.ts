import { cancelMcpLogin, compileCheck, getMcpLogin, logoutMcpServer, startMcpLogin } from '@briefcase/api';
import { type DaemonHttp, pathSegment } from '../daemon-http.js';
import type { McpLogin, McpLoginInput, McpLogoutResult } from '../types.js';
import type { RequestOptions } from './options.js';

/** OAuth sign-in to remote servers: start, follow, cancel a login; log out. */
export interface McpLoginMethods {
  /**
   * Starts an OAuth login for a remote server: returns the authorization URL a person opens; the
   * daemon receives the redirect itself. Follow it with `getMcpLogin`.
   */
  startMcpLogin(name: string, input?: McpLoginInput, options?: RequestOptions): Promise<McpLogin>;
  /** A login's state; with `waitMs` (≤ 120000) the daemon waits that long for it to finish. */
  getMcpLogin(id: string, options?: RequestOptions & { waitMs?: number }): Promise<McpLogin>;
  /** Cancels a pending login (its redirect listener closes); a finished one is returned as it is. */
  cancelMcpLogin(id: string, options?: RequestOptions): Promise<McpLogin>;
  /** Revokes (unless `localOnly`) and forgets a remote server's tokens. */
  logoutMcpServer(name: string, options?: RequestOptions & { localOnly?: boolean }): Promise<McpLogoutResult>;
}

const started = compileCheck(startMcpLogin.schema.response[201]);
const state = compileCheck(getMcpLogin.schema.response[200]);
const cancelled = compileCheck(cancelMcpLogin.schema.response[200]);
const loggedOut = compileCheck(logoutMcpServer.schema.response[200]);

export function mcpLoginMethods(http: DaemonHttp): McpLoginMethods {
  const serverPath = (name: string) => `/v1/mcp/servers/${pathSegment(name, 'server name')}`;
  const loginPath = (id: string) => `/v1/mcp/logins/${pathSegment(id, 'login id')}`;
  return {
    async startMcpLogin(name, input = {}, opts = {}) {
      const req = {
        method: 'POST',
        path: `${serverPath(name)}/login`,
        body: input,
        signal: opts.signal,
      } as const;
      return (await http.json(req, started)).login;
    },

    async getMcpLogin(id, opts = {}) {
      const wait = opts.waitMs === undefined ? '' : `?waitMs=${Math.trunc(opts.waitMs)}`;
      return (await http.json({ method: 'GET', path: `${loginPath(id)}${wait}`, signal: opts.signal }, state))
        .login;
    },

    async cancelMcpLogin(id, opts = {}) {
      return (await http.json({ method: 'DELETE', path: loginPath(id), signal: opts.signal }, cancelled))
        .login;
    },

    async logoutMcpServer(name, opts = {}) {
      const body = opts.localOnly ? { localOnly: true } : {};
      const req = { method: 'POST', path: `${serverPath(name)}/logout`, body, signal: opts.signal } as const;
      const { revoked } = await http.json(req, loggedOut);
      return { revoked: { refreshToken: revoked.refreshToken, accessToken: revoked.accessToken } };
    },
  };
}
