import { isRecord } from '@briefcase/core';
/**
 * Offline verification of a receipt export (`briefcase receipts export`): NDJSON receipts, then one
 * final line `{"signedHead": "<JWS>", "key": {public JWK}}`. Needs no daemon, only the file and a
 * public key pinned earlier (`briefcase receipts head`).
 */
import { JWS_TYP, jwkThumbprint, type PublicJwk, parsePublicJwk, verifyCompactJws } from '@briefcase/keys';
import { type ChainHead, verifyReceipts } from '@briefcase/receipts';

/** The claims of a signed head, as the daemon signs them. */
export interface SignedHeadClaims {
  seq: number;
  hash: string;
  ts: string | null;
  count: number;
  iat?: number;
}

/** What can be wrong with an export, from the file's shape to the key. */
export type ExportProblem =
  /** A line is not JSON, or the file is empty. */
  | 'malformed'
  /** The last line is not a signed head (an unsigned export, or the head line was cut off). */
  | 'unsigned'
  /** A receipt is missing, edited, reordered or inserted. */
  | 'chain'
  /** The signed head does not verify: changed after signing, or not a receipt head. */
  | 'signature'
  /** The head was signed by another key than the one pinned. */
  | 'wrong_key'
  /** The signature is fine but the file does not end at the signed head (cut off, or extended). */
  | 'head_mismatch';

/** Outcome of {@link verifyReceiptExport}. */
export type ExportVerification =
  | { ok: true; count: number; head: ChainHead; signed: SignedHeadClaims; thumbprint: string }
  | { ok: false; problem: ExportProblem; message: string; count: number; brokenAt?: number };

const HEX_64 = /^[0-9a-f]{64}$/;

function parseClaims(payload: Uint8Array): SignedHeadClaims | undefined {
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return undefined;
  }
  if (
    !isRecord(claims) ||
    !Number.isSafeInteger(claims.seq) ||
    (claims.seq as number) < 0 ||
    typeof claims.hash !== 'string' ||
    !HEX_64.test(claims.hash) ||
    !Number.isSafeInteger(claims.count) ||
    !(claims.ts === null || typeof claims.ts === 'string') ||
    !(claims.iat === undefined || Number.isSafeInteger(claims.iat))
  ) {
    return undefined;
  }
  return claims as unknown as SignedHeadClaims;
}

/**
 * Reads the key to verify with: a public JWK, or an object with a `key` member holding one (the
 * output of `briefcase receipts head --json`). Returns a sentence when it is not usable.
 */
export function readPinnedKey(value: unknown): { ok: true; jwk: PublicJwk } | { ok: false; message: string } {
  const candidate =
    isRecord(value) && value.kty === undefined && isRecord(value.key) ? (value.key as unknown) : value;
  return parsePublicJwk(candidate);
}

/**
 * Verifies an export in this order: every line is JSON and the last is a signed head; the receipt
 * chain (with `expectedHead` too, when given); the signed head's JWS against `key` (typ, alg from
 * the key, kid, signature); and that the signed seq, hash and count are the file's last receipt,
 * so a file cut short (or extended) after signing fails. Never throws.
 */
export async function verifyReceiptExport(
  text: string,
  key: PublicJwk,
  options: { expectedHead?: ChainHead } = {},
): Promise<ExportVerification> {
  const entries: unknown[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line));
    } catch {
      return {
        ok: false,
        problem: 'malformed',
        message: `line ${index + 1} is not JSON (corrupted?)`,
        count: 0,
      };
    }
  }
  const trailer = entries.at(-1);
  if (!isRecord(trailer) || typeof trailer.signedHead !== 'string') {
    return {
      ok: false,
      problem: 'unsigned',
      message:
        entries.length === 0
          ? 'the file is empty'
          : 'the last line is not a signed head ({"signedHead": ...}): the export is unsigned or was cut off',
      count: 0,
    };
  }
  const receipts = entries.slice(0, -1);
  const hole = receipts.find((entry) => isRecord(entry) && isRecord(entry.unreadable));
  if (hole !== undefined) {
    const seq = Number((hole as { unreadable: { seq?: unknown } }).unreadable.seq);
    return {
      ok: false,
      problem: 'chain',
      message: `receipt chain broken at receipt ${seq}: the row was corrupted in the log when it was exported`,
      count: receipts.indexOf(hole),
      brokenAt: seq,
    };
  }

  const chain = verifyReceipts(receipts, options.expectedHead ? { expectedHead: options.expectedHead } : {});
  if (!chain.ok) {
    return {
      ok: false,
      problem: 'chain',
      message: `receipt chain broken at receipt ${chain.brokenAt}: ${chain.reason}`,
      count: chain.count,
      brokenAt: chain.brokenAt,
    };
  }

  const jws = await verifyCompactJws(trailer.signedHead, key, { typ: JWS_TYP.receiptHead });
  if (!jws.ok) {
    const problem: ExportProblem =
      jws.failure === 'wrong_key' || jws.failure === 'alg_mismatch' || jws.failure === 'bad_key'
        ? 'wrong_key'
        : 'signature';
    const lead = problem === 'wrong_key' ? 'wrong key' : 'bad signature on the head';
    return { ok: false, problem, message: `${lead}: ${jws.message}`, count: chain.count };
  }
  const signed = parseClaims(jws.payload);
  if (signed === undefined) {
    return {
      ok: false,
      problem: 'signature',
      message: 'the signed head verifies but its claims are not {seq, hash, ts, count}',
      count: chain.count,
    };
  }

  const head = chain.head;
  const mismatch = (message: string): ExportVerification => ({
    ok: false,
    problem: 'head_mismatch',
    message: `head mismatch: ${message}`,
    count: chain.count,
  });
  if (signed.seq > head.seq) {
    const missing =
      signed.seq === head.seq + 1
        ? `receipt ${signed.seq} is missing`
        : `receipts ${head.seq + 1}-${signed.seq} are missing`;
    return mismatch(
      `the signed head is receipt ${signed.seq} but the file ends at receipt ${head.seq}: ${missing} (truncated?)`,
    );
  }
  if (signed.seq < head.seq) {
    return mismatch(
      `the file goes on to receipt ${head.seq} after the signed head at receipt ${signed.seq} (receipts appended after signing?)`,
    );
  }
  if (signed.hash !== head.hash) {
    return mismatch(`receipt ${head.seq} in the file is not the one signed (history rewritten?)`);
  }
  if (signed.count !== chain.count) {
    return mismatch(`the file holds ${chain.count} receipts, the signed head counts ${signed.count}`);
  }
  return { ok: true, count: chain.count, head, signed, thumbprint: await jwkThumbprint(key) };
}
