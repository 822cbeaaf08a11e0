/**
 * Splits a `--command` string into argv the way a POSIX shell would for simple commands
 * (POSIX.1-2024, Shell Command Language §2.2 Quoting and §2.6.5 Field Splitting), without
 * running a shell:
 *
 * - unquoted blanks (space, tab, newline) separate words;
 * - `'…'` keeps everything literally;
 * - `"…"` keeps everything literally except `\"`, `\\`, `\$`, `` \` `` and backslash-newline;
 * - an unquoted backslash escapes the next character (backslash-newline disappears);
 * - `''` and `""` give an empty word.
 *
 * Anything a shell would expand or interpret (variables, command substitution, globs, pipes,
 * redirections, `~`, comments) is refused when unquoted, instead of being passed through
 * literally where the person expected a shell to act on it.
 *
 * @throws {CommandSplitError} with a message naming the problem (never the whole input).
 */
export function splitCommand(text: string): string[] {
  if (text.includes('\0')) throw new CommandSplitError('contains a NUL character');
  const words: string[] = [];
  let word = '';
  // A word exists once any character or quote of it was seen, so "''" yields an empty word.
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new CommandSplitError('has an unterminated single quote');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new CommandSplitError('has an unterminated double quote');
        const d = text[i] as string;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && DOUBLE_QUOTE_ESCAPABLE.has(text[i + 1] as string)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') {
          throw new CommandSplitError(
            `has "${d}" inside double quotes, which a shell would expand; use single quotes or escape it`,
          );
        }
        word += d;
        i++;
      }
      inWord = true;
      i++;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= text.length) throw new CommandSplitError('ends with a lone backslash');
      if (text[i + 1] !== '\n') {
        word += text[i + 1];
        inWord = true;
      }
      i += 2;
      continue;
    }
    if (SHELL_SPECIAL.has(c) || (!inWord && (c === '~' || c === '#'))) {
      throw new CommandSplitError(
        `has an unquoted "${c}", which a shell would interpret; briefcase runs no shell (no variables, globs, pipes or redirections), so quote it or pass the command after --`,
      );
    }
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new CommandSplitError('is empty');
  return words;
}

/** Thrown by {@link splitCommand}; the message completes "--command …". */
export class CommandSplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandSplitError';
  }
}

// Characters after which a backslash inside double quotes is an escape (POSIX §2.2.3).
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', '\\', '$', '`', '\n']);
// Unquoted, these start an expansion, a glob, a pipeline, a list, a redirection or a subshell.
const SHELL_SPECIAL = new Set(['$', '`', '|', '&', ';', '<', '>', '(', ')', '*', '?', '[', '{']);
