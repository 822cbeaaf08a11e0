/** Longest excerpt of a remote-supplied name that goes into a message. */
const MAX_DISPLAY_CHARS = 80;

/** Longest message taken from Cedar into a decision reason. */
const MAX_MESSAGE_CHARS = 500;

/**
 * Characters that could forge lines or reorder text in a UI: C0/C1 controls, zero-width characters,
 * line/paragraph separators and bidirectional embeddings, overrides and isolates.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g;

function escapeCharacter(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Cuts `text` to `max` code points (never inside a surrogate pair), marking the cut with "…". */
function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

/**
 * Quotes a string that may come from a remote server (a tool or server name) for a human-readable
 * message: quotes, backslashes and {@link UNSAFE_CHARACTERS} are escaped, so the name cannot forge
 * extra lines or reorder text in a UI, and long names are cut.
 */
export function quoteForMessage(value: string): string {
  const escaped = shorten(value, MAX_DISPLAY_CHARS)
    .replace(/["\\]/g, (c) => `\\${c}`)
    .replace(UNSAFE_CHARACTERS, escapeCharacter);
  return `"${escaped}"`;
}

/**
 * Makes a message that may echo request data (Cedar quotes entity ids, which are tool names) safe to
 * show: newlines become spaces, other unsafe characters are escaped and the text is cut.
 */
export function safeMessage(text: string): string {
  return shorten(text, MAX_MESSAGE_CHARS).replace(UNSAFE_CHARACTERS, (c) =>
    c === '\n' ? ' ' : escapeCharacter(c),
  );
}
