import { randomUUID } from 'node:crypto';
import { sha256Hex } from '@briefcase/core';
import {
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  preparseSchema,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs';
import { problemFromCedar } from './cedar-errors.js';
import { evaluateCompiled, evaluateRelayCompiled, type PolicyMeta } from './evaluate.js';
import { memoizeDecisions } from './memo.js';
import { CEDAR_SCHEMA } from './schema.js';
import { byteOffsetOf, type SourceText, sourceText } from './source-text.js';
import type {
  CompiledPolicy,
  CompileResult,
  PolicyProblem,
  PolicyRequest,
  RelayPolicyRequest,
} from './types.js';

/** Policy texts larger than this are refused before Cedar sees them (the default policy is ~1.5 KB). */
export const MAX_POLICY_TEXT_BYTES = 1024 * 1024;

/** Name the schema is pre-parsed under; it changes whenever the schema text does. */
export const PREPARSED_SCHEMA_NAME = `briefcase-schema-${sha256Hex(CEDAR_SCHEMA).slice(0, 16)}`;

/**
 * cedar-wasm caches pre-parsed sets in one table per WASM instance, and two copies of this module
 * (say, the built package and its source under test) can share that instance. A random prefix per
 * module instance keeps their ids apart.
 */
const SET_ID_PREFIX = `briefcase-policy-${randomUUID()}-`;
let setCounter = 0;
/** Ids of disposed sets, reused so that the cache never grows past the number of live policies. */
const recycledSetIds: string[] = [];
let schemaPreparsed = false;

function ensureSchemaPreparsed(): PolicyProblem[] {
  if (schemaPreparsed) return [];
  const answer = preparseSchema(PREPARSED_SCHEMA_NAME, CEDAR_SCHEMA);
  if (answer.type === 'failure') {
    return answer.errors.map((e) => ({
      message: `internal: the built-in schema failed to parse: ${e.message}`,
    }));
  }
  schemaPreparsed = true;
  return [];
}

interface PolicyPart {
  id: string;
  text: string;
  /** UTF-8 byte offset of the part in the whole text, to report validation errors where they are. */
  byteOffset: number;
  meta: PolicyMeta;
}

/**
 * `policySetTextToParts` returns the policies "sorted by id", and the ids the parser assigns are
 * `policy0`, `policy1`, ... in source order. Sorting those names as strings (policy0, policy1,
 * policy10, policy2, ...) tells which source position each returned part came from.
 */
function sourceOrder(count: number): number[] {
  const names = Array.from({ length: count }, (_, i) => ({ i, name: `policy${i}` }));
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return names.map((n) => n.i);
}

function splitPolicies(source: SourceText): { parts: PolicyPart[] } | { problems: PolicyProblem[] } {
  const answer = policySetTextToParts(source.text);
  if (answer.type === 'failure') {
    return { problems: answer.errors.map((e) => problemFromCedar(e, source)) };
  }
  if (answer.policy_templates.length > 0) {
    return {
      problems: [
        {
          message:
            'policy templates (policies with ?principal or ?resource slots) are not supported; write the entity out instead',
        },
      ],
    };
  }

  const order = sourceOrder(answer.policies.length);
  const bySource: string[] = [];
  answer.policies.forEach((text, k) => {
    bySource[order[k] as number] = text;
  });

  const problems: PolicyProblem[] = [];
  const parts: PolicyPart[] = [];
  const seen = new Set<string>();
  let cursor = 0;
  bySource.forEach((text, index) => {
    // Parts are exact slices of the source; searching from the previous one finds each in turn.
    let at = source.text.indexOf(text, cursor);
    if (at < 0) at = Math.max(0, source.text.indexOf(text));
    cursor = at + text.length;
    const byteOffset = byteOffsetOf(source, at);

    const json = policyToJson(text);
    const annotations = json.type === 'success' ? (json.json.annotations ?? {}) : {};
    const annotated = annotations.id;
    const id = annotated ?? `policy${index}`;
    if (id.trim() === '') {
      problems.push({ message: `policy number ${index + 1} has an empty @id annotation; give it a name` });
      return;
    }
    if (seen.has(id)) {
      problems.push({
        message: `two policies are named "${id}"; policy ids must be unique (rename one @id annotation)`,
        policyId: id,
      });
      return;
    }
    seen.add(id);
    parts.push({ id, text, byteOffset, meta: { reason: annotations.reason } });
  });
  return problems.length > 0 ? { problems } : { parts };
}

/** A record keyed by policy id; no prototype, so an id such as `__proto__` is just a key. */
function policyRecord(parts: readonly PolicyPart[]): Record<string, string> {
  const record: Record<string, string> = Object.create(null);
  for (const part of parts) record[part.id] = part.text;
  return record;
}

function validateParts(source: SourceText, parts: readonly PolicyPart[]): PolicyProblem[] {
  const answer = validate({
    schema: CEDAR_SCHEMA,
    policies: { staticPolicies: policyRecord(parts) },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') return answer.errors.map((e) => problemFromCedar(e, source));
  // `type: 'success'` only means validation ran: the policy is valid when there are no validation errors.
  const offsets = new Map(parts.map((p) => [p.id, p.byteOffset]));
  const problems = answer.validationErrors.map((v) =>
    problemFromCedar(v.error, source, { baseByte: offsets.get(v.policyId) ?? 0, policyId: v.policyId }),
  );
  // In the order a person reads the text (Array.prototype.sort is stable for equal positions).
  return problems.sort(
    (a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
}

/**
 * Parses `text` as a Cedar policy set, validates it in strict mode against {@link CEDAR_SCHEMA} and
 * pre-parses it once, so that each `evaluate` only runs the authorizer. Call it when the policy
 * changes, never per call. Never throws: every problem is returned with an actionable message.
 */
export function compilePolicy(text: string): CompileResult {
  if (typeof text !== 'string') return { ok: false, errors: [{ message: 'policy text must be a string' }] };
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_TEXT_BYTES) {
    return {
      ok: false,
      errors: [{ message: `policy text is larger than ${MAX_POLICY_TEXT_BYTES} bytes; split or shorten it` }],
    };
  }
  const schemaProblems = ensureSchemaPreparsed();
  if (schemaProblems.length > 0) return { ok: false, errors: schemaProblems };

  const source = sourceText(text);
  const split = splitPolicies(source);
  if ('problems' in split) return { ok: false, errors: split.problems };
  const problems = validateParts(source, split.parts);
  if (problems.length > 0) return { ok: false, errors: problems };

  const setId = recycledSetIds.pop() ?? `${SET_ID_PREFIX}${setCounter++}`;
  const preparsed = preparsePolicySet(setId, { staticPolicies: policyRecord(split.parts) });
  if (preparsed.type === 'failure') {
    recycledSetIds.push(setId);
    return { ok: false, errors: preparsed.errors.map((e) => problemFromCedar(e, undefined)) };
  }
  return { ok: true, policy: makeCompiledPolicy(text, setId, split.parts) };
}

function makeCompiledPolicy(text: string, setId: string, parts: readonly PolicyPart[]): CompiledPolicy {
  const meta = new Map(parts.map((p) => [p.id, p.meta]));
  let disposed = false;
  const target = () => ({ setId, schemaName: PREPARSED_SCHEMA_NAME, meta, disposed });
  const evaluate = memoizeDecisions((request: PolicyRequest) => evaluateCompiled(target(), request));
  const evaluateRelay = memoizeDecisions((request: RelayPolicyRequest) =>
    evaluateRelayCompiled(target(), request),
  );
  const compiled: CompiledPolicy = {
    text,
    hash: sha256Hex(text),
    policyIds: Object.freeze(parts.map((p) => p.id)) as string[],
    // After dispose nothing is looked up: the memo would answer for a set that no longer exists.
    evaluate: (request) => (disposed ? evaluateCompiled(target(), request) : evaluate(request)),
    evaluateRelay: (request) =>
      disposed ? evaluateRelayCompiled(target(), request) : evaluateRelay(request),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      // Replacing the cached set drops the parsed policies; the id is then safe to hand out again,
      // because this object refuses to evaluate from now on.
      const answer = preparsePolicySet(setId, { staticPolicies: {} });
      if (answer.type === 'success') recycledSetIds.push(setId);
    },
  };
  return Object.freeze(compiled);
}
