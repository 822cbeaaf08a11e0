#!/usr/bin/env node
/**
 * `npm start`'s build step: `tsc -b` with progress, because on a fresh clone it is silent for
 * half a minute and looks hung. Prints "building (tsc -b)…", a line every 10 s on a terminal, then
 * "done in N s"; on failure, the compiler's output and its exit code. Up to date, it takes a moment.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const say = (text) => process.stderr.write(`${text}\n`);

say('npm start: building (tsc -b)…');
const ticker = process.stderr.isTTY
  ? setInterval(() => say(`npm start: still building (${Math.round(Number(seconds()))} s)…`), 10_000)
  : undefined;
const child = spawn(process.execPath, [tsc, '-b'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.setEncoding('utf8').on('data', (chunk) => {
  output += chunk;
});
child.stderr.setEncoding('utf8').on('data', (chunk) => {
  output += chunk;
});
child.on('close', (code, signal) => {
  clearInterval(ticker);
  if (code === 0) {
    say(`npm start: built in ${seconds()} s`);
    return;
  }
  process.stderr.write(output);
  say(`npm start: the build failed (tsc -b: ${signal ?? `exit ${code}`}) after ${seconds()} s`);
  process.exitCode = code ?? 1;
});
