import { randomBytes } from 'node:crypto';
import { link, lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Prefix of in-flight temp files; a crash may leave one behind, which {@link removeStaleTempFiles} clears. */
export const TEMP_PREFIX = '.tmp-';

/** Node's errno code of an fs error, if any. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * fsync a directory so a rename or unlink inside it survives a power loss
 * (POSIX: the rename itself is only durable once the directory entry is flushed).
 */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates a 0600 temp file in `dir` (O_EXCL), writes and fsyncs `data`, returns its path. */
async function writeTempFile(dir: string, data: string | Uint8Array): Promise<string> {
  const tempPath = join(dir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
  const handle = await open(tempPath, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return tempPath;
}

/**
 * Replaces `dir/name` atomically: readers see the old file or the new one, never a partial write.
 * Temp file in the same directory (rename is only atomic within one file system), created 0600,
 * fsynced, renamed over the target, then the directory is fsynced.
 */
export async function writeFileAtomic(dir: string, name: string, data: string | Uint8Array): Promise<void> {
  const tempPath = await writeTempFile(dir, data);
  try {
    await rename(tempPath, join(dir, name));
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await syncDir(dir);
}

/**
 * Creates `dir/name` atomically only if it does not exist yet (hard link fails with EEXIST),
 * so two processes initialising the same store cannot overwrite each other. Returns false if it existed.
 */
export async function createFileExclusive(
  dir: string,
  name: string,
  data: string | Uint8Array,
): Promise<boolean> {
  const tempPath = await writeTempFile(dir, data);
  try {
    await link(tempPath, join(dir, name));
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tempPath).catch(() => undefined);
  }
  await syncDir(dir);
  return true;
}

/**
 * Reads a file of at most `maxBytes`. Resolves null when it does not exist, and
 * `'too_large'` instead of reading a hostile multi-gigabyte file into memory.
 */
export async function readFileBounded(path: string, maxBytes: number): Promise<Buffer | null | 'too_large'> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return 'too_large';
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Temp files younger than this may belong to a writer in another process that is still running. */
const STALE_TEMP_AGE_MS = 10 * 60_000;

/** Deletes temp files a crashed writer left behind (only old ones: a live writer may own a fresh one). */
export async function removeStaleTempFiles(dir: string, now = Date.now()): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX));
  await Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const info = await lstat(path).catch(() => null);
      if (info?.isFile() && now - info.mtimeMs > STALE_TEMP_AGE_MS) await unlink(path).catch(() => undefined);
    }),
  );
}
