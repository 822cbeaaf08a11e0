import { createPrivateKey, type KeyObject } from 'node:crypto';
import { importPKCS8 } from 'jose';
import { type ClientAuth, PrivateKeyJwt } from 'oauth4webapi';
import { OAuthError } from './errors.js';

/** Algorithms a client may sign its `private_key_jwt` assertions with (RFC 7523 §2.2, OIDC Core §9). */
export const CLIENT_SIGNING_ALGS = ['ES256', 'EdDSA', 'RS256'] as const;
export type ClientSigningAlg = (typeof CLIENT_SIGNING_ALGS)[number];

/**
 * A client's private key for `private_key_jwt`: PKCS#8 PEM and the JWS algorithm. A secret: it
 * lives in the daemon's secret store only, and is never logged, receipted or echoed.
 */
export interface ClientPrivateKey {
  pem: string;
  alg: ClientSigningAlg;
}

function algOf(key: KeyObject): ClientSigningAlg | undefined {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048)
    return 'RS256';
  return undefined;
}

/**
 * Reads a private key given as PEM (PKCS#8, SEC 1 or PKCS#1) and returns it as PKCS#8 with its JWS
 * algorithm: ES256 for a P-256 key, EdDSA for Ed25519, RS256 for RSA of 2048 bits or more. An
 * `alg` given must fit the key. Throws OAuthError `invalid_args` / `invalid_client_key`, whose
 * message never contains the key.
 */
export function parseClientPrivateKey(pem: string, alg?: ClientSigningAlg): ClientPrivateKey {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new OAuthError(
      'invalid_args',
      'invalid_client_key',
      'The client private key is not a PEM private key (PKCS#8, SEC 1 or PKCS#1).',
    );
  }
  const fits = algOf(key);
  if (fits === undefined) {
    throw new OAuthError(
      'invalid_args',
      'invalid_client_key',
      'The client private key must be P-256 (ES256), Ed25519 (EdDSA) or RSA of at least 2048 bits (RS256).',
    );
  }
  if (alg !== undefined && alg !== fits) {
    throw new OAuthError(
      'invalid_args',
      'invalid_client_key',
      `The client private key signs with ${fits}, not ${alg}.`,
    );
  }
  return { pem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), alg: fits };
}

/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OIDC Core §9) with oauth4webapi's
 * `PrivateKeyJwt`: a fresh assertion per request with `iss` = `sub` = client id, `aud` = the
 * issuer, `jti`, `iat`, `exp` 60 s later. The key is imported on first use.
 */
export function privateKeyJwtAuthentication(key: ClientPrivateKey): ClientAuth {
  let auth: ClientAuth | undefined;
  return async (as, client, body, headers) => {
    auth ??= PrivateKeyJwt(await importPKCS8(key.pem, key.alg));
    await auth(as, client, body, headers);
  };
}

/**
 * The strings of a PEM key a hostile server could echo back in an `error_description`: the whole
 * PEM, its base64 body, and each body line. {@link safeDescription} removes them all.
 */
export function pemSecretParts(pem: string): string[] {
  const lines = pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('-----'));
  return [pem, lines.join(''), ...lines];
}
