/**
 * The policy Briefcase runs with until a person writes their own.
 *
 * It forbids what it does not know: only tools whose effect is "read" or "write" may be called at all,
 * and an explicit forbid keeps any other effect out even when a user appends broader permits.
 * Reads within budget run without a person; writes, and anything over budget, need approval.
 */
export const DEFAULT_POLICY = `// Credential Briefcase default policy.
// Two questions are asked for every tool call:
//   Briefcase::Action::"call"                  may this call happen at all?
//   Briefcase::Action::"call_without_approval" may it happen without a person approving it?
// and one for every other MCP request relayed between the agent and a remote server:
//   Briefcase::Action::"relay"                 may it pass? (see context.method and context.target)
// Cedar denies when no permit matches, and any matching forbid wins over every permit.

// Tools that read or write may be called (approval may still be needed, see below).
@id("default-permit-read-write")
@reason("tools that read or write may be called")
permit (principal, action == Briefcase::Action::"call", resource)
when { resource.effect == "read" || resource.effect == "write" };

// Forbid what we do not know: a tool with any other effect is never called, whatever else is permitted.
@id("default-forbid-unknown-effect")
@reason("the tool's effect is neither read nor write")
forbid (principal, action, resource)
unless { resource.effect == "read" || resource.effect == "write" };

// Reads within budget need no person. Writes and over-budget calls match no permit here, so they need approval.
@id("default-read-without-approval")
@reason("reads within budget run without approval")
permit (principal, action == Briefcase::Action::"call_without_approval", resource)
when { resource.effect == "read" && context.budget.would_exceed == false };

// Resources, prompts and completions the agent asks for, and sampling, elicitation and roots requests
// from remote servers to the agent's client, pass as they would without the briefcase. Forbid them per
// server or per method (see the policy README), e.g. sampling from a server you do not trust.
@id("default-permit-relay")
@reason("MCP requests other than tool calls pass between the agent and remote servers")
permit (principal, action == Briefcase::Action::"relay", resource);
`;
