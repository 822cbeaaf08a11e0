import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'keyring-contract.mjs');

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const keyringTools = hasCommand('dbus-run-session') && hasCommand('gnome-keyring-daemon');

describe('keyring secret store against a real gnome-keyring', () => {
  it.skipIf(!keyringTools)(
    'meets the SecretStore contract inside a private D-Bus session with an unlocked keyring (install gnome-keyring to run)',
    async () => {
      const home = await mkdtemp(join(tmpdir(), 'briefcase-kr-home-'));
      const runtime = await mkdtemp(join(tmpdir(), 'briefcase-kr-run-')); // mkdtemp is 0700, as XDG requires
      try {
        const child = spawnSync(
          'dbus-run-session',
          [
            '--',
            'sh',
            '-c',
            'eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"; exec node "$0"',
            FIXTURE,
          ],
          {
            encoding: 'utf8',
            timeout: 60_000,
            env: { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, LANG: 'C.UTF-8' },
          },
        );
        const line = child.stdout.trim().split('\n').at(-1) ?? '';
        expect(line, `fixture produced no JSON; stderr: ${child.stderr}`).toMatch(/^\{/);
        const result = JSON.parse(line);
        expect(result.error).toBeUndefined();
        expect(result).toMatchObject({
          ok: true,
          probe: { ok: true },
          backend: 'keyring',
          fromFreshStore: 'kept-by-gnome-keyring',
          listAfterPut: ['persisted.id'],
          openDefault: { backend: 'keyring', notice: null },
        });
        expect(result.contract).toHaveLength(8);
        // The values really went to gnome-keyring: it created its keyring file in the temp HOME.
        expect(await readdir(join(home, '.local', 'share', 'keyrings'))).toContain('login.keyring');
      } finally {
        await rm(home, { recursive: true, force: true });
        await rm(runtime, { recursive: true, force: true });
      }
    },
  );
});
