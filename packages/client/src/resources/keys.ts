import { compileCheck, listKeys, rotateKey } from '@briefcase/api';
import { type DaemonHttp, pathSegment } from '../daemon-http.js';
import type { KeyView } from '../types.js';
import type { RequestOptions } from './options.js';

/** Keys in custody: list them, rotate the key of a purpose. */
export interface KeyMethods {
  /** Keys in custody (public info only), active first, then newest first. */
  listKeys(options?: RequestOptions): Promise<KeyView[]>;
  /**
   * Makes a new key the active one for `purpose` (`dpop`, `receipts`, `identity`); the old one
   * stays listed. Without `algorithm` (`EdDSA` or `ES256`) the current key's is kept.
   */
  rotateKey(purpose: string, options?: RequestOptions & { algorithm?: string }): Promise<KeyView>;
}

const list = compileCheck(listKeys.schema.response[200]);
const rotated = compileCheck(rotateKey.schema.response[200]);

export function keyMethods(http: DaemonHttp): KeyMethods {
  return {
    async listKeys(opts = {}) {
      return (await http.json({ method: 'GET', path: '/v1/keys', signal: opts.signal }, list)).keys;
    },

    async rotateKey(purpose, opts = {}) {
      const path = `/v1/keys/${pathSegment(purpose, 'purpose')}/rotate`;
      const body = opts.algorithm === undefined ? {} : { algorithm: opts.algorithm };
      return (await http.json({ method: 'POST', path, body, signal: opts.signal }, rotated)).key;
    },
  };
}
