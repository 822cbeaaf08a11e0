import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSecretStore, probeKeyring, sensitive } from '@briefcase/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Point the keyring client at a bus that does not exist before its first call, so "keyring
// unavailable" is the real situation here even on a desktop with an unlocked keyring. (The
// keyring-present path runs for real in keyring.test.ts, inside a private D-Bus session.)
const savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/briefcase-test-bus';

describe('openSecretStore', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'briefcase-open-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    if (savedBus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
    else process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
  });
  const freshDir = () => mkdtemp(join(dataDir, 'case-'));

  it('sees the keyring as unavailable here, with a reason', async () => {
    const probe = await probeKeyring();
    expect(probe.ok).toBe(false);
    expect(probe.ok === false && probe.reason.length > 0).toBe(true);
  });

  it('falls back to the encrypted file store with a notice when a passphrase is in the env', async () => {
    const dir = await freshDir();
    const { store, notice } = await openSecretStore({
      dataDir: dir,
      env: { BRIEFCASE_MASTER_PASSPHRASE: 'from-env' },
    });
    expect(store.backend).toBe('file');
    expect(notice).toMatch(
      /^The OS keyring is unavailable \(.+\); secrets are stored in the encrypted file store at /,
    );
    expect(notice).toContain(join(dir, 'secrets'));
    expect(notice).not.toContain('from-env');
    await store.put('k', 'v');
    expect(existsSync(join(dir, 'secrets', 'meta.json'))).toBe(true);
    // The same passphrase opens it again; another one does not.
    const again = await openSecretStore({
      dataDir: dir,
      backend: 'file',
      passphrase: sensitive('from-env'),
      env: {},
    });
    expect((await again.store.get('k'))?.reveal()).toBe('v');
    await expect(
      openSecretStore({ dataDir: dir, env: { BRIEFCASE_MASTER_PASSPHRASE: 'other' } }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('asks the prompt only when the file store needs a passphrase', async () => {
    let prompts = 0;
    const promptPassphrase = async () => {
      prompts += 1;
      return 'typed';
    };
    const dir = await freshDir();
    const opened = await openSecretStore({ dataDir: dir, env: {}, promptPassphrase });
    expect(opened.store.backend).toBe('file');
    expect(prompts).toBe(1);
    await openSecretStore({ dataDir: dir, env: { BRIEFCASE_MASTER_PASSPHRASE: 'typed' }, promptPassphrase });
    await openSecretStore({ dataDir: dir, backend: 'memory', env: {}, promptPassphrase });
    expect(prompts).toBe(1);
  });

  it('fails closed with neither keyring nor passphrase, naming both variables', async () => {
    const dir = await freshDir();
    const attempt = openSecretStore({ dataDir: dir, env: {} });
    await expect(attempt).rejects.toMatchObject({ code: 'internal_error' });
    await expect(attempt).rejects.toThrow(/BRIEFCASE_MASTER_PASSPHRASE.*BRIEFCASE_SECRET_BACKEND/);
    await expect(
      openSecretStore({ dataDir: dir, env: {}, promptPassphrase: async () => '' }),
    ).rejects.toMatchObject({ code: 'internal_error' });
    expect(existsSync(join(dir, 'secrets'))).toBe(false);
  });

  it('never silently replaces an explicit backend', async () => {
    const dir = await freshDir();
    const env = { BRIEFCASE_MASTER_PASSPHRASE: 'available' };
    await expect(openSecretStore({ dataDir: dir, backend: 'keyring', env })).rejects.toMatchObject({
      code: 'internal_error',
      message: expect.stringMatching(/^The OS keyring secret store was requested but is unavailable \(.+\)/),
    });
    await expect(
      openSecretStore({ dataDir: dir, env: { ...env, BRIEFCASE_SECRET_BACKEND: 'keyring' } }),
    ).rejects.toMatchObject({ code: 'internal_error' });
    await expect(openSecretStore({ dataDir: dir, backend: 'file', env: {} })).rejects.toThrow(
      /file secret store was requested, and no master passphrase/,
    );
    expect(existsSync(join(dir, 'secrets'))).toBe(false);
  });

  it('honours BRIEFCASE_SECRET_BACKEND and rejects unknown names without echoing them', async () => {
    const dir = await freshDir();
    const memory = await openSecretStore({ dataDir: dir, env: { BRIEFCASE_SECRET_BACKEND: ' memory ' } });
    expect(memory.store.backend).toBe('memory');
    expect(memory.notice).toMatch(/memory only/);
    const file = await openSecretStore({
      dataDir: dir,
      env: { BRIEFCASE_SECRET_BACKEND: 'file', BRIEFCASE_MASTER_PASSPHRASE: 'p' },
    });
    expect(file).toEqual({ store: expect.objectContaining({ backend: 'file' }) });
    for (const attempt of [
      openSecretStore({ dataDir: dir, env: { BRIEFCASE_SECRET_BACKEND: 'hunter2-vault' } }),
      openSecretStore({ dataDir: dir, backend: 'hunter2-vault' as never, env: {} }),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: 'invalid_args' });
      await expect(attempt).rejects.toThrow(/use one of keyring, file, memory/);
      await expect(attempt).rejects.not.toThrow(/hunter2/);
    }
  });

  it('reads only the env it is given, not process.env', async () => {
    const saved = { ...process.env };
    process.env.BRIEFCASE_SECRET_BACKEND = 'memory';
    process.env.BRIEFCASE_MASTER_PASSPHRASE = 'from-process-env';
    try {
      await expect(openSecretStore({ dataDir: await freshDir(), env: {} })).rejects.toMatchObject({
        code: 'internal_error',
      });
    } finally {
      process.env.BRIEFCASE_SECRET_BACKEND = saved.BRIEFCASE_SECRET_BACKEND;
      process.env.BRIEFCASE_MASTER_PASSPHRASE = saved.BRIEFCASE_MASTER_PASSPHRASE;
      if (saved.BRIEFCASE_SECRET_BACKEND === undefined) delete process.env.BRIEFCASE_SECRET_BACKEND;
      if (saved.BRIEFCASE_MASTER_PASSPHRASE === undefined) delete process.env.BRIEFCASE_MASTER_PASSPHRASE;
    }
  });
});
