/**
 * The policy both conformance legs run under: the default policy plus permission to call the tools
 * of the remote server `server` without a person. Remote tools count as writes, which the default
 * policy sends to approval, and nobody approves during a conformance run. Appending keeps whatever
 * the default policy says about relayed MCP requests.
 */
import { DEFAULT_POLICY } from '@briefcase/policy';

export function conformancePolicy(server) {
  return `${DEFAULT_POLICY}
// Conformance run (conformance/): the tools of the server "${server}" run without approval.
@id("conformance-permit-fixture-calls")
@reason("the conformance server's tools run for the conformance suite")
permit (
  principal,
  action in [Briefcase::Action::"call", Briefcase::Action::"call_without_approval"],
  resource
)
when { resource has server && resource.server == "${server}" };
`;
}
