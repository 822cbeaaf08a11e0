/**
 * End to end: signed receipt heads. A real briefcased (started as `briefcase daemon`) signs its
 * chain head with its receipts key; `briefcase receipts export` writes the receipts and the signed
 * head; `briefcase receipts verify --file --key` checks the file offline, with no daemon.
 * Build first: `npx tsc -b apps/cli`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, run, runJson, startDaemon, stop } from './support.js';

interface HeadOut {
  seq: number;
  hash: string;
  signedHead: string;
  thumbprint: string;
  key: { kty: string; crv: string; x: string; y?: string };
}

interface KeyOut {
  purpose: string;
  algorithm: string;
  backend: string;
  active: boolean;
  thumbprint: string;
}

let dataDir: string;
/** A data dir where no daemon ever ran: offline verification must work there. */
let offlineDir: string;
let daemon: Running | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-receipts-e2e-'));
  offlineDir = await mkdtemp(join(tmpdir(), 'bc-receipts-offline-'));
  daemon = await startDaemon(dataDir);
  for (const text of ['one', 'two', 'three']) {
    expect((await run(dataDir, 'tools', 'call', 'echo', '--args', JSON.stringify({ text }))).code).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await stop(daemon);
  for (const dir of [dataDir, offlineDir])
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Runs `receipts verify --file` in the daemon-less data dir. */
const verifyOffline = (file: string, key: string, ...extra: string[]) =>
  run(offlineDir, 'receipts', 'verify', '--file', file, '--key', key, ...extra);

const lines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');

describe('signed receipt heads', () => {
  let head: HeadOut;
  let keyFile: string;
  let exportFile: string;

  it('receipts head prints the public key to pin; export ends with the signed head', async () => {
    const json = await runJson<HeadOut>(dataDir, 'receipts', 'head');
    expect(json.code).toBe(0);
    head = json.body;
    expect(head.key).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String) });
    expect(head.signedHead.split('.')).toHaveLength(3);

    const human = await run(dataDir, 'receipts', 'head');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(head.thumbprint);
    // The last line is the JWK itself, ready to save and pin.
    const pinned = human.stdout.trimEnd().split('\n').at(-1) as string;
    expect(JSON.parse(pinned)).toEqual(head.key);
    keyFile = join(dataDir, 'receipts-key.jwk');
    await writeFile(keyFile, pinned);

    exportFile = join(dataDir, 'export-1.ndjson');
    const exported = await run(dataDir, 'receipts', 'export', '--out', exportFile);
    expect(exported.code).toBe(0);
    const count = Number(exported.stdout.match(/^exported (\d+) receipts/)?.[1]);
    expect(exported.stdout).toContain(`signed head at receipt ${count}`);
    const written = await lines(exportFile);
    expect(written).toHaveLength(count + 1);
    const trailer = JSON.parse(written.at(-1) as string);
    expect(trailer.key).toEqual(head.key);
    expect((JSON.parse(written.at(-2) as string) as { seq: number }).seq).toBe(count);
  });

  it('verifies offline with the pinned key, as a file, inline JSON, or the head --json output', async () => {
    const ok = await verifyOffline(exportFile, `@${keyFile}`);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      new RegExp(
        `^receipt export verified: \\d+ receipts, chain intact, head \\d+ [0-9a-f]{64} signed by key ${head.thumbprint}`,
      ),
    );
    expect((await verifyOffline(exportFile, JSON.stringify(head.key))).code).toBe(0);
    const headJson = join(dataDir, 'head.json');
    await writeFile(headJson, JSON.stringify(head));
    expect((await verifyOffline(exportFile, `@${headJson}`)).code).toBe(0);
    const json = await runJson<{ ok: boolean; count: number; thumbprint: string }>(
      offlineDir,
      'receipts',
      'verify',
      '--file',
      exportFile,
      '--key',
      `@${keyFile}`,
    );
    expect(json.body).toMatchObject({ ok: true, thumbprint: head.thumbprint });
    expect(json.body.count).toBe((await lines(exportFile)).length - 1);
  });

  it('a tampered receipt breaks the chain (exit 15)', async () => {
    const tampered = join(dataDir, 'tampered.ndjson');
    const original = await lines(exportFile);
    const edited = [...original];
    const target = JSON.parse(edited[1] as string) as Record<string, unknown>;
    edited[1] = JSON.stringify({ ...target, ts: '2000-01-01T00:00:00.000Z' });
    await writeFile(tampered, `${edited.join('\n')}\n`);
    const result = await verifyOffline(tampered, `@${keyFile}`);
    expect(result.code).toBe(15);
    expect(result.stdout).toMatch(/^receipt export FAILED verification: receipt chain broken at receipt 2: /);
    const json = await runJson<{ ok: boolean; problem: string; brokenAt: number }>(
      offlineDir,
      'receipts',
      'verify',
      '--file',
      tampered,
      '--key',
      `@${keyFile}`,
    );
    expect(json.code).toBe(15);
    expect(json.body).toMatchObject({ ok: false, problem: 'chain', brokenAt: 2 });
  });

  it('cutting the last receipt is a head mismatch; cutting the signed head makes it unsigned', async () => {
    const original = await lines(exportFile);
    const cut = join(dataDir, 'cut.ndjson');
    await writeFile(cut, `${[...original.slice(0, -2), original.at(-1)].join('\n')}\n`);
    const result = await verifyOffline(cut, `@${keyFile}`);
    expect(result.code).toBe(15);
    expect(result.stdout).toMatch(/FAILED verification: head mismatch: .*missing \(truncated\?\)/);

    const unsigned = join(dataDir, 'unsigned.ndjson');
    await writeFile(unsigned, `${original.slice(0, -1).join('\n')}\n`);
    const noHead = await verifyOffline(unsigned, `@${keyFile}`);
    expect(noHead.code).toBe(15);
    expect(noHead.stdout).toContain('not a signed head');
  });

  it('another key, or a head edited after signing, fails the signature check', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const wrong = await verifyOffline(exportFile, JSON.stringify(other));
    expect(wrong.code).toBe(15);
    expect(wrong.stdout).toMatch(/FAILED verification: wrong key: .*not by the key given/);
    // A P-256 key for an EdDSA head: the algorithm comes from the pinned key, never the file.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const wrongType = await verifyOffline(exportFile, JSON.stringify(ec));
    expect(wrongType.code).toBe(15);
    expect(wrongType.stdout).toContain('wrong key');

    // Claim a later head with the old signature.
    const original = await lines(exportFile);
    const trailer = JSON.parse(original.at(-1) as string) as { signedHead: string; key: unknown };
    const [header, payload, signature] = trailer.signedHead.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, seq: claims.seq + 1 })).toString(
      'base64url',
    );
    const forged = join(dataDir, 'forged.ndjson');
    await writeFile(
      forged,
      `${[...original.slice(0, -1), JSON.stringify({ ...trailer, signedHead: `${header}.${forgedPayload}.${signature}` })].join('\n')}\n`,
    );
    const bad = await verifyOffline(forged, `@${keyFile}`);
    expect(bad.code).toBe(15);
    expect(bad.stdout).toMatch(/FAILED verification: bad signature on the head: /);
  });

  it('bad --key or --file input is a usage error (exit 2) and a private JWK is refused', async () => {
    const privateJwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { d: string };
    const withD = await verifyOffline(exportFile, JSON.stringify(privateJwk));
    expect(withD.code).toBe(2);
    expect(withD.stderr).toContain('private member "d"');
    expect(withD.stderr + withD.stdout).not.toContain(privateJwk.d);
    expect((await verifyOffline(exportFile, 'not json')).code).toBe(2);
    expect((await verifyOffline(exportFile, `@${join(dataDir, 'missing.jwk')}`)).code).toBe(2);
    expect((await verifyOffline(join(dataDir, 'missing.ndjson'), `@${keyFile}`)).code).toBe(2);
    const noKey = await run(offlineDir, 'receipts', 'verify', '--file', exportFile);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--file needs --key');
  });

  it('keys list shows the software-backed receipts key, and status warns about it', async () => {
    const list = await runJson<{ keys: KeyOut[] }>(dataDir, 'keys', 'list');
    expect(list.code).toBe(0);
    expect(list.body.keys).toEqual([
      expect.objectContaining({
        purpose: 'receipts',
        algorithm: 'EdDSA',
        backend: 'software',
        active: true,
        thumbprint: head.thumbprint,
      }),
    ]);
    expect(JSON.stringify(list.body)).not.toMatch(/"d"\s*:/);
    const human = await run(dataDir, 'keys', 'list');
    expect(human.stdout).toMatch(/^PURPOSE\s+ALG\s+BACKEND\s+ACTIVE\s+CREATED\s+THUMBPRINT$/m);
    expect(human.stdout).toMatch(
      new RegExp(`^receipts\\s+EdDSA\\s+software\\s+yes\\s+\\S+\\s+${head.thumbprint}$`, 'm'),
    );

    const status = await run(dataDir, 'status');
    expect(status.code).toBe(0);
    expect(status.stderr).toContain(
      'warning: keys are software-backed: private keys are encrypted in the secret store, not in hardware',
    );
    const statusJson = await runJson<{ warnings: string[] }>(dataDir, 'status');
    expect(statusJson.body.warnings).toEqual([expect.stringContaining('software-backed')]);
  });

  it('after rotating the receipts key, new exports verify with the new key and old ones with the old', async () => {
    expect((await run(dataDir, 'keys', 'rotate', 'receipts', '--alg', 'RS256')).code).toBe(2);
    expect((await run(dataDir, 'keys', 'rotate', 'signing')).code).toBe(2);

    const rotated = await runJson<{ key: KeyOut }>(dataDir, 'keys', 'rotate', 'receipts', '--alg', 'ES256');
    expect(rotated.code).toBe(0);
    expect(rotated.body.key).toMatchObject({ purpose: 'receipts', algorithm: 'ES256', active: true });
    expect(rotated.body.key.thumbprint).not.toBe(head.thumbprint);

    const newHead = (await runJson<HeadOut>(dataDir, 'receipts', 'head')).body;
    expect(newHead.thumbprint).toBe(rotated.body.key.thumbprint);
    expect(newHead.key.kty).toBe('EC');
    const newKeyFile = join(dataDir, 'receipts-key-2.jwk');
    await writeFile(newKeyFile, JSON.stringify(newHead.key));

    const secondExport = join(dataDir, 'export-2.ndjson');
    expect((await run(dataDir, 'receipts', 'export', '--out', secondExport)).code).toBe(0);
    const receipts = (await lines(secondExport)).slice(0, -1).map((line) => JSON.parse(line));
    // The rotation itself is on the record, with both thumbprints.
    expect(receipts).toContainEqual(
      expect.objectContaining({
        kind: 'key_rotation',
        purpose: 'receipts',
        thumbprint: newHead.thumbprint,
        previousThumbprint: head.thumbprint,
      }),
    );

    expect((await verifyOffline(secondExport, `@${newKeyFile}`)).code).toBe(0);
    const oldKeyOnNew = await verifyOffline(secondExport, `@${keyFile}`);
    expect(oldKeyOnNew.code).toBe(15);
    expect(oldKeyOnNew.stdout).toContain('wrong key');
    expect((await verifyOffline(exportFile, `@${keyFile}`)).code).toBe(0);
    expect((await verifyOffline(exportFile, `@${newKeyFile}`)).code).toBe(15);

    const list = (await runJson<{ keys: KeyOut[] }>(dataDir, 'keys', 'list')).body.keys;
    expect(list.map((k) => [k.thumbprint, k.active])).toEqual([
      [newHead.thumbprint, true],
      [head.thumbprint, false],
    ]);
  });
});
