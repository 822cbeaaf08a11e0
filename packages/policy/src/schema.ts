/**
 * The Cedar schema every Briefcase policy is validated against (strict mode).
 *
 * Entity and attribute names are part of the policy language users write, so renaming one is a breaking
 * change for every stored policy: add, never rename.
 */
export const CEDAR_SCHEMA = `// Credential Briefcase: the vocabulary of policies. Amounts are integers in micro-USD (1 USD = 1000000).
namespace Briefcase {
  // The caller. For now always Agent::"default"; gateways will identify different agents later.
  entity Agent = { name: String };

  // The tool being called. Its entity id is the tool name.
  entity Tool = {
    name: String,
    // Free-form grouping used by budgets and policy, e.g. "notes", "payments", "network".
    category: String,
    // "read" or "write". The default policy forbids any other value.
    effect: String,
    // The tool's estimated cost per call.
    cost_micro_usd: Long,
    // "builtin", "mcp", "sandbox" or "provider".
    source: String,
    // Name of the remote server or provider; absent for builtins (test it with \`resource has server\`).
    server?: String,
  };

  type Budget = {
    // The budget category charged for this call (the tool's category).
    category: String,
    // True when this call would go over the daily or monthly cap, or the category has no budget at all.
    would_exceed: Bool,
    // What is left in the current UTC day / month. 9007199254740991 means "no cap for this window".
    daily_remaining_micro_usd: Long,
    monthly_remaining_micro_usd: Long,
  };

  type CallContext = {
    // The MCP method this request is: "tools/call" for tool calls (action call / call_without_approval);
    // for action relay one of "resources/read", "resources/subscribe", "prompts/get",
    // "completion/complete" (the agent asking a server) or "sampling/createMessage",
    // "elicitation/create", "roots/list" (a server asking the agent's client).
    method: String,
    // What the request is about: the tool name, resource URI or prompt name; "" when there is none.
    target: String,
    // Cost of this call.
    cost_micro_usd: Long,
    // Size of the call arguments as canonical JSON, in bytes.
    args_bytes: Long,
    // True the first time this agent calls this tool.
    first_use: Bool,
    // Sum of the points of the risk signals below.
    risk_score: Long,
    // Ids of the risk signals that fired, e.g. "first_use", "large_args", "cost_spike".
    risk_signals: Set<String>,
    budget: Budget,
  };

  // "call": may this call happen at all?
  // "call_without_approval": may it happen without a person approving it?
  // "relay": may an MCP request other than a tool call pass between the agent and a remote server?
  //   Its resource is a Tool entity standing for that server's method: id and name "SERVER/METHOD",
  //   category "mcp", source "mcp", server SERVER, effect "write" for sampling and elicitation (the
  //   server makes the agent's client act) and "read" for the rest. Allow or deny; never approval.
  action call, call_without_approval, relay appliesTo {
    principal: [Agent],
    resource: [Tool],
    context: CallContext,
  };
}
`;

/**
 * Sent to Cedar as the remaining budget of a window that has no cap: `Number.MAX_SAFE_INTEGER`, the
 * largest integer a JavaScript number holds exactly (Cedar's Long goes higher, but the value must
 * survive the JSON round trip unchanged).
 */
export const NO_CAP_REMAINING_MICRO_USD = Number.MAX_SAFE_INTEGER;

/** Cedar entity type of the caller. */
export const AGENT_ENTITY_TYPE = 'Briefcase::Agent';
/** Cedar entity type of the tool being called. */
export const TOOL_ENTITY_TYPE = 'Briefcase::Tool';
/** Cedar entity type of the two actions. */
export const ACTION_ENTITY_TYPE = 'Briefcase::Action';
