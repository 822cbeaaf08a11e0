import { compactVerify, decodeProtectedHeader, importJWK, errors as joseErrors } from 'jose';
import { algorithmOfJwk, jwkThumbprint } from './algorithms.js';
import type { KeyAlgorithm, PublicJwk } from './types.js';

/** Why a JWS did not verify against a pinned key. */
export type JwsFailure =
  /** Not a compact JWS, or its header is not a JSON object. */
  | 'malformed'
  /** The key given is not an Ed25519 or P-256 public JWK. */
  | 'bad_key'
  /** The header's `alg` is not the one the key is for (RFC 8725 §3.1: never let the token pick). */
  | 'alg_mismatch'
  /** The header's `typ` is not the one expected (RFC 8725 §3.11: explicit typing). */
  | 'typ_mismatch'
  /** The header's `kid` names a different key: the JWS was signed by another key. */
  | 'wrong_key'
  /** The signature does not verify: the header or payload changed, or another key signed it. */
  | 'bad_signature';

/** Outcome of {@link verifyCompactJws}; `message` is a sentence for a person. */
export type JwsVerification =
  | { ok: true; header: Record<string, unknown>; payload: Uint8Array; algorithm: KeyAlgorithm }
  | { ok: false; failure: JwsFailure; message: string };

/** Options for {@link verifyCompactJws}. */
export interface VerifyJwsOptions {
  /** Required value of the protected header's `typ`. */
  typ?: string;
}

const JWK_MEMBER = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Reads a public JWK given by a person (e.g. pinned on the command line). Returns the key with only
 * its RFC 7638 members, or a reason it is not usable. A JWK with a private member (`d`) is refused:
 * the verifier must never be handed the private key.
 */
export function parsePublicJwk(
  value: unknown,
): { ok: true; jwk: PublicJwk } | { ok: false; message: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'the key is not a JSON object (a public JWK)' };
  }
  const jwk = value as Record<string, unknown>;
  if (Object.hasOwn(jwk, 'd')) {
    return {
      ok: false,
      message: 'the key contains a private member "d": pin only the public key (kty, crv, x[, y])',
    };
  }
  const x = jwk.x;
  const y = jwk.y;
  if (typeof x !== 'string' || !JWK_MEMBER.test(x)) return { ok: false, message: 'the key has no valid "x"' };
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return { ok: true, jwk: { kty: 'OKP', crv: 'Ed25519', x } };
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    if (typeof y !== 'string' || !JWK_MEMBER.test(y))
      return { ok: false, message: 'the key has no valid "y"' };
    return { ok: true, jwk: { kty: 'EC', crv: 'P-256', x, y } };
  }
  return { ok: false, message: 'the key is neither an OKP Ed25519 nor an EC P-256 JWK' };
}

/**
 * Verifies a compact JWS (RFC 7515 §7.1) against one pinned public key with jose. The accepted
 * `alg` is fixed by the key's type (EdDSA for Ed25519, ES256 for P-256), never taken from the
 * token. When the header carries a `kid`, it must be the key's RFC 7638 thumbprint (how
 * {@link signCompactJws} callers in this project name keys), which tells "signed by another key"
 * apart from "changed after signing". Never throws.
 */
export async function verifyCompactJws(
  jws: string,
  key: PublicJwk,
  options: VerifyJwsOptions = {},
): Promise<JwsVerification> {
  const parsedKey = parsePublicJwk(key);
  if (!parsedKey.ok) return { ok: false, failure: 'bad_key', message: parsedKey.message };
  const algorithm = algorithmOfJwk(parsedKey.jwk) as KeyAlgorithm;
  if (typeof jws !== 'string' || jws.split('.').length !== 3) {
    return { ok: false, failure: 'malformed', message: 'not a compact JWS (three base64url parts)' };
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jws) as Record<string, unknown>;
  } catch {
    return { ok: false, failure: 'malformed', message: 'the JWS header is not base64url JSON' };
  }
  if (header.alg !== algorithm) {
    return {
      ok: false,
      failure: 'alg_mismatch',
      message: `the JWS is signed with alg ${JSON.stringify(String(header.alg)).slice(0, 40)}, but the key given is for ${algorithm}`,
    };
  }
  if (options.typ !== undefined && header.typ !== options.typ) {
    return {
      ok: false,
      failure: 'typ_mismatch',
      message: `the JWS is not a ${options.typ} (its typ is ${JSON.stringify(String(header.typ)).slice(0, 60)})`,
    };
  }
  const thumbprint = await jwkThumbprint(parsedKey.jwk);
  if (header.kid !== undefined && header.kid !== thumbprint) {
    return {
      ok: false,
      failure: 'wrong_key',
      message: `the JWS was signed by key ${JSON.stringify(String(header.kid)).slice(0, 60)}, not by the key given (thumbprint ${thumbprint})`,
    };
  }
  let verificationKey: Awaited<ReturnType<typeof importJWK>>;
  try {
    verificationKey = await importJWK({ ...parsedKey.jwk }, algorithm);
  } catch {
    return {
      ok: false,
      failure: 'bad_key',
      message: `the key given is not a valid ${parsedKey.jwk.crv} point`,
    };
  }
  try {
    const { payload } = await compactVerify(jws, verificationKey, { algorithms: [algorithm] });
    return { ok: true, header, payload, algorithm };
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      return {
        ok: false,
        failure: 'bad_signature',
        message: 'the signature does not verify with the key given (edited after signing, or another key)',
      };
    }
    return {
      ok: false,
      failure: 'malformed',
      message: `the JWS is not valid (${error instanceof Error ? error.message.slice(0, 120) : 'unknown error'})`,
    };
  }
}
