import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes,
  type ScryptOptions,
  scrypt,
} from 'node:crypto';
import { chmod, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BriefcaseError, isRecord, sha256Hex } from '@briefcase/core';
import {
  createFileExclusive,
  errnoCode,
  readFileBounded,
  removeStaleTempFiles,
  syncDir,
  writeFileAtomic,
} from './atomic-file.js';
import { isSensitive, Sensitive } from './sensitive.js';
import {
  assertSecretId,
  isValidSecretId,
  MAX_SECRET_BYTES,
  type SecretStore,
  secretValueOf,
} from './store.js';

/** Options for {@link createFileSecretStore}. */
export interface FileSecretStoreOptions {
  /** Directory of the store (created 0700 if missing). */
  dir: string;
  /** Master passphrase; the encryption key is derived from it with scrypt. */
  passphrase: Sensitive<string>;
}

/** Name of the file holding the KDF parameters, salt and key-check value. */
export const META_FILE = 'meta.json';

/** Extension of the per-secret files, which are named `sha256(id).secret`. */
const SECRET_SUFFIX = '.secret';
const SECRET_FILE_PATTERN = /^[0-9a-f]{64}\.secret$/;
const FORMAT = 'credential-briefcase-secrets';
const FORMAT_VERSION = 1;

/**
 * scrypt parameters for new stores (RFC 7914): N = 2^15, r = 8 needs 128·N·r = 32 MiB per
 * derivation, which makes offline guessing of the passphrase memory-hard.
 */
export const SCRYPT_DEFAULTS = { N: 2 ** 15, r: 8, p: 1 } as const;

const KEY_LENGTH = 32; // AES-256
const SALT_LENGTH = 16;
const NONCE_LENGTH = 12; // 96-bit GCM nonce (NIST SP 800-38D §8.2.2: random nonces, < 2^32 per key)
const TAG_LENGTH = 16;
const KEY_CHECK_PLAINTEXT = Buffer.from('credential-briefcase key check v1');
/** AAD of the key check. Contains ':' so it can never equal a secret id (which is the AAD of a secret). */
const KEY_CHECK_AAD = Buffer.from('briefcase:key-check');

/** A secret file holds a base64 ciphertext of at most MAX_SECRET_BYTES plus a little JSON. */
const MAX_SECRET_FILE_BYTES = 2 * MAX_SECRET_BYTES + 4096;
const MAX_META_FILE_BYTES = 4096;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

interface Sealed {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

interface StoreMeta {
  kdf: ScryptParams & { salt: Buffer };
  keyCheck: Sealed;
}

function seal(key: KeyObject, plaintext: Buffer, aad: Buffer): Sealed {
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

/** Decrypts and authenticates; null when the key, AAD or any byte is wrong (never partial data). */
function unseal(key: KeyObject, sealed: Sealed, aad: Buffer): Buffer | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}

function sealedToJson(sealed: Sealed): Record<string, string> {
  return {
    nonce: sealed.nonce.toString('base64'),
    ciphertext: sealed.ciphertext.toString('base64'),
    tag: sealed.tag.toString('base64'),
  };
}

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (Buffer.from silently skips junk, which would hide tampering). */
function base64Field(record: Record<string, unknown>, field: string, length?: number): Buffer | null {
  const text = record[field];
  if (typeof text !== 'string' || !BASE64_PATTERN.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return length === undefined || bytes.length === length ? bytes : null;
}

function sealedFromJson(value: unknown): Sealed | null {
  if (!isRecord(value)) return null;
  const nonce = base64Field(value, 'nonce', NONCE_LENGTH);
  const ciphertext = base64Field(value, 'ciphertext');
  const tag = base64Field(value, 'tag', TAG_LENGTH);
  return nonce && ciphertext && tag ? { nonce, ciphertext, tag } : null;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Accepts only parameters we would pick ourselves, so a doctored meta.json cannot ask for 100 GB of RAM. */
function validScryptParams(kdf: Record<string, unknown>): ScryptParams | null {
  const { N, r, p } = kdf;
  if (typeof N !== 'number' || typeof r !== 'number' || typeof p !== 'number') return null;
  const powerOfTwo = Number.isInteger(N) && N >= 2 ** 14 && N <= 2 ** 20 && (N & (N - 1)) === 0;
  const smallInts = Number.isInteger(r) && r >= 1 && r <= 16 && Number.isInteger(p) && p >= 1 && p <= 4;
  return powerOfTwo && smallInts && 128 * N * r * p <= 1024 ** 3 ? { N, r, p } : null;
}

function parseMeta(bytes: Buffer): StoreMeta | null {
  const json = parseJson(bytes);
  if (!isRecord(json) || json.format !== FORMAT || json.version !== FORMAT_VERSION) return null;
  if (json.cipher !== 'aes-256-gcm' || !isRecord(json.kdf) || json.kdf.name !== 'scrypt') return null;
  if (json.kdf.keyLength !== KEY_LENGTH) return null;
  const params = validScryptParams(json.kdf);
  const salt = base64Field(json.kdf, 'salt', SALT_LENGTH);
  const keyCheck = sealedFromJson(json.keyCheck);
  return params && salt && keyCheck ? { kdf: { ...params, salt }, keyCheck } : null;
}

function serializeMeta(meta: StoreMeta): string {
  const { salt, ...params } = meta.kdf;
  const kdf = { name: 'scrypt', ...params, keyLength: KEY_LENGTH, salt: salt.toString('base64') };
  const body = { format: FORMAT, version: FORMAT_VERSION, cipher: 'aes-256-gcm', kdf };
  return `${JSON.stringify({ ...body, keyCheck: sealedToJson(meta.keyCheck) }, null, 2)}\n`;
}

function scryptAsync(passphrase: Buffer, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    scrypt(passphrase, salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolvePromise(key),
    );
  });
}

/** Runs scrypt once and wraps the result in a KeyObject, wiping the intermediate buffers. */
async function deriveKey(
  passphrase: Sensitive<string>,
  params: ScryptParams,
  salt: Buffer,
): Promise<KeyObject> {
  const secret = Buffer.from(passphrase.reveal(), 'utf8');
  // Node's limit check is 128·N·r·p against maxmem; leave headroom for its bookkeeping.
  const maxmem = 2 * 128 * params.N * params.r * params.p;
  try {
    const raw = await scryptAsync(secret, salt, { ...params, maxmem });
    const key = createSecretKey(raw);
    raw.fill(0);
    return key;
  } finally {
    secret.fill(0);
  }
}

function fsError(action: string, dir: string, error: unknown): BriefcaseError {
  const code = errnoCode(error) ?? 'unknown error';
  return new BriefcaseError('internal_error', `Could not ${action} in the secret store ${dir} (${code}).`, {
    cause: error,
  });
}

function corruptSecret(id: string, dir: string, problem: string): BriefcaseError {
  return new BriefcaseError(
    'internal_error',
    `The secret "${id}" in ${dir} is unreadable (${problem}); nothing was returned. Store it again to replace it.`,
  );
}

function secretFileName(id: string): string {
  return `${sha256Hex(id)}${SECRET_SUFFIX}`;
}

async function readMeta(dir: string): Promise<StoreMeta | null> {
  let bytes: Buffer | null | 'too_large';
  try {
    bytes = await readFileBounded(join(dir, META_FILE), MAX_META_FILE_BYTES);
  } catch (error) {
    if (errnoCode(error) === 'ENOTDIR') {
      throw new BriefcaseError(
        'internal_error',
        `The secret store path ${dir} exists but is not a directory.`,
      );
    }
    throw fsError(`read ${META_FILE}`, dir, error);
  }
  if (bytes === null) return null;
  const meta = bytes === 'too_large' ? null : parseMeta(bytes);
  if (meta === null) {
    throw new BriefcaseError(
      'internal_error',
      `The secret store ${dir} has a damaged ${META_FILE}; it was not opened and nothing was changed.`,
    );
  }
  return meta;
}

/**
 * Creates the directory and meta.json of a new store, with the key it derived. If another process
 * created the store first, returns that store's meta and no key (the caller derives and checks it).
 */
async function initialiseStore(
  dir: string,
  passphrase: Sensitive<string>,
): Promise<{ meta: StoreMeta; key: KeyObject | null }> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existing = (await readdir(dir)).filter((name) => SECRET_FILE_PATTERN.test(name));
    if (existing.length > 0) {
      throw new BriefcaseError(
        'internal_error',
        `The secret store ${dir} holds ${existing.length} secret file(s) but no ${META_FILE}; without it they cannot be decrypted. Restore ${META_FILE} from a backup.`,
      );
    }
    const salt = randomBytes(SALT_LENGTH);
    const key = await deriveKey(passphrase, SCRYPT_DEFAULTS, salt);
    const meta: StoreMeta = {
      kdf: { ...SCRYPT_DEFAULTS, salt },
      keyCheck: seal(key, KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD),
    };
    if (await createFileExclusive(dir, META_FILE, serializeMeta(meta))) return { meta, key };
  } catch (error) {
    if (error instanceof BriefcaseError) throw error;
    throw fsError('create the store', dir, error);
  }
  const winner = await readMeta(dir);
  if (winner === null)
    throw new BriefcaseError('internal_error', `The secret store ${dir} vanished while opening.`);
  return { meta: winner, key: null };
}

/** After the passphrase is verified: a store directory must not be readable by anyone else. */
async function tightenDirectory(dir: string): Promise<void> {
  const info = await stat(dir);
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
  await removeStaleTempFiles(dir);
}

/**
 * Opens (or creates) an encrypted file {@link SecretStore} in `dir`.
 *
 * - Key: scrypt(passphrase, 16-byte random salt), derived once per open; parameters, salt and a
 *   key-check value live in `meta.json`. A wrong passphrase fails here with `unauthorized`
 *   before any file is touched.
 * - Each secret: its own file `sha256(id).secret`, AES-256-GCM with a fresh random 12-byte nonce
 *   per write and AAD = the id (a file copied over another id fails authentication).
 * - Writes are atomic (0600 temp file, fsync, rename, fsync dir); the directory is 0700.
 */
export async function createFileSecretStore(options: FileSecretStoreOptions): Promise<SecretStore> {
  const dir = resolve(options.dir);
  const { passphrase } = options;
  const raw: unknown = isSensitive(passphrase) ? passphrase.reveal() : undefined;
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new BriefcaseError('invalid_args', 'The master passphrase must be a non-empty Sensitive<string>.');
  }

  // The KDF runs exactly once per open: either while creating the store or for the existing meta.
  const existing = await readMeta(dir);
  const created = existing === null ? await initialiseStore(dir, passphrase) : null;
  const meta = existing ?? (created as { meta: StoreMeta }).meta;
  const key = created?.key ?? (await deriveKey(passphrase, meta.kdf, meta.kdf.salt));
  const check = unseal(key, meta.keyCheck, KEY_CHECK_AAD);
  if (check === null || !check.equals(KEY_CHECK_PLAINTEXT)) {
    throw new BriefcaseError(
      'unauthorized',
      `The master passphrase is wrong: the secret store in ${dir} was not opened and nothing was changed.`,
    );
  }
  try {
    await tightenDirectory(dir);
  } catch (error) {
    throw fsError('check permissions', dir, error);
  }

  async function readSecretRecord(name: string): Promise<Record<string, unknown> | null | 'corrupt'> {
    const bytes = await readFileBounded(join(dir, name), MAX_SECRET_FILE_BYTES);
    if (bytes === null) return null;
    if (bytes === 'too_large') return 'corrupt';
    const json = parseJson(bytes);
    return isRecord(json) && json.version === FORMAT_VERSION ? json : 'corrupt';
  }

  return {
    backend: 'file',

    async get(id) {
      assertSecretId(id);
      let record: Awaited<ReturnType<typeof readSecretRecord>>;
      try {
        record = await readSecretRecord(secretFileName(id));
      } catch (error) {
        throw fsError(`read secret "${id}"`, dir, error);
      }
      if (record === null) return null;
      if (record === 'corrupt') throw corruptSecret(id, dir, 'the file is not a valid secret file');
      const sealed = sealedFromJson(record);
      if (record.id !== id || sealed === null) throw corruptSecret(id, dir, 'the file is malformed');
      const plaintext = unseal(key, sealed, Buffer.from(id, 'utf8'));
      if (plaintext === null)
        throw corruptSecret(id, dir, 'it failed authentication: corrupted or tampered with');
      const value = plaintext.toString('utf8');
      plaintext.fill(0);
      return new Sensitive(value);
    },

    async put(id, value) {
      assertSecretId(id);
      const plaintext = Buffer.from(secretValueOf(id, value), 'utf8');
      const sealed = seal(key, plaintext, Buffer.from(id, 'utf8'));
      plaintext.fill(0);
      const body = JSON.stringify({ version: FORMAT_VERSION, id, ...sealedToJson(sealed) });
      try {
        await writeFileAtomic(dir, secretFileName(id), `${body}\n`);
      } catch (error) {
        throw fsError(`store secret "${id}"`, dir, error);
      }
    },

    async delete(id) {
      assertSecretId(id);
      try {
        await unlink(join(dir, secretFileName(id)));
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return false;
        throw fsError(`delete secret "${id}"`, dir, error);
      }
      await syncDir(dir).catch((error: unknown) => {
        throw fsError(`delete secret "${id}"`, dir, error);
      });
      return true;
    },

    async list() {
      const ids: string[] = [];
      try {
        for (const name of (await readdir(dir)).filter((n) => SECRET_FILE_PATTERN.test(n))) {
          const record = await readSecretRecord(name);
          if (record === null) continue; // deleted while we were listing
          const id = record === 'corrupt' ? undefined : record.id;
          if (!isValidSecretId(id) || secretFileName(id) !== name) {
            throw new BriefcaseError(
              'internal_error',
              `The secret file ${name} in ${dir} is damaged (its id is missing or does not match its name); remove it.`,
            );
          }
          ids.push(id);
        }
      } catch (error) {
        if (error instanceof BriefcaseError) throw error;
        throw fsError('list secrets', dir, error);
      }
      return ids.sort();
    },
  };
}
