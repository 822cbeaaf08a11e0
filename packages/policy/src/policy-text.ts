/**
 * Prints a Cedar policy text for a terminal without changing what it means.
 *
 * A policy's strings and comments can hold any character, including bidi overrides and controls
 * that would make the text read differently from what Cedar runs. Escaping them the way JSON does
 * (`\u202e`) is not Cedar: Cedar rejects it, so a shown policy could not be validated or set again.
 * This walks the text with Cedar's lexical rules (string literals `"(\\.|[^"\\])*"`, comments
 * `//` up to CR or LF, Unicode white space between tokens) and writes each unsafe character in the
 * form its place allows.
 */

/**
 * Characters a terminal may act on or that reorder or hide text: C0 controls except TAB and LF,
 * DEL, C1 controls, zero-width characters, line and paragraph separators (a terminal may break the
 * line while Cedar keeps a comment going), bidi marks, embeddings, overrides and isolates, and BOM.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /^[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]$/u;

/** Unicode White_Space (Rust's `\s`, which Cedar's lexer skips between tokens; JS's `\s` differs). */
const WHITE_SPACE = /^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;

/** Cedar's escape for one code point: `\u{` 1 to 6 hex digits `}`. */
function cedarEscape(c: string): string {
  return `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`;
}

/**
 * The policy text with every unsafe character made visible, in a form Cedar reads back to the same
 * policies: inside a string literal as a Cedar escape (`\u{202e}`), inside a comment also as that
 * escape (comment text has no meaning), and between tokens, where only white space can be, as a
 * plain space (CR as a line break, since CR also ends a comment). Everything else is unchanged.
 */
export function policyTextForDisplay(text: string): string {
  let out = '';
  let state: 'code' | 'string' | 'comment' = 'code';
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (state === 'string') {
      if (c === '"') state = 'code';
      if (c === '\\' && i + 1 < chars.length) {
        // An escape pair: its second character never ends the string.
        const next = chars[++i] as string;
        out += `\\${UNSAFE.test(next) ? cedarEscape(next) : next}`;
        continue;
      }
      out += UNSAFE.test(c) ? cedarEscape(c) : c;
      continue;
    }
    if (state === 'comment') {
      if (c === '\n') state = 'code';
      else if (c === '\r')
        state = 'code'; // handled below as white space between tokens
      else {
        out += UNSAFE.test(c) ? cedarEscape(c) : c;
        continue;
      }
    }
    if (c === '"') state = 'string';
    else if (c === '/' && chars[i + 1] === '/') {
      state = 'comment';
      out += '//';
      i++;
      continue;
    }
    if (c === '\r') {
      // CRLF prints as LF; a lone CR as LF too: both are white space and both end a comment.
      if (chars[i + 1] !== '\n') out += '\n';
      continue;
    }
    if (UNSAFE.test(c)) out += WHITE_SPACE.test(c) ? ' ' : cedarEscape(c);
    else out += c;
  }
  return out;
}
