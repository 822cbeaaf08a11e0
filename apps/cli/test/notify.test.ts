/**
 * What `npm start` shows a person about a pending approval is partly agent-chosen: the tool name
 * must reach the terminal and the notification as plain text, never as escapes, bidi tricks,
 * markup or options.
 */
import { describe, expect, it } from 'vitest';
import { approvalLine, notifySendArgs, plainText } from '../src/notify.js';

describe('plainText', () => {
  it('removes control, bidi and zero-width characters and caps the length', () => {
    expect(plainText('evil\u001b[2J\u0007name')).toBe('evil[2Jname');
    expect(plainText('pay\u202egnp.exe\u2066x\u2069\u200b')).toBe('paygnp.exex');
    expect(plainText('a\u2028b\u0085c\ufeff')).toBe('abc');
    expect(plainText('x'.repeat(300))).toHaveLength(80);
  });
});

describe('approvalLine and notifySendArgs', () => {
  const hostile = { id: 'appr_1', tool: '-x\u202e<b>&tool\u001b]0;title\u0007' };

  it('prints the sanitized tool, the id and both commands on one line', () => {
    const line = approvalLine(hostile, 'briefcase', new Date('2026-01-02T03:04:05'));
    expect(line).toBe(
      '03:04:05 approval needed: -x<b>&tool]0;title (approval appr_1) · approve: briefcase approvals approve appr_1 · deny: briefcase approvals deny appr_1',
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence is the point.
    expect(line).not.toMatch(/[\u0000-\u001f\u202e]/);
  });

  it('quotes an id a shell would split', () => {
    expect(approvalLine({ id: "a b'c", tool: 't' }, 'briefcase')).toContain("approve 'a b'\\''c'");
  });

  it('ends the options before any text and escapes markup', () => {
    const args = notifySendArgs(hostile, 'npx briefcase');
    expect(args.slice(0, 3)).toEqual(['--app-name=Credential Briefcase', '--', 'Approval needed']);
    expect(args[3]).toBe(
      'An agent waits for your approval of -x&lt;b&gt;&amp;tool]0;title.\nnpx briefcase approvals approve appr_1',
    );
  });
});
