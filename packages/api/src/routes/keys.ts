import { KEY_ALGORITHMS, KEY_PURPOSES } from '@briefcase/core';
import { defineRoute, errorResponses } from '../route.js';
import { OptionalBody, StringEnum } from '../schema-kit.js';
import { Type } from '../type.js';

export { KEY_ALGORITHMS, KEY_PURPOSES };

/** A public JWK (only the RFC 7638 members). */
export const PublicJwk = Type.Object(
  {
    kty: StringEnum(['OKP', 'EC']),
    crv: StringEnum(['Ed25519', 'P-256']),
    x: Type.String(),
    y: Type.Optional(Type.String()),
  },
  { description: 'Public key as a JWK (RFC 7517): OKP Ed25519 {kty, crv, x} or EC P-256 {kty, crv, x, y}.' },
);

/** A key in custody; never any private material. */
export const Key = Type.Object(
  {
    id: Type.String(),
    purpose: StringEnum(KEY_PURPOSES),
    algorithm: StringEnum(KEY_ALGORITHMS),
    backend: Type.String({ description: 'Where the private half lives (`software`: the secret store).' }),
    active: Type.Boolean(),
    createdAt: Type.String(),
    thumbprint: Type.String({ description: 'RFC 7638 JWK SHA-256 thumbprint (base64url).' }),
    publicJwk: PublicJwk,
  },
  { description: 'A key in custody. Never any private material.' },
);

export const listKeys = defineRoute('GET', '/v1/keys', {
  summary: 'Keys in custody (public info only), active first, then newest first',
  response: { 200: Type.Object({ keys: Type.Array(Key) }), ...errorResponses(401, 403) },
});

export const rotateKey = defineRoute('POST', '/v1/keys/:purpose/rotate', {
  summary: 'Make a new key the active one for a purpose; the old one stays listed, inactive',
  description:
    "Anything signed with the old key still verifies with its public key. The rotation is recorded as a `key_rotation` receipt. Without `algorithm`, the new key keeps the current key's (EdDSA when there is none).",
  params: Type.Object({ purpose: StringEnum(KEY_PURPOSES) }),
  body: OptionalBody(
    Type.Object({ algorithm: Type.Optional(StringEnum(KEY_ALGORITHMS)) }, { additionalProperties: false }),
  ),
  response: { 200: Type.Object({ key: Key }), ...errorResponses(400, 401, 403) },
});
