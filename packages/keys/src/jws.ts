import type { Signer } from './types.js';

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/**
 * A JWS in compact serialization (RFC 7515 §3.1, §7.1) signed by `signer`:
 * `BASE64URL(protected header) . BASE64URL(payload) . BASE64URL(signature)`. The header's `alg` is
 * the signer's; a caller's `alg` is ignored. This only assembles the serialization: the signature
 * itself comes from the key's backend, so it works for keys whose private half can never be
 * exported (PKCS#11, TPM2, remote signers), where a library such as jose would need the key itself.
 */
export async function signCompactJws(
  signer: Signer,
  header: Record<string, unknown>,
  payload: Record<string, unknown> | Uint8Array,
): Promise<string> {
  const protectedHeader = b64url(JSON.stringify({ ...header, alg: signer.algorithm }));
  const body = b64url(payload instanceof Uint8Array ? payload : JSON.stringify(payload));
  const signingInput = `${protectedHeader}.${body}`;
  const signature = await signer.sign(Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${b64url(signature)}`;
}
