import {
  createSoftwareKeyStore,
  type KeyStore,
  parsePublicJwk,
  type Signer,
  signCompactJws,
  verifyCompactJws,
} from '@briefcase/keys';
import { createMemorySecretStore } from '@briefcase/secrets';
import { beforeEach, describe, expect, it } from 'vitest';

const TYP = 'briefcase-test+jwt';

describe('verifyCompactJws against a pinned key', () => {
  let store: KeyStore;
  let ed: Signer;
  let ec: Signer;

  beforeEach(async () => {
    store = createSoftwareKeyStore({ secrets: createMemorySecretStore() });
    ed = await store.ensure('receipts', 'EdDSA');
    ec = await store.ensure('dpop', 'ES256');
  });

  const sign = (signer: Signer, payload: Record<string, unknown> = { seq: 3 }) =>
    signCompactJws(signer, { typ: TYP, kid: signer.thumbprint() }, payload);

  it('accepts a JWS signed by the key, for both algorithms', async () => {
    for (const signer of [ed, ec]) {
      const result = await verifyCompactJws(await sign(signer), signer.publicJwk(), { typ: TYP });
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.algorithm).toBe(signer.algorithm);
      expect(result.header.kid).toBe(signer.thumbprint());
      expect(JSON.parse(new TextDecoder().decode(result.payload))).toEqual({ seq: 3 });
    }
  });

  it('a changed payload is a bad signature', async () => {
    const [header, , signature] = (await sign(ed)).split('.');
    const forged = `${header}.${Buffer.from('{"seq":4}').toString('base64url')}.${signature}`;
    const result = await verifyCompactJws(forged, ed.publicJwk(), { typ: TYP });
    expect(result).toMatchObject({ ok: false, failure: 'bad_signature' });
  });

  it('another key of the same type is a wrong key (by kid) or a bad signature (without kid)', async () => {
    const other = await store.rotate('receipts', 'EdDSA');
    const withKid = await verifyCompactJws(await sign(ed), other.publicJwk, { typ: TYP });
    expect(withKid).toMatchObject({ ok: false, failure: 'wrong_key' });
    if (!withKid.ok) expect(withKid.message).toContain(other.thumbprint);
    const noKid = await verifyCompactJws(await signCompactJws(ed, { typ: TYP }, {}), other.publicJwk, {
      typ: TYP,
    });
    expect(noKid).toMatchObject({ ok: false, failure: 'bad_signature' });
  });

  it('the algorithm comes from the key, never the token; typ must match', async () => {
    expect(await verifyCompactJws(await sign(ed), ec.publicJwk(), { typ: TYP })).toMatchObject({
      ok: false,
      failure: 'alg_mismatch',
    });
    // alg "none" with an empty signature is refused before any verification.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect(await verifyCompactJws(none, ed.publicJwk())).toMatchObject({
      ok: false,
      failure: 'alg_mismatch',
    });
    expect(await verifyCompactJws(await sign(ed), ed.publicJwk(), { typ: 'other+jwt' })).toMatchObject({
      ok: false,
      failure: 'typ_mismatch',
    });
  });

  it('garbage is malformed, never a throw', async () => {
    for (const garbage of ['', 'a.b', 'a.b.c', '!!!.###.$$$', `${'x'.repeat(10)}..`, 42 as never]) {
      const result = await verifyCompactJws(garbage, ed.publicJwk());
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.failure).toBe('malformed');
    }
  });

  it('a bad key is reported, and a private JWK is refused', async () => {
    expect(parsePublicJwk({ ...ed.publicJwk(), d: 'secret' })).toMatchObject({ ok: false });
    expect(parsePublicJwk({ kty: 'RSA', n: 'x', e: 'AQAB' })).toMatchObject({ ok: false });
    expect(parsePublicJwk({ kty: 'EC', crv: 'P-256', x: 'abc' })).toMatchObject({ ok: false });
    expect(parsePublicJwk('text')).toMatchObject({ ok: false });
    // Extra members are dropped: only the RFC 7638 ones are kept.
    expect(parsePublicJwk({ ...ec.publicJwk(), kid: 'k', use: 'sig' })).toEqual({
      ok: true,
      jwk: ec.publicJwk(),
    });
    const jws = await sign(ed);
    expect(await verifyCompactJws(jws, { ...ed.publicJwk(), d: 'x' } as never)).toMatchObject({
      ok: false,
      failure: 'bad_key',
    });
    // Not a point on the curve.
    const offCurve = { ...ec.publicJwk(), y: ec.publicJwk().x };
    const noKid = await signCompactJws(ec, {}, {});
    expect(await verifyCompactJws(noKid, offCurve)).toMatchObject({ ok: false, failure: 'bad_key' });
  });
});
