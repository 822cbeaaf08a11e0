/**
 * Telling the person at `npm start`'s terminal that an agent waits for them: one line per new
 * pending approval with the commands that decide it, a terminal bell when stdout is a terminal,
 * and a desktop notification through `notify-send` where it exists (Linux; macOS and Windows are
 * documented as not yet done).
 *
 * What reaches the person here is partly agent-chosen (the tool name may come from a remote MCP
 * server, the arguments always come from the agent), so: arguments and summaries are never shown,
 * the tool name is reduced to printable characters, and `notify-send` gets its text as arguments
 * of a process started without a shell, with the markup some notification servers honour escaped.
 */
import { spawn } from 'node:child_process';
import type { Approval } from '@briefcase/core';
import { shellQuote } from './output.js';
import { findOnPath } from './shim.js';

// Control characters (C0, DEL, C1), line and paragraph separators, bidi marks, embeddings,
// overrides and isolates, zero-width characters and the BOM: removed, not escaped, so the
// name reads as one plain word on a terminal and in a notification bubble.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** `text` without control, bidi and zero-width characters, at most `max` characters. */
export function plainText(text: string, max = 80): string {
  const plain = text.replace(UNPRINTABLE, '');
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}

/** The terminal line for a new pending approval (no bell, no newline). */
export function approvalLine(approval: Pick<Approval, 'id' | 'tool'>, cli: string, now = new Date()): string {
  const id = shellQuote(plainText(approval.id, 200));
  const time = now.toTimeString().slice(0, 8);
  return (
    `${time} approval needed: ${plainText(approval.tool)} (approval ${id}) · ` +
    `approve: ${cli} approvals approve ${id} · deny: ${cli} approvals deny ${id}`
  );
}

/** Escapes the markup (`<b>`, `&amp;`) notification servers may interpret in a body. */
function escapeMarkup(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The `notify-send` arguments for a new pending approval. */
export function notifySendArgs(approval: Pick<Approval, 'id' | 'tool'>, cli: string): string[] {
  const id = plainText(approval.id, 200);
  const body = `An agent waits for your approval of ${plainText(approval.tool)}.\n${cli} approvals approve ${shellQuote(id)}`;
  // `--` ends the options: nothing in the text can be read as one.
  return ['--app-name=Credential Briefcase', '--', 'Approval needed', escapeMarkup(body)];
}

/** Options for {@link createApprovalNotifier}. */
export interface ApprovalNotifierOptions {
  /** Writes one line to the terminal (stdout). */
  write(text: string): void;
  /** Whether stdout is a terminal: only then a bell. */
  bell: boolean;
  /** How the person runs the CLI (see cliCommand). */
  cli: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Returns the listener for new pending approvals. `BRIEFCASE_NOTIFY=0` turns the desktop
 * notification off (the line stays). A missing or failing `notify-send` is ignored: the line is
 * the notice that always works, and the daemon must never wait on or fail for a notification.
 */
export function createApprovalNotifier(options: ApprovalNotifierOptions): (approval: Approval) => void {
  const notifySend =
    options.env.BRIEFCASE_NOTIFY === '0' ? undefined : findOnPath('notify-send', options.env);
  return (approval) => {
    options.write(`${approvalLine(approval, options.cli)}${options.bell ? '\u0007' : ''}\n`);
    if (notifySend === undefined) return;
    try {
      const child = spawn(notifySend, notifySendArgs(approval, options.cli), {
        stdio: 'ignore',
        shell: false,
        env: options.env,
      });
      child.on('error', () => {});
      child.unref();
    } catch {
      // A notification is a courtesy; the line above already told the person.
    }
  };
}
