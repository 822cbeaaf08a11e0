import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileSecretStore, META_FILE, type SecretStore, sensitive } from '@briefcase/secrets';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runStoreContract } from './fixtures/store-contract.mjs';

const PASSPHRASE = sensitive('correct horse battery staple');
const PLAINTEXT = 'ghp_ThisIsTheRawGitHubTokenValue0123456789';

const fileOf = (id: string) => `${createHash('sha256').update(id).digest('hex')}.secret`;

/** Every entry of a directory with its bytes, mode and mtime: "byte-for-byte unchanged" means equal snapshots. */
async function snapshot(
  dir: string,
): Promise<Record<string, { bytes: string; mode: number; mtimeMs: number }>> {
  const result: Record<string, { bytes: string; mode: number; mtimeMs: number }> = {};
  for (const name of (await readdir(dir)).sort()) {
    const info = await stat(join(dir, name));
    result[name] = {
      bytes: (await readFile(join(dir, name))).toString('base64'),
      mode: info.mode,
      mtimeMs: info.mtimeMs,
    };
  }
  return result;
}

describe('encrypted file secret store', () => {
  let root: string;
  let dir: string;
  const open = (passphrase = PASSPHRASE) => createFileSecretStore({ dir, passphrase });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'briefcase-secrets-'));
    dir = join(root, 'data', 'secrets');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('meets the SecretStore contract', async () => {
    const store = await open();
    expect(store.backend).toBe('file');
    expect(await runStoreContract(store)).toHaveLength(8);
  });

  it('persists across reopen', async () => {
    const first = await open();
    await first.put('github.token', PLAINTEXT);
    await first.put('other', 'x');
    const second = await open();
    expect((await second.get('github.token'))?.reveal()).toBe(PLAINTEXT);
    expect(await second.list()).toEqual(['github.token', 'other']);
  });

  it('creates the directory 0700 and every file 0600', async () => {
    const store = await open();
    await store.put('a', 'v');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const names = await readdir(dir);
    expect(names.sort()).toEqual([META_FILE, fileOf('a')].sort());
    for (const name of names) expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
  });

  it('tightens an existing group/world-readable directory once the passphrase is verified', async () => {
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    await open();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('never writes the plaintext (or its base64) to disk', async () => {
    const store = await open();
    await store.put('github.token', PLAINTEXT);
    const bytes = await readFile(join(dir, fileOf('github.token')));
    expect(bytes.includes(PLAINTEXT)).toBe(false);
    expect(bytes.includes(Buffer.from(PLAINTEXT).toString('base64'))).toBe(false);
    expect(bytes.includes(PASSPHRASE.reveal())).toBe(false);
    expect((await readFile(join(dir, META_FILE))).includes(PASSPHRASE.reveal())).toBe(false);
  });

  it('uses a fresh nonce for every write', async () => {
    const store = await open();
    await store.put('same', 'same value');
    const first = JSON.parse(await readFile(join(dir, fileOf('same')), 'utf8'));
    await store.put('same', 'same value');
    const second = JSON.parse(await readFile(join(dir, fileOf('same')), 'utf8'));
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.ciphertext).not.toBe(first.ciphertext);
  });

  it('rejects a wrong passphrase at open time and leaves the directory byte-for-byte unchanged', async () => {
    const store = await open();
    await store.put('github.token', PLAINTEXT);
    const before = await snapshot(dir);
    const wrong = open(sensitive('not the passphrase'));
    await expect(wrong).rejects.toMatchObject({
      code: 'unauthorized',
      message: `The master passphrase is wrong: the secret store in ${dir} was not opened and nothing was changed.`,
    });
    expect(await snapshot(dir)).toEqual(before);
    await expect((await open()).get('github.token')).resolves.toBeTruthy();
  });

  it('rejects an empty passphrase', async () => {
    await expect(open(sensitive(''))).rejects.toMatchObject({ code: 'invalid_args' });
    await expect(createFileSecretStore({ dir, passphrase: 'plain' as never })).rejects.toMatchObject({
      code: 'invalid_args',
    });
  });

  it('writes atomically: no temp files remain, even after many concurrent writes', async () => {
    const store = await open();
    const ids = Array.from({ length: 25 }, (_, i) => `id-${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => store.put(id, `value of ${id}`)));
    await Promise.all(ids.map((id) => store.put(id, `second value of ${id}`)));
    const names = await readdir(dir);
    expect(names.filter((n) => !n.endsWith('.secret') && n !== META_FILE)).toEqual([]);
    expect(await store.list()).toEqual(ids);
    for (const id of ids) expect((await store.get(id))?.reveal()).toBe(`second value of ${id}`);
  });

  it('removes stale temp files of a crashed writer on open, but keeps fresh ones', async () => {
    await open();
    await writeFile(join(dir, '.tmp-stale'), 'junk', { mode: 0o600 });
    await writeFile(join(dir, '.tmp-fresh'), 'junk', { mode: 0o600 });
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, '.tmp-stale'), hourAgo, hourAgo);
    await open();
    const names = await readdir(dir);
    expect(names).not.toContain('.tmp-stale');
    expect(names).toContain('.tmp-fresh');
  });

  describe('hostile bytes on disk', () => {
    let store: SecretStore;
    const path = (id: string) => join(dir, fileOf(id));

    beforeEach(async () => {
      store = await open();
      await store.put('victim', PLAINTEXT);
      await store.put('other', 'other value');
    });

    async function expectUnreadable(id: string, problem: RegExp): Promise<void> {
      const error = await store.get(id).then(
        () => null,
        (e: unknown) => e as Error & { code: string },
      );
      expect(error?.code).toBe('internal_error');
      expect(error?.message).toContain(`"${id}"`);
      expect(error?.message).toMatch(problem);
      expect(error?.message).not.toContain(PLAINTEXT);
    }

    it('detects a flipped ciphertext bit', async () => {
      const record = JSON.parse(await readFile(path('victim'), 'utf8'));
      const bytes = Buffer.from(record.ciphertext, 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      await writeFile(path('victim'), JSON.stringify({ ...record, ciphertext: bytes.toString('base64') }));
      await expectUnreadable('victim', /failed authentication/);
    });

    it('detects a tampered tag or nonce', async () => {
      const record = JSON.parse(await readFile(path('victim'), 'utf8'));
      const nonce = Buffer.from(record.nonce, 'base64');
      nonce[11] = (nonce[11] ?? 0) ^ 0x80;
      await writeFile(path('victim'), JSON.stringify({ ...record, nonce: nonce.toString('base64') }));
      await expectUnreadable('victim', /failed authentication/);
    });

    it('detects a file copied over another id (the id is the AAD)', async () => {
      const record = JSON.parse(await readFile(path('other'), 'utf8'));
      await writeFile(path('victim'), JSON.stringify({ ...record, id: 'victim' }));
      await expectUnreadable('victim', /failed authentication/);
      await writeFile(path('victim'), await readFile(path('other')));
      await expectUnreadable('victim', /malformed/);
    });

    it('reports garbage, truncation, junk base64 and oversized files without crashing', async () => {
      const original = await readFile(path('victim'), 'utf8');
      for (const junk of [
        'not json',
        '',
        original.slice(0, original.length / 2),
        '[]',
        'null',
        JSON.stringify({ ...JSON.parse(original), tag: '!!!!' }),
        JSON.stringify({ ...JSON.parse(original), nonce: 12 }),
        'x'.repeat(1024 * 1024),
      ]) {
        await writeFile(path('victim'), junk);
        await expectUnreadable('victim', /not a valid secret file|malformed/);
      }
      expect((await store.get('other'))?.reveal()).toBe('other value');
    });

    it('fails list() clearly on a damaged file instead of guessing', async () => {
      await writeFile(path('victim'), 'not json');
      await expect(store.list()).rejects.toMatchObject({ code: 'internal_error', message: /damaged/ });
    });

    it('refuses to open with a damaged meta.json, and changes nothing', async () => {
      const meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8'));
      for (const bad of [
        { ...meta, kdf: { ...meta.kdf, N: 2 ** 40 } },
        { ...meta, kdf: { ...meta.kdf, salt: 'short' } },
        { ...meta, version: 99 },
        'not json',
      ]) {
        await writeFile(join(dir, META_FILE), typeof bad === 'string' ? bad : JSON.stringify(bad));
        const before = await snapshot(dir);
        await expect(open()).rejects.toMatchObject({ code: 'internal_error', message: /damaged meta\.json/ });
        expect(await snapshot(dir)).toEqual(before);
      }
    });

    it('refuses to re-initialise a directory whose meta.json is gone but secrets remain', async () => {
      await rm(join(dir, META_FILE));
      await expect(open()).rejects.toMatchObject({ code: 'internal_error', message: /no meta\.json/ });
      expect(await readdir(dir)).not.toContain(META_FILE);
    });
  });

  it('rejects a store path that is a file', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'plain-file'), 'x');
    await expect(
      createFileSecretStore({ dir: join(root, 'plain-file'), passphrase: PASSPHRASE }),
    ).rejects.toMatchObject({
      code: 'internal_error',
    });
  });
});
