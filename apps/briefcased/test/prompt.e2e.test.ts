import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const MAIN = new URL('../dist/main.js', import.meta.url).pathname;
// `script` (util-linux) gives the daemon a real pseudo-terminal, as a person at a shell would.
const hasScript = spawnSync('script', ['--version']).status === 0;
const dataDir = mkdtempSync(join(tmpdir(), 'briefcased-prompt-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts the daemon on a terminal, answers the passphrase prompt, returns what the terminal showed. */
function runWithPassphrase(
  passphrase: string,
  until: RegExp,
): Promise<{ output: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(
      'script',
      ['-qfec', `${process.execPath} ${MAIN} --data-dir ${dataDir}`, '/dev/null'],
      {
        env: { PATH: process.env.PATH, BRIEFCASE_SECRET_BACKEND: 'file', TERM: 'dumb' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let output = '';
    let answered = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && output.includes('Master passphrase')) {
        answered = true;
        child.stdin.write(`${passphrase}\r`);
      }
      if (until.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
  });
}

it.skipIf(!hasScript)(
  'asks for the master passphrase on a terminal without echoing it, and refuses a wrong one',
  async () => {
    const first = await runWithPassphrase('correct horse battery staple', /briefcased listening/);
    expect(first.output).toContain('briefcased listening');
    expect(first.output).not.toContain('correct horse');

    const wrong = await runWithPassphrase('not the passphrase', /passphrase is wrong/);
    expect(wrong.output).toMatch(/The master passphrase is wrong: .* nothing was changed/);
    expect(wrong.output).not.toContain('not the passphrase');
  },
);
