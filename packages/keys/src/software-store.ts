import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { BriefcaseError, isRecord } from '@briefcase/core';
// Types only: at run time this package never loads the secret store (nor its native keyring module).
import type { SecretStore } from '@briefcase/secrets';
import {
  algorithmOfKeyObject,
  assertKeyAlgorithm,
  assertKeyPurpose,
  DEFAULT_KEY_ALGORITHM,
  isKeyAlgorithm,
  isKeyPurpose,
  jwkThumbprint,
  KEY_TYPE_OF,
  publicJwkOf,
  signWith,
} from './algorithms.js';
import {
  KEY_PURPOSES,
  type KeyAlgorithm,
  type KeyInfo,
  type KeyPurpose,
  type KeyStore,
  type PublicJwk,
  type Signer,
} from './types.js';

/** Options for {@link createSoftwareKeyStore}. */
export interface SoftwareKeyStoreOptions {
  /** Where the private halves (and the public info) are kept; the file backend encrypts them at rest. */
  secrets: SecretStore;
  /** Source of `createdAt`; default the system clock. */
  clock?: () => Date;
}

/** Key ids: 96 random bits as hex. Random (never derived from the key), and never start with `-`. */
const KEY_ID_PATTERN = /^[0-9a-f]{24}$/;
const INFO_ENTRY = /^keys\.([0-9a-f]{24})\.info$/;
const INFO_FORMAT_VERSION = 1;

const privateEntry = (id: string) => `keys.${id}.private`;
const infoEntry = (id: string) => `keys.${id}.info`;
const activeEntry = (purpose: KeyPurpose) => `keys.active.${purpose}`;

/** What `keys.<id>.info` holds: the KeyInfo without `active`, plus a creation serial for ordering. */
interface StoredInfo extends Omit<KeyInfo, 'active'> {
  /** Increases with every key this store creates, so "newest first" holds even within one millisecond. */
  serial: number;
}

function isPublicJwk(value: unknown): value is PublicJwk {
  if (!isRecord(value) || typeof value.x !== 'string') return false;
  if (value.kty === 'OKP') return value.crv === 'Ed25519' && value.y === undefined;
  return value.kty === 'EC' && value.crv === 'P-256' && typeof value.y === 'string';
}

function notFound(id: unknown): BriefcaseError {
  // Only a well-formed id is echoed: anything else may be a secret pasted in the wrong place.
  const which = typeof id === 'string' && KEY_ID_PATTERN.test(id) ? `"${id}"` : '(malformed id)';
  return new BriefcaseError('not_found', `No key ${which}. List keys with \`briefcase keys list\`.`);
}

function unreadable(id: string, what: string): BriefcaseError {
  return new BriefcaseError(
    'internal_error',
    `Key "${id}" in the secret store is unusable (${what}). Rotate its purpose to get a new key.`,
  );
}

function parseInfo(id: string, text: string): StoredInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw unreadable(id, 'its public info is not JSON');
  }
  if (
    !isRecord(parsed) ||
    parsed.v !== INFO_FORMAT_VERSION ||
    parsed.id !== id ||
    !isKeyPurpose(parsed.purpose) ||
    !isKeyAlgorithm(parsed.algorithm) ||
    parsed.backend !== 'software' ||
    typeof parsed.createdAt !== 'string' ||
    typeof parsed.thumbprint !== 'string' ||
    !Number.isSafeInteger(parsed.serial) ||
    !isPublicJwk(parsed.publicJwk)
  ) {
    throw unreadable(id, 'its public info is malformed');
  }
  return {
    id,
    purpose: parsed.purpose,
    algorithm: parsed.algorithm,
    backend: 'software',
    createdAt: parsed.createdAt,
    thumbprint: parsed.thumbprint,
    publicJwk: cleanJwk(parsed.publicJwk),
    serial: parsed.serial as number,
  };
}

function serializeInfo(info: StoredInfo): string {
  return JSON.stringify({ v: INFO_FORMAT_VERSION, ...info });
}

function toKeyInfo(info: StoredInfo, active: boolean): KeyInfo {
  const { serial: _serial, publicJwk, ...rest } = info;
  return { ...rest, active, publicJwk: cleanJwk(publicJwk) };
}

/** A fresh copy with only the RFC 7638 members (no `y: undefined` left over for OKP keys). */
function cleanJwk(jwk: PublicJwk): PublicJwk {
  return jwk.kty === 'EC' && jwk.y !== undefined
    ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }
    : { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

function sameJwk(a: PublicJwk, b: PublicJwk): boolean {
  return a.kty === b.kty && a.crv === b.crv && a.x === b.x && (a.y ?? null) === (b.y ?? null);
}

function generatePrivateKey(algorithm: KeyAlgorithm): KeyObject {
  const { type, curve } = KEY_TYPE_OF[algorithm];
  if (type === 'ed25519') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('ec', { namedCurve: curve as string }).privateKey;
}

/** One signer per loaded key. Its only state is the KeyObject, which no serialization reaches. */
function makeSigner(info: StoredInfo, key: KeyObject, isLive: () => boolean): Signer {
  const publicJwk = cleanJwk(info.publicJwk);
  const { id, algorithm, thumbprint } = info;
  return Object.freeze({
    keyId: id,
    algorithm,
    backend: 'software' as const,
    publicJwk: () => cleanJwk(publicJwk),
    thumbprint: () => thumbprint,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      if (!(data instanceof Uint8Array)) {
        throw new BriefcaseError('invalid_args', 'Only bytes (a Uint8Array) can be signed.');
      }
      if (!isLive()) throw notFound(id);
      return signWith(algorithm, key, data);
    },
  });
}

/** Serializes async sections: mutations run one at a time, in call order. */
function createMutex(): <T>(section: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(section: () => Promise<T>): Promise<T> => {
    const run = tail.then(section, section);
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Writes a key into `secrets` (private half, then public info) without making it active.
 * Internal: the store uses it for new keys, tests use it to bring in a known key (RFC 8037 vectors).
 */
export async function writeSoftwareKey(
  secrets: SecretStore,
  purpose: KeyPurpose,
  privateKey: KeyObject,
  createdAt: Date,
): Promise<StoredInfo> {
  assertKeyPurpose(purpose);
  const algorithm = privateKey.type === 'private' ? algorithmOfKeyObject(privateKey) : undefined;
  if (algorithm === undefined) {
    throw new BriefcaseError('invalid_args', 'Only Ed25519 and P-256 private keys can be stored.');
  }
  const publicJwk = publicJwkOf(privateKey);
  const serial = (await readAllInfo(secrets)).reduce((max, info) => Math.max(max, info.serial), 0) + 1;
  const id = randomBytes(12).toString('hex');
  const info: StoredInfo = {
    id,
    purpose,
    algorithm,
    backend: 'software',
    createdAt: createdAt.toISOString(),
    thumbprint: await jwkThumbprint(publicJwk),
    publicJwk,
    serial,
  };
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    // Private half first: a crash in between leaves an unlisted private entry, never a listed key
    // that cannot sign.
    await secrets.put(privateEntry(id), der.toString('base64'));
  } finally {
    der.fill(0);
  }
  await secrets.put(infoEntry(id), serializeInfo(info));
  return info;
}

/**
 * The public info of every stored key. An entry that cannot be read is left out: it cannot sign
 * anyway (its `signer` fails with `internal_error`), and one damaged entry must not block listing
 * or rotating to a fresh key, which is the way out.
 */
async function readAllInfo(secrets: SecretStore): Promise<StoredInfo[]> {
  const ids: string[] = [];
  for (const entry of await secrets.list()) {
    const match = INFO_ENTRY.exec(entry);
    if (match) ids.push(match[1] as string);
  }
  const infos = await Promise.all(
    ids.map(async (id) => {
      try {
        const text = await secrets.get(infoEntry(id));
        return text === null ? undefined : parseInfo(id, text.reveal());
      } catch {
        return undefined;
      }
    }),
  );
  return infos.filter((info): info is StoredInfo => info !== undefined);
}

/**
 * The software {@link KeyStore}: Ed25519 and P-256 keys generated with node:crypto, the private half
 * kept only in `secrets` as PKCS#8 DER (base64) under `keys.<id>.private`, the public info under
 * `keys.<id>.info`, the active key id of each purpose under `keys.active.<purpose>`. Signing happens
 * in this process, with KeyObjects cached after their first load.
 *
 * One store instance is assumed to be the only writer of these entries (the daemon owns its data
 * dir); its own calls are safe to run concurrently: `ensure`, `rotate` and `delete` are serialized,
 * so two concurrent `ensure` calls for one purpose create one key.
 */
export function createSoftwareKeyStore(options: SoftwareKeyStoreOptions): KeyStore {
  const { secrets } = options;
  const clock = options.clock ?? (() => new Date());
  const exclusive = createMutex();
  /** Active key id per purpose as last read or written (null: none); absent: not read yet. */
  const activeIds = new Map<KeyPurpose, string | null>();
  /** Loaded (or loading) signers by key id. */
  const signers = new Map<string, Promise<Signer>>();
  /** Keys deleted through this store: signers handed out earlier refuse to sign with them. */
  const deleted = new Set<string>();

  async function readActiveIdLocked(purpose: KeyPurpose): Promise<string | null> {
    const cached = activeIds.get(purpose);
    if (cached !== undefined) return cached;
    const value = (await secrets.get(activeEntry(purpose)))?.reveal() ?? null;
    if (value !== null && !KEY_ID_PATTERN.test(value)) {
      throw new BriefcaseError(
        'internal_error',
        `The active ${purpose} key pointer in the secret store is malformed. Rotate the ${purpose} key to replace it.`,
      );
    }
    activeIds.set(purpose, value);
    return value;
  }

  function activeId(purpose: KeyPurpose): Promise<string | null> {
    const cached = activeIds.get(purpose);
    // A miss is read under the lock so that it cannot overwrite a pointer a rotation just wrote.
    return cached !== undefined ? Promise.resolve(cached) : exclusive(() => readActiveIdLocked(purpose));
  }

  async function loadSigner(id: string): Promise<Signer> {
    const infoText = await secrets.get(infoEntry(id));
    if (infoText === null) throw notFound(id);
    const info = parseInfo(id, infoText.reveal());
    const privateText = await secrets.get(privateEntry(id));
    if (privateText === null) throw unreadable(id, 'its private half is missing');
    let key: KeyObject;
    try {
      const der = Buffer.from(privateText.reveal(), 'base64');
      try {
        key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      } finally {
        der.fill(0);
      }
    } catch {
      throw unreadable(id, 'its private half is not a PKCS#8 key');
    }
    // The private half must be the key the info describes: a mix-up would sign under a wrong kid.
    if (algorithmOfKeyObject(key) !== info.algorithm || !sameJwk(publicJwkOf(key), info.publicJwk)) {
      throw unreadable(id, 'its private half does not match its public info');
    }
    if ((await jwkThumbprint(info.publicJwk)) !== info.thumbprint) {
      throw unreadable(id, 'its recorded thumbprint is wrong');
    }
    if (deleted.has(id)) throw notFound(id);
    return makeSigner(info, key, () => !deleted.has(id));
  }

  function signer(id: string): Promise<Signer> {
    if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id) || deleted.has(id)) {
      return Promise.reject(notFound(id));
    }
    let pending = signers.get(id);
    if (pending === undefined) {
      pending = loadSigner(id);
      signers.set(id, pending);
      // A failed load is not cached: the next call reads the store again.
      pending.catch(() => {
        if (signers.get(id) === pending) signers.delete(id);
      });
    }
    return pending;
  }

  async function active(purpose: KeyPurpose): Promise<Signer | undefined> {
    assertKeyPurpose(purpose);
    const id = await activeId(purpose);
    if (id === null) return undefined;
    try {
      return await signer(id);
    } catch (error) {
      if (error instanceof BriefcaseError && error.code === 'not_found') {
        throw new BriefcaseError(
          'internal_error',
          `The active ${purpose} key "${id}" is missing from the secret store. Rotate the ${purpose} key to replace it.`,
        );
      }
      throw error;
    }
  }

  /** Creates a key and makes it the active one of its purpose. Call under the lock. */
  async function createActiveLocked(purpose: KeyPurpose, algorithm: KeyAlgorithm): Promise<StoredInfo> {
    const info = await writeSoftwareKey(secrets, purpose, generatePrivateKey(algorithm), clock());
    await secrets.put(activeEntry(purpose), info.id);
    activeIds.set(purpose, info.id);
    return info;
  }

  return {
    async list(purpose) {
      if (purpose !== undefined) assertKeyPurpose(purpose);
      const purposes = purpose === undefined ? KEY_PURPOSES : [purpose];
      const [infos, actives] = await Promise.all([
        readAllInfo(secrets),
        Promise.all(purposes.map((p) => activeId(p))),
      ]);
      const activeSet = new Set(actives.filter((id): id is string => id !== null));
      return infos
        .filter((info) => purpose === undefined || info.purpose === purpose)
        .sort((a, b) => {
          const byActive = Number(activeSet.has(b.id)) - Number(activeSet.has(a.id));
          return byActive !== 0 ? byActive : b.serial - a.serial;
        })
        .map((info) => toKeyInfo(info, activeSet.has(info.id)));
    },

    async ensure(purpose, algorithm = DEFAULT_KEY_ALGORITHM) {
      assertKeyPurpose(purpose);
      assertKeyAlgorithm(algorithm);
      const current = await active(purpose);
      if (current !== undefined) return current;
      // Single flight: a concurrent ensure that got here first has created the key by the time the
      // lock is ours, and the pointer check inside the lock sees it.
      const id = await exclusive(async () => {
        const existing = await readActiveIdLocked(purpose);
        return existing ?? (await createActiveLocked(purpose, algorithm)).id;
      });
      return signer(id);
    },

    active,

    signer,

    async rotate(purpose, algorithm) {
      assertKeyPurpose(purpose);
      if (algorithm !== undefined) assertKeyAlgorithm(algorithm);
      const info = await exclusive(async () => {
        // Without an explicit algorithm the new key keeps the current key's, so rotating a P-256
        // DPoP key does not silently switch the server-visible algorithm.
        let chosen = algorithm;
        if (chosen === undefined) {
          const currentId = await readActiveIdLocked(purpose);
          const current = currentId === null ? undefined : await signer(currentId).catch(() => undefined);
          chosen = current?.algorithm ?? DEFAULT_KEY_ALGORITHM;
        }
        return createActiveLocked(purpose, chosen);
      });
      return toKeyInfo(info, true);
    },

    async delete(id) {
      if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) throw notFound(id);
      await exclusive(async () => {
        const infoText = await secrets.get(infoEntry(id));
        if (infoText === null) throw notFound(id);
        const info = parseInfo(id, infoText.reveal());
        deleted.add(id);
        signers.delete(id);
        // Pointer first, then the private half, then the info: a crash part-way leaves at worst a
        // listed key that cannot sign (and can be deleted again), never an unlisted private half.
        if ((await readActiveIdLocked(info.purpose)) === id) {
          await secrets.delete(activeEntry(info.purpose));
          activeIds.set(info.purpose, null);
        }
        await secrets.delete(privateEntry(id));
        await secrets.delete(infoEntry(id));
      });
    },
  };
}
