import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

describe('key custody and signed receipt heads over the API', () => {
  let t: TestDaemon | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('GET /v1/receipts/head is a JWS over the newest receipt that verifies with the returned key', async () => {
    t = await startTestDaemon();
    expect((await t.call('echo', { text: 'a' })).status).toBe(200);
    const reply = await t.api('GET', '/v1/receipts/head');
    expect(reply.status).toBe(200);
    const head = reply.json;
    const verified = await compactVerify(head.signedHead, await importJWK(head.key, 'EdDSA'), {
      algorithms: ['EdDSA'],
    });
    expect(verified.protectedHeader).toEqual({
      typ: 'briefcase-receipt-head+jwt',
      kid: head.thumbprint,
      alg: 'EdDSA',
    });
    const claims = JSON.parse(new TextDecoder().decode(verified.payload));
    const newest = (await t.api('GET', '/v1/receipts?limit=1')).json.receipts[0];
    expect(claims).toEqual({
      seq: newest.seq,
      hash: newest.hash,
      ts: newest.ts,
      count: newest.seq,
      iat: expect.any(Number),
    });
    expect(head).toMatchObject({ seq: newest.seq, hash: newest.hash, ts: newest.ts, count: newest.seq });

    // Receipts appended after the head are left out of an export `through` it.
    expect((await t.call('echo', { text: 'b' })).status).toBe(200);
    const exported = await t.api('GET', `/v1/receipts/export?through=${head.seq}`);
    const seqs = exported.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).seq);
    expect(seqs).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
    expect((await t.api('GET', '/v1/receipts/export?through=-1')).status).toBe(400);
  });

  it('key routes are admin-only, validate the purpose and algorithm, and never show private members', async () => {
    t = await startTestDaemon();
    for (const [method, path] of [
      ['GET', '/v1/keys'],
      ['POST', '/v1/keys/receipts/rotate'],
      ['GET', '/v1/receipts/head'],
    ] as const) {
      expect((await t.api(method, path, method === 'POST' ? {} : undefined, t.agent)).status).toBe(403);
    }
    expect((await t.api('GET', '/v1/keys')).json).toEqual({ keys: [] });
    expect((await t.api('POST', '/v1/keys/signing/rotate', {})).status).toBe(400);
    expect((await t.api('POST', '/v1/keys/dpop/rotate', { algorithm: 'RS256' })).status).toBe(400);
    expect((await t.api('POST', '/v1/keys/dpop/rotate', { algorithm: 'ES256', extra: 1 })).status).toBe(400);

    const rotated = await t.api('POST', '/v1/keys/dpop/rotate', { algorithm: 'ES256' });
    expect(rotated.status).toBe(200);
    expect(rotated.json.key).toMatchObject({
      purpose: 'dpop',
      algorithm: 'ES256',
      backend: 'software',
      active: true,
    });
    expect(Object.keys(rotated.json.key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    // Without an algorithm, the next rotation keeps ES256.
    const again = await t.api('POST', '/v1/keys/dpop/rotate');
    expect(again.json.key.algorithm).toBe('ES256');
    const keys = (await t.api('GET', '/v1/keys')).json.keys;
    expect(keys.map((k: { active: boolean }) => k.active)).toEqual([true, false]);
    expect(t.seen.join('\n')).not.toMatch(/"d"\s*:/);

    const status = (await t.api('GET', '/v1/status')).json;
    expect(status.keyCustody).toEqual({ keys: 2, active: 1, backends: ['software'] });
    expect(status.warnings).toEqual([
      'keys are software-backed: private keys are encrypted in the secret store, not in hardware',
    ]);
  });

  it('the receipts key survives a restart with the encrypted file secret store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'briefcased-keys-'));
    const options = {
      dataDir,
      secretBackend: 'file' as const,
      env: { BRIEFCASE_MASTER_PASSPHRASE: 'a passphrase for the keys test' },
    };
    try {
      t = await startTestDaemon(options);
      const first = (await t.api('GET', '/v1/receipts/head')).json;
      await t.stop();
      t = await startTestDaemon(options);
      const second = (await t.api('GET', '/v1/receipts/head')).json;
      expect(second.thumbprint).toBe(first.thumbprint);
      expect(second.key).toEqual(first.key);
      expect((await t.api('GET', '/v1/keys')).json.keys).toHaveLength(1);
    } finally {
      await t?.stop();
      t = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
