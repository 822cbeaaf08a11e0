import { JWS_TYP, type KeyStore, type PublicJwk, signCompactJws } from '@briefcase/keys';
import type { ReceiptLog } from '@briefcase/receipts';

/** What a signed head attests: the receipt log's newest receipt when the head was signed. */
export interface ReceiptHeadClaims {
  /** seq of the newest receipt (0 for an empty log). */
  seq: number;
  /** Its hash (the genesis hash, 64 zeros, for an empty log). */
  hash: string;
  /** Its timestamp, or null for an empty log. */
  ts: string | null;
  /** How many receipts the chain holds up to and including `seq`. */
  count: number;
  /** When the daemon signed this head (NumericDate, RFC 7519 §2). */
  iat: number;
}

/** `GET /v1/receipts/head`: the head, the JWS over it, and the public key that verifies it. */
export interface SignedReceiptHead {
  seq: number;
  hash: string;
  ts: string | null;
  count: number;
  /** Compact JWS (typ `briefcase-receipt-head+jwt`, kid = key thumbprint) over {@link ReceiptHeadClaims}. */
  signedHead: string;
  /** The public key to pin and verify with. */
  key: PublicJwk;
  /** RFC 7638 thumbprint of `key` (the JWS `kid`). */
  thumbprint: string;
}

/**
 * Signs the receipt log's current head with the active `receipts` key (created on first use), so an
 * exported log ending at that head can be verified offline against a pinned public key. Signing
 * only attests what the log held; `verify` checks that the chain itself is intact.
 */
export async function signReceiptHead(
  receipts: ReceiptLog,
  keys: KeyStore,
  clock: () => Date,
): Promise<SignedReceiptHead> {
  const signer = await keys.ensure('receipts');
  const head = receipts.head();
  const ts = head.seq === 0 ? null : (receipts.get(head.seq)?.ts ?? null);
  // Seqs run 1, 2, 3, … without gaps, so the chain up to seq holds seq receipts.
  const claims: ReceiptHeadClaims = {
    seq: head.seq,
    hash: head.hash,
    ts,
    count: head.seq,
    iat: Math.floor(clock().getTime() / 1000),
  };
  const signedHead = await signCompactJws(
    signer,
    { typ: JWS_TYP.receiptHead, kid: signer.thumbprint() },
    { ...claims },
  );
  return {
    ...head,
    ts,
    count: claims.count,
    signedHead,
    key: signer.publicJwk(),
    thumbprint: signer.thumbprint(),
  };
}
