import { createMemorySecretStore } from '@briefcase/secrets';
import { describe, expect, it } from 'vitest';
import { runStoreContract } from './fixtures/store-contract.mjs';

describe('memory secret store', () => {
  it('meets the SecretStore contract', async () => {
    const store = createMemorySecretStore();
    expect(store.backend).toBe('memory');
    expect(await runStoreContract(store)).toHaveLength(8);
  });

  it('keeps separate stores apart', async () => {
    const one = createMemorySecretStore();
    const two = createMemorySecretStore();
    await one.put('only.here', 'v');
    expect(await two.get('only.here')).toBeNull();
    expect(await one.list()).toEqual(['only.here']);
  });
});
