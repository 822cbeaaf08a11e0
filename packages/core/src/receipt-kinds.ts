/**
 * Every kind of receipt the daemon writes, as data (like ERROR_CATALOG). A receipt's `kind` is one of
 * these keys; the daemon's one receipt writer refuses any other, so a new action cannot invent an
 * unlisted kind. `attempt` kinds close one enforced attempt (allowed, denied or failed); `intent`
 * kinds are written before an outside effect starts; `change` kinds record what a person changed.
 * Adding a kind is a format change: append, never rename.
 */
export const RECEIPT_KINDS = {
  tool_call: {
    role: 'attempt',
    description:
      'One tool call, whatever its fate: tool, source, args hash, decision and reasons, approval, cost, outcome.',
  },
  tool_call_intent: {
    role: 'intent',
    description: 'Written and made durable before an external tool starts; the tool_call receipt follows it.',
  },
  mcp_relay: {
    role: 'attempt',
    description:
      'One relayed MCP request (resources, prompts, completion, sampling, elicitation, roots): server, method, target, direction, params hash, decision, outcome.',
  },
  admin_change: {
    role: 'attempt',
    description:
      'An administrative action that failed or was refused (wrong role, bad input, an unreachable server): action, caller, target, input hash, outcome and error code.',
  },
  approval_decision: {
    role: 'change',
    description: 'A person approved or denied an approval request.',
  },
  policy_update: { role: 'change', description: 'The active policy was replaced: new and previous hashes.' },
  budget_update: { role: 'change', description: "A category's daily and monthly caps were set." },
  key_rotation: { role: 'change', description: 'A new key became active for a purpose: both thumbprints.' },
  mcp_server_added: {
    role: 'change',
    description: 'A remote MCP server was added: transport, the hashes of its pinned tools.',
  },
  mcp_server_removed: { role: 'change', description: 'A remote MCP server was removed.' },
  mcp_server_refreshed: {
    role: 'change',
    description: "A person refreshed a server's catalog: how many tool definitions changed.",
  },
  mcp_tools_changed: {
    role: 'change',
    description: 'A server announced changed tool definitions; they are quarantined until reviewed.',
  },
  mcp_review_accepted: { role: 'change', description: 'A person accepted changed tool definitions.' },
  mcp_login: {
    role: 'change',
    description: 'A sign-in to a server (OAuth): issuer, grant (a person, or a machine grant), scopes, DPoP.',
  },
  mcp_logout: { role: 'change', description: 'A person signed out of a server; tokens revoked and dropped.' },
  approval_expired: {
    role: 'change',
    description:
      'An approval request ended undecided or unused: its lifetime passed, or the caller waiting on it went away or briefcased stopped before anyone decided.',
  },
} as const satisfies Record<string, { role: 'attempt' | 'intent' | 'change'; description: string }>;

/** One of the keys of {@link RECEIPT_KINDS}. */
export type ReceiptKind = keyof typeof RECEIPT_KINDS;

/** Whether `kind` is a listed receipt kind. */
export function isReceiptKind(kind: unknown): kind is ReceiptKind {
  return typeof kind === 'string' && Object.hasOwn(RECEIPT_KINDS, kind);
}
