// Micro-benchmark (not a test): pre-parsed `evaluate` against parsing the policy set and schema on
// every call with `isAuthorized`. Both sides ask Cedar the same two questions (call, then
// call_without_approval) about the same request under the default policy.
//
//   npx tsc -b packages/policy && node packages/policy/bench/evaluate.mjs [iterations]
//
// Prints one JSON line: {"preparsed_us_p50":..,"perCallParse_us_p50":..,"ratio":..}.
import { CEDAR_SCHEMA, compilePolicy, DEFAULT_POLICY } from '@briefcase/policy';
import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';

const iterations = Number(process.argv[2] ?? 2000);
const warmup = Math.min(200, iterations);

const request = {
  agent: 'default',
  tool: { name: 'notes.search', category: 'notes', effect: 'read', costMicroUsd: 0, source: 'builtin' },
  context: {
    costMicroUsd: 0,
    argsBytes: 120,
    firstUse: false,
    riskScore: 0,
    riskSignals: [],
    budget: {
      category: 'notes',
      wouldExceed: false,
      dailyRemainingMicroUsd: null,
      monthlyRemainingMicroUsd: null,
    },
  },
};

const compiled = compilePolicy(DEFAULT_POLICY);
if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
const policy = compiled.policy;

// The same request in Cedar's JSON form, as a per-call implementation would send it.
const principal = { type: 'Briefcase::Agent', id: 'default' };
const resource = { type: 'Briefcase::Tool', id: request.tool.name };
const cedarContext = {
  cost_micro_usd: 0,
  args_bytes: 120,
  first_use: false,
  risk_score: 0,
  risk_signals: [],
  budget: {
    category: 'notes',
    would_exceed: false,
    daily_remaining_micro_usd: Number.MAX_SAFE_INTEGER,
    monthly_remaining_micro_usd: Number.MAX_SAFE_INTEGER,
  },
};
const entities = [
  { uid: principal, attrs: { name: 'default' }, parents: [] },
  {
    uid: resource,
    attrs: { name: 'notes.search', category: 'notes', effect: 'read', cost_micro_usd: 0, source: 'builtin' },
    parents: [],
  },
];

function perCallParse() {
  let decision = 'deny';
  for (const id of ['call', 'call_without_approval']) {
    const answer = isAuthorized({
      principal,
      action: { type: 'Briefcase::Action', id },
      resource,
      context: cedarContext,
      entities,
      policies: { staticPolicies: DEFAULT_POLICY },
      schema: CEDAR_SCHEMA,
      validateRequest: true,
    });
    if (answer.type !== 'success') throw new Error(JSON.stringify(answer.errors));
    decision = answer.response.decision;
    if (decision === 'deny') break;
  }
  return decision;
}

function preparsed() {
  return policy.evaluate(request).kind;
}

function p50Micros(fn) {
  for (let i = 0; i < warmup; i++) fn();
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  samples.sort();
  return samples[Math.floor(iterations / 2)];
}

if (preparsed() !== 'allow' || perCallParse() !== 'allow')
  throw new Error('both paths must allow this request');
const preparsedUs = p50Micros(preparsed);
const perCallUs = p50Micros(perCallParse);
const round = (n) => Math.round(n * 10) / 10;
console.log(
  JSON.stringify({
    preparsed_us_p50: round(preparsedUs),
    perCallParse_us_p50: round(perCallUs),
    ratio: round(perCallUs / preparsedUs),
  }),
);
policy.dispose();
