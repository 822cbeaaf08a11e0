import { compileCheck, getPolicy, setPolicy, validatePolicy } from '@briefcase/api';
import type { DaemonHttp } from '../daemon-http.js';
import type { PolicyValidation, PolicyView } from '../types.js';
import type { RequestOptions } from './options.js';

/** The Cedar policy set: show, validate a candidate, replace. */
export interface PolicyMethods {
  getPolicy(options?: RequestOptions): Promise<PolicyView>;
  validatePolicy(text: string, options?: RequestOptions): Promise<PolicyValidation>;
  /** Throws BriefcaseError `invalid_args` with `details.errors` when the policy does not validate. */
  setPolicy(text: string, options?: RequestOptions): Promise<PolicyView>;
}

const current = compileCheck(getPolicy.schema.response[200]);
const validation = compileCheck(validatePolicy.schema.response[200]);
const replaced = compileCheck(setPolicy.schema.response[200]);

export function policyMethods(http: DaemonHttp): PolicyMethods {
  return {
    getPolicy: (opts = {}) => http.json({ method: 'GET', path: '/v1/policy', signal: opts.signal }, current),
    validatePolicy: (text, opts = {}) =>
      http.json(
        { method: 'POST', path: '/v1/policy/validate', body: { text }, signal: opts.signal },
        validation,
      ),
    setPolicy: (text, opts = {}) =>
      http.json({ method: 'PUT', path: '/v1/policy', body: { text }, signal: opts.signal }, replaced),
  };
}
