import { Sensitive } from './sensitive.js';
import { assertSecretId, type SecretStore, secretValueOf } from './store.js';

/**
 * A {@link SecretStore} that lives only in this process: for tests and throwaway sessions.
 * Everything is lost when the process exits.
 */
export function createMemorySecretStore(): SecretStore {
  const values = new Map<string, string>();
  return {
    backend: 'memory',
    async get(id) {
      assertSecretId(id);
      const value = values.get(id);
      return value === undefined ? null : new Sensitive(value);
    },
    async put(id, value) {
      assertSecretId(id);
      values.set(id, secretValueOf(id, value));
    },
    async delete(id) {
      assertSecretId(id);
      return values.delete(id);
    },
    async list() {
      return [...values.keys()].sort();
    },
  };
}
