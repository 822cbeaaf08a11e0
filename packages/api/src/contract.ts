import type { RouteContract } from './route.js';
import * as approvals from './routes/approvals.js';
import * as budgets from './routes/budgets.js';
import * as keys from './routes/keys.js';
import * as mcp from './routes/mcp.js';
import * as policy from './routes/policy.js';
import * as receipts from './routes/receipts.js';
import * as relay from './routes/relay.js';
import * as system from './routes/system.js';
import * as tools from './routes/tools.js';

/**
 * Every route of the local API, in the order the daemon registers them (which is the order of the
 * paths in the OpenAPI document).
 */
export const ROUTES: readonly RouteContract[] = [
  system.health,
  system.status,
  tools.listTools,
  tools.callTool,
  approvals.listApprovals,
  approvals.approvalStream,
  approvals.getApproval,
  approvals.approveApproval,
  approvals.denyApproval,
  receipts.listReceipts,
  receipts.verifyReceipts,
  receipts.receiptHead,
  receipts.exportReceipts,
  keys.listKeys,
  keys.rotateKey,
  budgets.listBudgets,
  budgets.setBudget,
  policy.getPolicy,
  policy.validatePolicy,
  policy.setPolicy,
  mcp.startMcpLogin,
  mcp.getMcpLogin,
  mcp.cancelMcpLogin,
  mcp.logoutMcpServer,
  mcp.listMcpServers,
  mcp.addMcpServer,
  mcp.getMcpServer,
  mcp.removeMcpServer,
  mcp.refreshMcpServer,
  mcp.reviewMcpServer,
  relay.openChannel,
  relay.answerChannelRequest,
  relay.relay,
];

/** The contract of `method url` (Fastify URL syntax), if there is one. */
export function findRoute(method: string, url: string): RouteContract | undefined {
  return ROUTES.find((route) => route.method === method && route.url === url);
}
