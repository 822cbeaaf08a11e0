import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { BriefcaseError } from '@briefcase/core';
import {
  createSoftwareKeyStore,
  type KeyAlgorithm,
  type KeyStore,
  type Signer,
  signCompactJws,
} from '@briefcase/keys';
import {
  createFileSecretStore,
  createMemorySecretStore,
  type SecretStore,
  sensitive,
} from '@briefcase/secrets';
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeSoftwareKey } from '../src/software-store.js';

const ALGORITHMS: KeyAlgorithm[] = ['EdDSA', 'ES256'];

/** The private half as the store keeps it, and as a JWK `d`: neither may ever show up elsewhere. */
async function privateMaterial(secrets: SecretStore, id: string): Promise<{ pkcs8: string; d: string }> {
  const stored = await secrets.get(`keys.${id}.private`);
  if (stored === null) throw new Error(`no private entry for ${id}`);
  const pkcs8 = stored.reveal();
  const key = createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
  const d = (key.export({ format: 'jwk' }) as { d: string }).d;
  return { pkcs8, d };
}

async function expectError(promise: Promise<unknown>, code: string): Promise<BriefcaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BriefcaseError);
  expect((error as BriefcaseError).code).toBe(code);
  return error as BriefcaseError;
}

async function verifyWithJose(jws: string, signer: Signer) {
  const key = await importJWK({ ...signer.publicJwk() }, signer.algorithm);
  return compactVerify(jws, key, { algorithms: [signer.algorithm] });
}

describe('software key store', () => {
  let secrets: SecretStore;
  let store: KeyStore;
  let now: Date;

  beforeEach(() => {
    secrets = createMemorySecretStore();
    now = new Date('2025-01-01T00:00:00.000Z');
    store = createSoftwareKeyStore({ secrets, clock: () => now });
  });

  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: signatures verify with jose, raw and as a compact JWS`, async () => {
      const signer = await store.ensure('dpop', algorithm);
      expect(signer.algorithm).toBe(algorithm);
      expect(signer.backend).toBe('software');

      const jws = await signCompactJws(signer, { typ: 'test+jwt', kid: signer.thumbprint() }, { n: 1 });
      const verified = await verifyWithJose(jws, signer);
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual({ n: 1 });
      expect(verified.protectedHeader).toEqual({ typ: 'test+jwt', kid: signer.thumbprint(), alg: algorithm });

      // Raw signatures: both are 64 bytes; for ES256 that is R‖S (RFC 7518 §3.4), not DER (70-72).
      const raw = await signer.sign(new TextEncoder().encode('hello'));
      expect(raw.byteLength).toBe(64);
      const [header, payload] = jws.split('.');
      const reassembled = `${header}.${payload}.${Buffer.from(await signer.sign(Buffer.from(`${header}.${payload}`))).toString('base64url')}`;
      await expect(verifyWithJose(reassembled, signer)).resolves.toBeDefined();

      // A changed payload no longer verifies.
      const tampered = `${header}.${Buffer.from('{"n":2}').toString('base64url')}.${jws.split('.')[2]}`;
      await expect(verifyWithJose(tampered, signer)).rejects.toThrow();
    });
  }

  it('the public JWK has only the RFC 7638 members and the thumbprint is its RFC 7638 hash', async () => {
    const ed = await store.ensure('dpop', 'EdDSA');
    const ec = await store.ensure('receipts', 'ES256');
    expect(Object.keys(ed.publicJwk()).sort()).toEqual(['crv', 'kty', 'x']);
    expect(Object.keys(ec.publicJwk()).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    const { calculateJwkThumbprint } = await import('jose');
    expect(ed.thumbprint()).toBe(await calculateJwkThumbprint(ed.publicJwk()));
    expect(ec.thumbprint()).toBe(await calculateJwkThumbprint(ec.publicJwk()));
    // Handing out the JWK is a copy: changing it changes nothing in the signer.
    const copy = ed.publicJwk();
    copy.x = 'changed';
    expect(ed.publicJwk().x).not.toBe('changed');
  });

  it('RFC 8037 Appendix A: an imported Ed25519 key has the A.3 thumbprint and signs the A.4 JWS', async () => {
    // RFC 8037 A.1 private key.
    const key = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      },
      format: 'jwk',
    });
    const info = await writeSoftwareKey(secrets, 'identity', key, now);
    expect(info.thumbprint).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    const signer = await store.signer(info.id);
    expect(signer.publicJwk()).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
    });
    expect(signer.thumbprint()).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    // Ed25519 is deterministic, so the A.4 example must come out byte for byte.
    const jws = await signCompactJws(signer, {}, new TextEncoder().encode('Example of Ed25519 signing'));
    expect(jws).toBe(
      'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
    );
    // Imported keys are stored inactive.
    expect(await store.active('identity')).toBeUndefined();
    expect((await store.list('identity'))[0]?.active).toBe(false);
  });

  it('a new store over the same secret store sees the same keys and signs identically', async () => {
    const ed = await store.ensure('dpop', 'EdDSA');
    const ec = await store.ensure('receipts', 'ES256');
    const before = await store.list();

    const reopened = createSoftwareKeyStore({ secrets });
    expect(await reopened.list()).toEqual(before);
    const ed2 = await reopened.ensure('dpop', 'ES256'); // existing key wins over the algorithm asked for
    expect(ed2.keyId).toBe(ed.keyId);
    expect(ed2.algorithm).toBe('EdDSA');
    const data = new TextEncoder().encode('same bytes');
    expect(Buffer.from(await ed2.sign(data))).toEqual(Buffer.from(await ed.sign(data)));

    const ec2 = await reopened.active('receipts');
    expect(ec2?.keyId).toBe(ec.keyId);
    expect(ec2?.publicJwk()).toEqual(ec.publicJwk());
    // ECDSA signatures are randomized: what matters is that the reloaded key verifies under the old JWK.
    const jws = await signCompactJws(ec2 as Signer, {}, { same: true });
    await expect(verifyWithJose(jws, ec)).resolves.toBeDefined();
  });

  it('no KeyInfo, serialized signer or error message contains the private key', async () => {
    const signers = [await store.ensure('dpop', 'EdDSA'), await store.ensure('receipts', 'ES256')];
    const materials = await Promise.all(signers.map((s) => privateMaterial(secrets, s.keyId)));
    const outputs: string[] = [JSON.stringify(await store.list())];
    for (const signer of signers) {
      outputs.push(JSON.stringify(signer), inspect(signer, { depth: 10, showHidden: true }), String(signer));
      expect(Object.keys(JSON.parse(JSON.stringify(signer))).sort()).toEqual([
        'algorithm',
        'backend',
        'keyId',
      ]);
    }

    // Damage the stores' entries in every way and collect the messages.
    const [first, second] = signers as [Signer, Signer];
    const [mine, theirs] = materials as [{ pkcs8: string; d: string }, { pkcs8: string; d: string }];
    const errors: unknown[] = [];
    const collect = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        errors.push(error);
      }
    };
    // A private half swapped with another key's: refused as not matching its public info.
    await secrets.put(`keys.${first.keyId}.private`, theirs.pkcs8);
    await collect(createSoftwareKeyStore({ secrets }).signer(first.keyId));
    // A truncated private half.
    await secrets.put(`keys.${first.keyId}.private`, mine.pkcs8.slice(0, 40));
    await collect(createSoftwareKeyStore({ secrets }).signer(first.keyId));
    // A private half where the info should be.
    await secrets.put(`keys.${second.keyId}.info`, theirs.pkcs8);
    await collect(createSoftwareKeyStore({ secrets }).signer(second.keyId));
    // Listing leaves the damaged key out rather than failing, so rotating to a fresh key still works.
    const reopened = createSoftwareKeyStore({ secrets });
    expect((await reopened.list()).map((k) => k.id)).toEqual([first.keyId]);
    await collect(reopened.active('receipts'));
    const fresh = await reopened.rotate('receipts');
    expect((await reopened.active('receipts'))?.keyId).toBe(fresh.id);
    // A private key pasted where an id belongs.
    await collect(store.signer(mine.pkcs8));
    await collect(store.delete(mine.d));
    await collect(store.ensure(mine.d as never));
    await collect(store.rotate('dpop', mine.d as never));
    expect(errors).toHaveLength(8);
    expect(errors.map((e) => (e as BriefcaseError).code)).toEqual([
      'internal_error',
      'internal_error',
      'internal_error',
      'internal_error',
      'not_found',
      'not_found',
      'invalid_args',
      'invalid_args',
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(BriefcaseError);
      const e = error as BriefcaseError;
      outputs.push(e.message, JSON.stringify(e.toBody()), String(e.stack));
    }
    const everything = outputs.join('\n');
    for (const { pkcs8, d } of materials) {
      expect(everything).not.toContain(pkcs8);
      expect(everything).not.toContain(pkcs8.slice(0, 40));
      expect(everything).not.toContain(d);
    }
  });

  it('two concurrent ensure calls for one purpose create one key (over the file backend, real I/O)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'briefcase-keys-race-'));
    try {
      const fileSecrets = await createFileSecretStore({ dir, passphrase: sensitive('race passphrase') });
      const racing = createSoftwareKeyStore({ secrets: fileSecrets });
      const results = await Promise.all(Array.from({ length: 8 }, () => racing.ensure('dpop')));
      expect(new Set(results.map((s) => s.keyId)).size).toBe(1);
      expect(await racing.list('dpop')).toHaveLength(1);
      // ensure racing a rotation: afterwards exactly one key is active, and it is the newest.
      await Promise.all([racing.rotate('dpop'), racing.ensure('dpop'), racing.rotate('dpop')]);
      const listed = await racing.list('dpop');
      expect(listed).toHaveLength(3);
      expect(listed.filter((k) => k.active)).toHaveLength(1);
      expect((await racing.active('dpop'))?.keyId).toBe(listed[0]?.id);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rotate keeps the old key listed inactive; list is active first, then newest first', async () => {
    const first = await store.ensure('receipts', 'ES256');
    now = new Date('2025-02-01T00:00:00.000Z');
    const second = await store.rotate('receipts');
    // Without an algorithm, rotation keeps the current key's.
    expect(second.algorithm).toBe('ES256');
    expect(second.active).toBe(true);
    expect(second.createdAt).toBe('2025-02-01T00:00:00.000Z');
    const third = await store.rotate('receipts', 'EdDSA'); // same millisecond as the second
    await store.ensure('dpop');

    const receipts = await store.list('receipts');
    expect(receipts.map((k) => [k.id, k.active])).toEqual([
      [third.id, true],
      [second.id, false],
      [first.keyId, false],
    ]);
    expect(receipts.every((k) => k.purpose === 'receipts' && k.backend === 'software')).toBe(true);
    expect((await store.active('receipts'))?.keyId).toBe(third.id);
    // Inactive keys still sign (e.g. to re-sign something old) and keep their public info.
    const old = await store.signer(first.keyId);
    expect(old.publicJwk()).toEqual(first.publicJwk());

    const all = await store.list();
    expect(all).toHaveLength(4);
    expect(all.slice(0, 2).every((k) => k.active)).toBe(true);
    expect(all.slice(2).every((k) => !k.active)).toBe(true);
    expect(all[0]?.purpose).toBe('dpop'); // the newest active key
  });

  it('delete removes both entries; deleting the active key clears the pointer', async () => {
    const first = await store.ensure('dpop');
    const second = await store.rotate('dpop');
    await store.delete(first.keyId);
    expect(await secrets.get(`keys.${first.keyId}.private`)).toBeNull();
    expect(await secrets.get(`keys.${first.keyId}.info`)).toBeNull();
    expect((await store.list('dpop')).map((k) => k.id)).toEqual([second.id]);
    await expectError(store.signer(first.keyId), 'not_found');
    // A handle obtained before the deletion no longer signs.
    await expectError(first.sign(new Uint8Array([1])), 'not_found');
    await expectError(store.delete(first.keyId), 'not_found');

    await store.delete(second.id);
    expect(await secrets.get('keys.active.dpop')).toBeNull();
    expect(await store.active('dpop')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect((await secrets.list()).filter((id) => id.startsWith('keys.'))).toEqual([]);
    // A later ensure creates a fresh key.
    const third = await store.ensure('dpop');
    expect([first.keyId, second.id]).not.toContain(third.keyId);
  });

  it('ids are random, not derived from the key', async () => {
    const key = generateKeyPairSync('ed25519').privateKey;
    const a = await writeSoftwareKey(secrets, 'identity', key, now);
    const b = await writeSoftwareKey(secrets, 'identity', key, now);
    expect(a.thumbprint).toBe(b.thumbprint);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('unknown purposes and algorithms are invalid_args; unknown ids not_found', async () => {
    await expectError(store.ensure('signing' as never), 'invalid_args');
    await expectError(store.ensure('dpop', 'RS256' as never), 'invalid_args');
    await expectError(store.rotate('receipts', 'HS256' as never), 'invalid_args');
    await expectError(store.active('x' as never), 'invalid_args');
    await expectError(store.list('x' as never), 'invalid_args');
    await expectError(store.signer('0123456789abcdef01234567'), 'not_found');
    await expectError(store.signer('../../etc/passwd'), 'not_found');
    await expectError(store.delete(42 as never), 'not_found');
    const signer = await store.ensure('dpop');
    await expectError(signer.sign('text' as never), 'invalid_args');
    // Nothing was created by the failed calls.
    expect(await store.list()).toHaveLength(1);
  });

  it('a signer loads once and is shared', async () => {
    const signer = await store.ensure('identity');
    const [a, b] = await Promise.all([store.signer(signer.keyId), store.signer(signer.keyId)]);
    expect(a).toBe(b);
    expect(a).toBe(signer);
    expect(await store.ensure('identity')).toBe(signer);
  });

  it('a JWS header names the key by thumbprint as callers put it', async () => {
    const signer = await store.ensure('receipts');
    const jws = await signCompactJws(signer, { kid: signer.thumbprint(), alg: 'none' }, { a: 1 });
    // The signer's alg wins over a caller's.
    expect(decodeProtectedHeader(jws)).toEqual({ kid: signer.thumbprint(), alg: 'EdDSA' });
  });
});

describe('software keys in the encrypted file backend', () => {
  let dir: string;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('no private key bytes appear on disk in any encoding', async () => {
    dir = await mkdtemp(join(tmpdir(), 'briefcase-keys-file-'));
    const secrets = await createFileSecretStore({ dir, passphrase: sensitive('file passphrase') });
    const store = createSoftwareKeyStore({ secrets });
    const signers = [await store.ensure('dpop', 'EdDSA'), await store.ensure('receipts', 'ES256')];

    const needles: Buffer[] = [];
    for (const signer of signers) {
      const { pkcs8, d } = await privateMaterial(secrets, signer.keyId);
      const der = Buffer.from(pkcs8, 'base64');
      const scalar = Buffer.from(d, 'base64url');
      needles.push(
        der,
        Buffer.from(pkcs8),
        Buffer.from(pkcs8.slice(20, 60)),
        scalar,
        Buffer.from(d),
        Buffer.from(scalar.toString('hex')),
        Buffer.from(scalar.toString('base64')),
      );
    }
    const files = await readdir(dir);
    expect(files.length).toBeGreaterThan(4); // meta.json and the entries
    for (const name of files) {
      const bytes = await readFile(join(dir, name));
      for (const needle of needles) expect(bytes.includes(needle), name).toBe(false);
    }

    // And the keys come back after reopening with the passphrase.
    const reopened = createSoftwareKeyStore({
      secrets: await createFileSecretStore({ dir, passphrase: sensitive('file passphrase') }),
    });
    const again = await reopened.active('dpop');
    const data = new TextEncoder().encode('persisted');
    expect(Buffer.from(await (again as Signer).sign(data))).toEqual(
      Buffer.from(await (signers[0] as Signer).sign(data)),
    );
  });
});
