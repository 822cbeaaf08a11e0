import {
  KEY_ALGORITHMS,
  KEY_PURPOSES,
  type KeyAlgorithm,
  type KeyPurpose,
  type KeyStore,
} from '@briefcase/keys';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';
import { errorResponses } from '../schemas.js';

/** JSON Schema of a public JWK (only the RFC 7638 members). */
export const PUBLIC_JWK_SCHEMA = {
  type: 'object',
  description: 'Public key as a JWK (RFC 7517): OKP Ed25519 {kty, crv, x} or EC P-256 {kty, crv, x, y}.',
  properties: {
    kty: { type: 'string', enum: ['OKP', 'EC'] },
    crv: { type: 'string', enum: ['Ed25519', 'P-256'] },
    x: { type: 'string' },
    y: { type: 'string' },
  },
  required: ['kty', 'crv', 'x'],
} as const;

const KEY_SCHEMA = {
  type: 'object',
  description: 'A key in custody. Never any private material.',
  properties: {
    id: { type: 'string' },
    purpose: { type: 'string', enum: [...KEY_PURPOSES] },
    algorithm: { type: 'string', enum: [...KEY_ALGORITHMS] },
    backend: { type: 'string', description: 'Where the private half lives (`software`: the secret store).' },
    active: { type: 'boolean' },
    createdAt: { type: 'string' },
    thumbprint: { type: 'string', description: 'RFC 7638 JWK SHA-256 thumbprint (base64url).' },
    publicJwk: PUBLIC_JWK_SCHEMA,
  },
  required: ['id', 'purpose', 'algorithm', 'backend', 'active', 'createdAt', 'thumbprint', 'publicJwk'],
} as const;

/** What the key routes use: the key store, and the receipt log that records rotations. */
export interface KeyRouteDeps {
  keys: KeyStore;
  writer: ReceiptWriter;
  clock: () => Date;
}

/** Registers the admin's key routes: list every key, rotate the key of a purpose. */
export function registerKeyRoutes(app: FastifyInstance, deps: KeyRouteDeps): void {
  app.get(
    '/v1/keys',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Keys in custody (public info only), active first, then newest first',
        response: {
          200: {
            type: 'object',
            properties: { keys: { type: 'array', items: KEY_SCHEMA } },
            required: ['keys'],
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async () => ({ keys: await deps.keys.list() }),
  );

  app.post(
    '/v1/keys/:purpose/rotate',
    {
      config: { roles: ADMIN, admin: 'key.rotate' },
      schema: {
        summary: 'Make a new key the active one for a purpose; the old one stays listed, inactive',
        description:
          "Anything signed with the old key still verifies with its public key. The rotation is recorded as a `key_rotation` receipt. Without `algorithm`, the new key keeps the current key's (EdDSA when there is none).",
        params: {
          type: 'object',
          properties: { purpose: { type: 'string', enum: [...KEY_PURPOSES] } },
          required: ['purpose'],
        },
        body: {
          type: ['object', 'null'],
          properties: { algorithm: { type: 'string', enum: [...KEY_ALGORITHMS] } },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { key: KEY_SCHEMA }, required: ['key'] },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { purpose } = request.params as { purpose: KeyPurpose };
      const algorithm = (request.body as { algorithm?: KeyAlgorithm } | null)?.algorithm;
      const previous = await deps.keys.active(purpose);
      const key = await deps.keys.rotate(purpose, algorithm);
      // The receipt chain keeps the history of public keys, so an old export's key can be traced.
      await deps.writer.record('key_rotation', {
        purpose,
        algorithm: key.algorithm,
        thumbprint: key.thumbprint,
        previousThumbprint: previous?.thumbprint() ?? null,
        by: 'local-admin',
      });
      return { key };
    },
  );
}
