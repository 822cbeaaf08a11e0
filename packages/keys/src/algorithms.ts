import { createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { BriefcaseError, KEY_ALGORITHMS } from '@briefcase/core';
import { calculateJwkThumbprint } from 'jose';
import { KEY_PURPOSES, type KeyAlgorithm, type KeyPurpose, type PublicJwk } from './types.js';

/** Every supported algorithm, as data (defined in `@briefcase/core`, shared with the wire contract). */
export { KEY_ALGORITHMS };

/** The algorithm a key store uses when the caller names none. */
export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'EdDSA';

/** True for a {@link KeyPurpose}. */
export function isKeyPurpose(value: unknown): value is KeyPurpose {
  return typeof value === 'string' && (KEY_PURPOSES as readonly string[]).includes(value);
}

/** True for a {@link KeyAlgorithm}. */
export function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && (KEY_ALGORITHMS as readonly string[]).includes(value);
}

/** Throws `invalid_args` unless `value` is a purpose. The value is not echoed: it may be anything. */
export function assertKeyPurpose(value: unknown): asserts value is KeyPurpose {
  if (!isKeyPurpose(value)) {
    throw new BriefcaseError('invalid_args', `Unknown key purpose: use one of ${KEY_PURPOSES.join(', ')}.`);
  }
}

/** Throws `invalid_args` unless `value` is an algorithm. */
export function assertKeyAlgorithm(value: unknown): asserts value is KeyAlgorithm {
  if (!isKeyAlgorithm(value)) {
    throw new BriefcaseError(
      'invalid_args',
      `Unknown key algorithm: use one of ${KEY_ALGORITHMS.join(', ')}.`,
    );
  }
}

/** node:crypto's key type and curve behind each JOSE algorithm. */
export const KEY_TYPE_OF: Readonly<Record<KeyAlgorithm, { type: 'ed25519' | 'ec'; curve?: string }>> = {
  EdDSA: { type: 'ed25519' },
  ES256: { type: 'ec', curve: 'prime256v1' },
};

/**
 * The JOSE algorithm that a public JWK is used with: EdDSA for OKP Ed25519 (RFC 8037 §3.1), ES256
 * for EC P-256 (RFC 7518 §3.4). Undefined for any other key.
 */
export function algorithmOfJwk(jwk: PublicJwk): KeyAlgorithm | undefined {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  return undefined;
}

/** The algorithm of a node:crypto key, or undefined when it is neither Ed25519 nor P-256. */
export function algorithmOfKeyObject(key: KeyObject): KeyAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

/**
 * The public JWK of a key (private or public), with exactly the members RFC 7638 §3.2 hashes for
 * its type: `{crv, kty, x}` for OKP, `{crv, kty, x, y}` for EC. Never `d`.
 */
export function publicJwkOf(key: KeyObject): PublicJwk {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const algorithm = algorithmOfKeyObject(publicKey);
  if (algorithm === 'EdDSA' && typeof jwk.x === 'string') return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  if (algorithm === 'ES256' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
    return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  }
  throw new BriefcaseError('invalid_args', 'Only Ed25519 and P-256 keys are supported.');
}

/**
 * RFC 7638 JWK SHA-256 thumbprint (base64url, no padding) of a public key, computed by jose: the
 * `kid` of the JWSs signed in this project, and the `jkt` of DPoP (RFC 9449 §6.1).
 */
export function jwkThumbprint(jwk: PublicJwk): Promise<string> {
  // Only the required members are passed, so nothing optional can change the hash (RFC 7638 §3.2).
  const members = jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : jwk;
  return calculateJwkThumbprint({ ...members }, 'sha256');
}

/**
 * Signs `data` with `key` the way JWS needs for `algorithm`: Ed25519 over the message itself
 * (RFC 8037 §3.1), ES256 as SHA-256 with the signature in IEEE P1363 form, the 64-byte R‖S of
 * RFC 7518 §3.4, not the DER that ECDSA APIs produce by default.
 */
export function signWith(algorithm: KeyAlgorithm, key: KeyObject, data: Uint8Array): Uint8Array {
  if (algorithm === 'EdDSA') return cryptoSign(null, data, key);
  return cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}
