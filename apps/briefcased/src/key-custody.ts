import { isBriefcaseError } from '@briefcase/core';
import type { KeyStore } from '@briefcase/keys';

/** The status warning shown while any key's private half is in software. */
export const SOFTWARE_KEYS_WARNING =
  'keys are software-backed: private keys are encrypted in the secret store, not in hardware';

/** What `GET /v1/status` reports about key custody, and the warnings it adds. */
export interface KeyCustodyStatus {
  keyCustody: { keys: number; active: number; backends: string[] };
  warnings: string[];
}

/**
 * Summarizes the key store for the status route. A key whose private half is in software (the
 * secret store) is a warning: a process that can read the secret store can sign with it. Never
 * throws: a key store that cannot be read is a warning too.
 */
export async function keyCustodyStatus(keys: KeyStore): Promise<KeyCustodyStatus> {
  let list: Awaited<ReturnType<KeyStore['list']>>;
  try {
    list = await keys.list();
  } catch (error) {
    // Status must still answer when the key store is damaged; the reason is a BriefcaseError
    // message (never key material) or a generic sentence.
    const why = isBriefcaseError(error) ? error.message : 'an unexpected error';
    return {
      keyCustody: { keys: 0, active: 0, backends: [] },
      warnings: [`the key store could not be read: ${why}`],
    };
  }
  const backends = [...new Set(list.map((key) => key.backend))].sort();
  return {
    keyCustody: { keys: list.length, active: list.filter((key) => key.active).length, backends },
    warnings: backends.includes('software') ? [SOFTWARE_KEYS_WARNING] : [],
  };
}
