import {
  addMcpServer,
  cancelMcpLogin,
  getMcpLogin,
  getMcpServer,
  listMcpServers,
  logoutMcpServer,
  MAX_LOGIN_WAIT_MS,
  refreshMcpServer,
  removeMcpServer,
  reviewMcpServer,
  startMcpLogin,
} from '@briefcase/api';
import { type ClientSigningAlg, parseClientPrivateKey } from '@briefcase/oauth';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { AdminLedger } from '../kernel/admin.js';
import type { AddServerInput, McpManager } from '../mcp/manager.js';
import { adminRequestOf } from './admin.js';

/** What the MCP routes drive: the remote-server manager (absent when no manager is configured). */
export interface McpRouteDeps {
  mcp: McpManager;
  /** Receipts of the actions here that have no receipt kind of their own (refresh, login, cancel). */
  admin: AdminLedger;
}

/** Registers the admin's remote MCP server routes: add, list, show, refresh, review, remove, login, logout. */
export function registerMcpRoutes(app: FastifyInstance, deps: McpRouteDeps): void {
  app.post(
    startMcpLogin.url,
    {
      config: { roles: ADMIN, admin: 'mcp.login' },
      schema: startMcpLogin.schema,
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as {
        grant?: 'authorization_code' | 'client_credentials' | 'jwt_bearer' | 'enterprise';
        idp?: string;
        idpClientId?: string;
        idToken?: string;
        privateKey?: string;
        signingAlg?: ClientSigningAlg;
        clientAuth?: 'client_secret_basic' | 'client_secret_post';
        assertion?: string;
        clientId?: string;
        clientSecret?: string;
        scope?: string;
        clientMetadataUrl?: string;
        omitResource?: boolean;
        oidcOnly?: boolean;
        noDynamicRegistration?: boolean;
      };
      const quirks = {
        ...(body.omitResource !== undefined ? { omitResource: body.omitResource } : {}),
        ...(body.oidcOnly !== undefined ? { oidcOnly: body.oidcOnly } : {}),
        ...(body.noDynamicRegistration !== undefined
          ? { noDynamicRegistration: body.noDynamicRegistration }
          : {}),
      };
      const login = await deps.mcp.login((request.params as { name: string }).name, {
        ...(body.grant !== undefined ? { grant: body.grant } : {}),
        // Checked here, so a key that is no key fails before any request; the key is never echoed.
        ...(body.privateKey !== undefined
          ? { privateKey: parseClientPrivateKey(body.privateKey, body.signingAlg) }
          : {}),
        ...(body.assertion !== undefined ? { assertion: body.assertion } : {}),
        ...(body.clientAuth !== undefined ? { clientAuth: body.clientAuth } : {}),
        ...(body.idp !== undefined ? { idp: body.idp } : {}),
        ...(body.idpClientId !== undefined ? { idpClientId: body.idpClientId } : {}),
        ...(body.idToken !== undefined ? { idToken: body.idToken } : {}),
        ...(body.clientId !== undefined ? { clientId: body.clientId } : {}),
        ...(body.clientSecret !== undefined ? { clientSecret: body.clientSecret } : {}),
        ...(body.scope !== undefined ? { scope: body.scope } : {}),
        ...(body.clientMetadataUrl !== undefined ? { clientMetadataUrl: body.clientMetadataUrl } : {}),
        quirks,
      });
      await deps.admin.done(adminRequestOf(request), { login: login.id });
      return reply.code(201).send({ login });
    },
  );

  app.get(
    getMcpLogin.url,
    {
      config: { roles: ADMIN },
      schema: getMcpLogin.schema,
    },
    async (request, reply) => {
      const closed = new AbortController();
      reply.raw.once('close', () => closed.abort());
      const waitMs = Math.min(Number((request.query as { waitMs?: string }).waitMs ?? 0), MAX_LOGIN_WAIT_MS);
      return {
        login: await deps.mcp.loginStatus((request.params as { id: string }).id, waitMs, closed.signal),
      };
    },
  );

  app.delete(
    cancelMcpLogin.url,
    {
      config: { roles: ADMIN, admin: 'mcp.login.cancel' },
      schema: cancelMcpLogin.schema,
    },
    async (request) => {
      const login = await deps.mcp.cancelLogin((request.params as { id: string }).id);
      await deps.admin.done(adminRequestOf(request), { login: login.id, state: login.state });
      return { login };
    },
  );

  app.post(
    logoutMcpServer.url,
    {
      config: { roles: ADMIN, admin: 'mcp.logout' },
      schema: logoutMcpServer.schema,
    },
    async (request) => {
      const body = (request.body ?? {}) as { localOnly?: boolean };
      return deps.mcp.logout((request.params as { name: string }).name, {
        localOnly: body.localOnly === true,
      });
    },
  );

  app.get(
    listMcpServers.url,
    {
      config: { roles: ADMIN },
      schema: listMcpServers.schema,
    },
    async () => ({ servers: deps.mcp.list() }),
  );

  app.post(
    addMcpServer.url,
    {
      config: { roles: ADMIN, admin: 'mcp.add' },
      schema: addMcpServer.schema,
    },
    async (request, reply) =>
      reply.code(201).send({ server: await deps.mcp.add(request.body as AddServerInput) }),
  );

  app.get(
    getMcpServer.url,
    {
      config: { roles: ADMIN },
      schema: getMcpServer.schema,
    },
    async (request) => ({ server: deps.mcp.show((request.params as { name: string }).name) }),
  );

  app.delete(
    removeMcpServer.url,
    {
      config: { roles: ADMIN, admin: 'mcp.remove' },
      schema: removeMcpServer.schema,
    },
    async (request, reply) => {
      await deps.mcp.remove((request.params as { name: string }).name);
      return reply.code(204).send();
    },
  );

  app.post(
    refreshMcpServer.url,
    {
      config: { roles: ADMIN, admin: 'mcp.refresh' },
      schema: refreshMcpServer.schema,
    },
    async (request) => {
      const refreshed = await deps.mcp.refresh((request.params as { name: string }).name);
      await deps.admin.done(adminRequestOf(request), { changes: refreshed.changes.length });
      return refreshed;
    },
  );

  app.post(
    reviewMcpServer.url,
    {
      config: { roles: ADMIN, admin: 'mcp.review' },
      schema: reviewMcpServer.schema,
    },
    async (request) => deps.mcp.review((request.params as { name: string }).name),
  );
}
