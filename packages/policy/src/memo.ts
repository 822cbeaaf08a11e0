import type { PolicyDecision } from './types.js';

/** Decisions remembered per compiled policy. */
export const MAX_MEMOIZED_DECISIONS = 1024;

/**
 * Remembers decisions by request. A Cedar decision is a pure function of the policy set, the schema
 * and the request (entities and context included), so an identical request gets the identical answer
 * without asking the authorizer again; repeated calls of a tool with the same arguments size, budget
 * state and risk signals are the common case. Least recently used entries go first. A request that
 * cannot be serialized (a hostile getter, a cycle) is not remembered: `decide` sees it as is.
 */
export function memoizeDecisions<R>(
  decide: (request: R) => PolicyDecision,
  max = MAX_MEMOIZED_DECISIONS,
): (request: R) => PolicyDecision {
  const remembered = new Map<string, PolicyDecision>();
  return (request) => {
    let key: string | undefined;
    try {
      key = JSON.stringify(request);
    } catch {
      key = undefined;
    }
    if (key === undefined) return decide(request);
    const hit = remembered.get(key);
    if (hit) {
      remembered.delete(key);
      remembered.set(key, hit);
      return hit;
    }
    const decision = decide(request);
    // Evaluation errors are remembered too: the same request fails the same way every time.
    const frozen = Object.freeze({
      kind: decision.kind,
      reasons: Object.freeze(decision.reasons.map((r) => Object.freeze({ ...r }))),
    }) as PolicyDecision;
    remembered.set(key, frozen);
    if (remembered.size > max) remembered.delete(remembered.keys().next().value as string);
    return frozen;
  };
}
