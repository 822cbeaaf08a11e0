import { listKeys, rotateKey } from '@briefcase/api';
import type { KeyAlgorithm, KeyPurpose, KeyStore } from '@briefcase/keys';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';

/** What the key routes use: the key store, and the receipt log that records rotations. */
export interface KeyRouteDeps {
  keys: KeyStore;
  writer: ReceiptWriter;
  clock: () => Date;
}

/** Registers the admin's key routes: list every key, rotate the key of a purpose. */
export function registerKeyRoutes(app: FastifyInstance, deps: KeyRouteDeps): void {
  app.get(
    listKeys.url,
    {
      config: { roles: ADMIN },
      schema: listKeys.schema,
    },
    async () => ({ keys: await deps.keys.list() }),
  );

  app.post(
    rotateKey.url,
    {
      config: { roles: ADMIN, admin: 'key.rotate' },
      schema: rotateKey.schema,
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
