import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * Returns a function that asks for the master passphrase on the terminal without echoing it, or
 * undefined when there is no terminal to ask (a service, CI): then only BRIEFCASE_MASTER_PASSPHRASE works.
 */
export function promptPassphraseOnTty(
  question = 'Master passphrase for the encrypted secret store: ',
): (() => Promise<string>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return () =>
    new Promise((resolve, reject) => {
      // readline echoes what is typed to its output; a sink that drops everything keeps it hidden.
      // The terminal goes into raw mode here, before the question is shown, so nothing typed early echoes.
      const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
      const rl = createInterface({ input: process.stdin, output: sink, terminal: true });
      process.stderr.write(question);
      rl.question('', (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
      rl.on('SIGINT', () => {
        rl.close();
        process.stderr.write('\n');
        reject(new Error('passphrase entry cancelled'));
      });
    });
}
