import type { KeyView } from '@briefcase/client';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { UsageError } from '../errors.js';
import { type ListView, reply, replyList } from '../reply.js';

const PURPOSES = ['dpop', 'receipts', 'identity'];
const ALGORITHMS = ['EdDSA', 'ES256'];

const KEY_LIST: ListView<KeyView> = {
  jsonKey: 'keys',
  empty: 'no keys yet (they are created on first use)',
  columns: [
    ['PURPOSE', (k) => k.purpose],
    ['ALG', (k) => k.algorithm],
    ['BACKEND', (k) => k.backend],
    ['ACTIVE', (k) => (k.active ? 'yes' : 'no')],
    ['CREATED', (k) => k.createdAt],
    ['THUMBPRINT', (k) => k.thumbprint],
  ],
};

/** `briefcase keys list|rotate`. */
export function registerKeys(program: Command, act: ActionFactory): void {
  const keys = program
    .command('keys')
    .description('keys in custody: the receipts key signs chain heads, the dpop key proves token possession');

  keys
    .command('list')
    .description('list keys (public info only), active first, then newest first')
    .action(act(async (ctx) => replyList(ctx, await ctx.client().listKeys(), KEY_LIST)));

  keys
    .command('rotate')
    .description(
      'make a new key the active one for PURPOSE; the old one stays listed, and what it signed still verifies',
    )
    .argument('<purpose>', `one of ${PURPOSES.join(', ')}`)
    .option('--alg <alg>', `${ALGORITHMS.join(' or ')} (default: the current key's algorithm, else EdDSA)`)
    .action(
      act<{ alg?: string }>(async (ctx, [purpose], options) => {
        if (!PURPOSES.includes(purpose as string)) {
          throw new UsageError(`PURPOSE must be one of ${PURPOSES.join(', ')}`);
        }
        if (options.alg !== undefined && !ALGORITHMS.includes(options.alg)) {
          throw new UsageError(`--alg must be ${ALGORITHMS.join(' or ')}`);
        }
        const key = await ctx
          .client()
          .rotateKey(purpose as string, options.alg === undefined ? {} : { algorithm: options.alg });
        return reply(ctx, { key }, () => {
          ctx.io.out(`rotated the ${key.purpose} key: now ${key.algorithm} ${key.thumbprint}\n`);
          if (key.purpose === 'receipts') {
            ctx.io.err(
              `pin the new public key for exports from now on (\`${ctx.cli} receipts head\`); earlier exports verify with the old one\n`,
            );
          }
        });
      }),
    );
}
