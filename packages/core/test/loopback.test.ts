import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../src/index.js';

describe('isLoopbackHost', () => {
  it('knows the names and addresses that reach only this machine', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '[::ffff:127.0.0.1]',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('refuses everything else, including names that only look local', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '[::2]',
      '10.0.0.1',
      '128.0.0.1',
      '[::ffff:10.0.0.1]',
      'example.com',
      'localhost.evil.example',
      'evil-localhost',
      '127.0.0.1.nip.io',
      '',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
