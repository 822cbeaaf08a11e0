import { once } from 'node:events';

/** Where the CLI writes and what it reads from its environment; injectable for embedding. */
export interface Io {
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** Writes bulk output to stdout, waiting for the pipe to drain (NDJSON export). */
  outBulk(text: string): Promise<void>;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (colours the secret-backend warning). */
  stderrIsTty: boolean;
  /** The working directory data-dir discovery starts from; default process.cwd(). */
  cwd?: () => string;
}

/** The real process streams. */
export function processIo(): Io {
  return {
    out: (text) => {
      process.stdout.write(text);
    },
    err: (text) => {
      process.stderr.write(text);
    },
    outBulk: async (text) => {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    },
    env: process.env,
    stderrIsTty: process.stderr.isTTY === true,
  };
}
