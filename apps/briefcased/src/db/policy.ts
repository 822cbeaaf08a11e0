import { sha256Hex } from '@briefcase/core';
import type { Db } from './open.js';

export interface StoredPolicy {
  text: string;
  hash: string;
  updatedAtMs: number;
}

/** The single active Cedar policy set, seeded with the default on first start. */
export interface PolicyStore {
  get(): StoredPolicy | undefined;
  set(text: string, nowMs: number): StoredPolicy;
}

export function createPolicyStore(db: Db): PolicyStore {
  const get = db.prepare<[], { text: string; hash: string; updated_at_ms: number }>(
    'SELECT text, hash, updated_at_ms FROM policy WHERE id = 1',
  );
  const put = db.prepare(
    `INSERT INTO policy (id, text, hash, updated_at_ms) VALUES (1, @text, @hash, @now)
     ON CONFLICT (id) DO UPDATE SET text = @text, hash = @hash, updated_at_ms = @now`,
  );
  return {
    get() {
      const row = get.get();
      return row && { text: row.text, hash: row.hash, updatedAtMs: row.updated_at_ms };
    },
    set(text, nowMs) {
      const hash = sha256Hex(text);
      put.run({ text, hash, now: nowMs });
      return { text, hash, updatedAtMs: nowMs };
    },
  };
}
