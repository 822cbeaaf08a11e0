/**
 * The kinds of key the daemon keeps, as data shared by the key store (`@briefcase/keys`) and the
 * wire contract (`@briefcase/api`), so the two cannot drift.
 */

/** What a key is for. One active key per purpose; rotated keys stay listed until deleted. */
export const KEY_PURPOSES = ['dpop', 'receipts', 'identity'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** JOSE algorithm names (RFC 7518, RFC 8037) of the keys the daemon makes. */
export const KEY_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];
