import { policySetTextToParts, policyToJson } from '@cedar-policy/cedar-wasm/nodejs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { policyTextForDisplay } from '../src/policy-text.js';

/** The `@reason` of each policy in `text`, as Cedar reads it; throws when Cedar rejects the text. */
function reasonsOf(text: string): (string | undefined)[] {
  const parts = policySetTextToParts(text);
  if (parts.type !== 'success') throw new Error(`Cedar rejected the text: ${JSON.stringify(parts.errors)}`);
  return parts.policies.map((policy) => {
    const json = policyToJson(policy);
    if (json.type !== 'success') throw new Error(`Cedar rejected a policy: ${JSON.stringify(json.errors)}`);
    return json.json.annotations?.reason ?? undefined;
  });
}

/**
 * A Cedar string literal holding `value` with every character raw, as a person might type it,
 * except the three Cedar refuses raw in a string: `"`, `\` and CR.
 */
const rawLiteral = (value: string): string =>
  `"${value.replace(/["\\\r]/g, (c) => (c === '\r' ? '\\r' : `\\${c}`))}"`;

/** Every character a terminal could act on or that could reorder what a person reads. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u;

const anyText = fc.string({ unit: 'binary' });

describe('policyTextForDisplay', () => {
  it('writes a right-to-left override in a string as Cedar escape, which Cedar reads back', () => {
    const text = `@reason(${rawLiteral('a\u202eb')}) permit(principal, action, resource);`;
    const shown = policyTextForDisplay(text);
    expect(shown).toBe('@reason("a\\u{202e}b") permit(principal, action, resource);');
    expect(reasonsOf(shown)).toEqual(['a\u202eb']);
  });

  it('round-trips any string in @reason and in a comment, and leaves nothing unsafe', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (reason, commentText, other) => {
        const comment = commentText.replace(/[\r\n]/g, ' ');
        // A comment that runs to CR or LF; what follows it must stay code after display.
        const text =
          `// ${comment}\n@id("a") @reason(${rawLiteral(reason)})\r\n` +
          `permit(principal, action, resource == Tool::${rawLiteral(other)});\r` +
          `@reason(${rawLiteral(other)}) forbid(principal, action, resource);`;
        const expected = reasonsOf(text);
        expect(expected).toEqual([reason, other]);
        const shown = policyTextForDisplay(text);
        expect(reasonsOf(shown)).toEqual(expected);
        expect(shown).not.toMatch(UNSAFE);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps escapes the text already had, and replaces unsafe white space between tokens', () => {
    const text = '@reason("q\\"\\\\\\u{202e}")\u000b\u0085permit(principal, action, resource);';
    const shown = policyTextForDisplay(text);
    expect(shown).toBe('@reason("q\\"\\\\\\u{202e}")  permit(principal, action, resource);');
    expect(reasonsOf(shown)).toEqual(reasonsOf(text));
  });
});
