import { createHash, randomBytes } from 'node:crypto';
import { type Signer, signCompactJws } from '@briefcase/keys';
import { parseWwwAuthenticate } from './www-authenticate.js';

/**
 * Whose nonce a `DPoP-Nonce` is. RFC 9449 §8 (authorization server) and §9 (resource server)
 * nonces are independent, so they are remembered separately even on a shared origin.
 */
export type DpopTarget = 'authorization_server' | 'resource';

/** Options of one proof. */
export interface DpopProofOptions {
  /** For requests to a resource: the access token, hashed into `ath` (RFC 9449 §4.2). */
  accessToken?: string;
  /** Defaults to `resource` when `accessToken` is given, else `authorization_server`. */
  target?: DpopTarget;
}

/** Builds DPoP proofs (RFC 9449) with a {@link Signer} and remembers server nonces. */
export interface DpopProver {
  /** The JOSE algorithm of the proofs (the signer's). */
  readonly algorithm: string;
  /** RFC 7638 thumbprint of the proof key: the `jkt` a DPoP-bound token's `cnf` carries (§6.1). */
  readonly thumbprint: string;
  /** A fresh proof for `htm` `htu` (query and fragment are dropped, RFC 9449 §4.2). */
  proof(htm: string, htu: string | URL, options?: DpopProofOptions): Promise<string>;
  /** Stores the `DPoP-Nonce` of `response`, if any, for `url`'s origin (RFC 9449 §8.2, §9). */
  rememberNonce(url: string | URL, response: Response, target: DpopTarget): void;
  /** The nonce currently remembered for `url`'s origin. */
  nonceFor(url: string | URL, target: DpopTarget): string | undefined;
}

/** Options of {@link createDpopProver}. */
export interface DpopProverOptions {
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
}

const MAX_NONCE_LENGTH = 1024;
const MAX_REMEMBERED_ORIGINS = 100;

/** base64url(SHA-256(ASCII(accessToken))): the `ath` claim (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** `htu`: the request URI without query and fragment (RFC 9449 §4.2, §4.3 step 9). */
export function dpopHtu(url: string | URL): string {
  const u = new URL(typeof url === 'string' ? url : url.href);
  return `${u.origin}${u.pathname}`;
}

/**
 * A DPoP prover over `signer`. Each proof is a JWT (RFC 9449 §4.2) with header
 * `{typ: "dpop+jwt", alg, jwk}` (public members only) and claims `jti` (128 random bits), `htm`,
 * `htu`, `iat`, plus `ath` for resource requests and `nonce` when the server supplied one. Signing
 * goes through `signCompactJws`, so the private key never leaves the key backend.
 */
export function createDpopProver(signer: Signer, options: DpopProverOptions = {}): DpopProver {
  const now = options.now ?? Date.now;
  const nonces = new Map<string, string>();
  const jwk = { ...signer.publicJwk() };
  const thumbprint = signer.thumbprint();
  const key = (url: string | URL, target: DpopTarget) =>
    `${target} ${new URL(typeof url === 'string' ? url : url.href).origin}`;

  return {
    algorithm: signer.algorithm,
    thumbprint,
    async proof(htm, htu, proofOptions = {}) {
      const target =
        proofOptions.target ?? (proofOptions.accessToken !== undefined ? 'resource' : 'authorization_server');
      const payload: Record<string, unknown> = {
        jti: randomBytes(16).toString('base64url'),
        htm: htm.toUpperCase(),
        htu: dpopHtu(htu),
        iat: Math.floor(now() / 1000),
      };
      if (proofOptions.accessToken !== undefined) payload.ath = accessTokenHash(proofOptions.accessToken);
      const nonce = nonces.get(key(htu, target));
      if (nonce !== undefined) payload.nonce = nonce;
      return signCompactJws(signer, { typ: 'dpop+jwt', jwk }, payload);
    },
    rememberNonce(url, response, target) {
      const nonce = response.headers.get('dpop-nonce');
      // RFC 9449 §8.1: a nonce is 1*NQCHAR (%x21 / %x23-5B / %x5D-7E).
      if (nonce === null || nonce.length > MAX_NONCE_LENGTH || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce))
        return;
      const k = key(url, target);
      nonces.delete(k);
      if (nonces.size >= MAX_REMEMBERED_ORIGINS) {
        const oldest = nonces.keys().next().value;
        if (oldest !== undefined) nonces.delete(oldest);
      }
      nonces.set(k, nonce);
    },
    nonceFor(url, target) {
      return nonces.get(key(url, target));
    },
  };
}

/**
 * True when `response` asks for a (new) DPoP nonce: from an authorization server, HTTP 400 with
 * `{"error":"use_dpop_nonce"}` (RFC 9449 §8); from a resource server, HTTP 401 with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` (§9). The body is read from a clone.
 */
export async function isUseDpopNonceResponse(response: Response): Promise<boolean> {
  if (response.status === 401) {
    return parseWwwAuthenticate(response.headers.get('www-authenticate')).some(
      (c) => c.scheme === 'dpop' && c.params.error === 'use_dpop_nonce',
    );
  }
  if (response.status !== 400) return false;
  try {
    const body = (await response.clone().json()) as unknown;
    return (
      typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'use_dpop_nonce'
    );
  } catch {
    return false;
  }
}
