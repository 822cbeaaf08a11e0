/**
 * The key custody contract. Every later proof-of-possession (DPoP), receipt signature and hardware
 * backend goes through these types. A key handle is opaque: nothing here ever returns private key
 * material.
 */

import type { KeyAlgorithm, KeyPurpose } from '@briefcase/core';

export { KEY_PURPOSES, type KeyAlgorithm, type KeyPurpose } from '@briefcase/core';

/** Where the private half lives. Only `software` exists today; it is reported as a warning. */
export type KeyBackend = 'software';

/** A public key as a JWK (RFC 7517): OKP Ed25519 `{kty, crv, x}` or EC P-256 `{kty, crv, x, y}`. */
export interface PublicJwk {
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  x: string;
  y?: string;
}

/** Signs with one key whose private half never leaves its backend. */
export interface Signer {
  /** Opaque handle id (not secret). */
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly backend: KeyBackend;
  /** The public half, with only the members RFC 7638 hashes (no `d`, no `kid`). */
  publicJwk(): PublicJwk;
  /** RFC 7638 JWK SHA-256 thumbprint, base64url without padding. */
  thumbprint(): string;
  /**
   * Signs `data` as JWS requires for `algorithm` (RFC 7518 §3.4: ES256 gives the 64-byte R‖S, not
   * DER; RFC 8037: EdDSA gives the 64-byte Ed25519 signature).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** What is known about a stored key; never any private material. */
export interface KeyInfo {
  id: string;
  purpose: KeyPurpose;
  algorithm: KeyAlgorithm;
  backend: KeyBackend;
  /** True for the one key currently used for its purpose. */
  active: boolean;
  createdAt: string;
  thumbprint: string;
  publicJwk: PublicJwk;
}

/** Creates, lists, rotates and deletes keys by purpose. */
export interface KeyStore {
  /** All keys (of one purpose when given), active first, then newest first. */
  list(purpose?: KeyPurpose): Promise<KeyInfo[]>;
  /** The active key of `purpose`, created (with `algorithm`, default EdDSA) when there is none. */
  ensure(purpose: KeyPurpose, algorithm?: KeyAlgorithm): Promise<Signer>;
  /** The active key of `purpose`, or undefined. */
  active(purpose: KeyPurpose): Promise<Signer | undefined>;
  /** A signer for a stored key by id (active or not). @throws BriefcaseError `not_found` */
  signer(id: string): Promise<Signer>;
  /** Makes a new key the active one for `purpose`; the old one stays listed (inactive). */
  rotate(purpose: KeyPurpose, algorithm?: KeyAlgorithm): Promise<KeyInfo>;
  /** Deletes a key and its private half. @throws BriefcaseError `not_found` */
  delete(id: string): Promise<void>;
}
