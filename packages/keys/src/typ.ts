/**
 * `typ` header values (RFC 7515 §4.1.9, explicit typing per RFC 8725 §3.11) of the JWSs this project
 * signs with its keys. A verifier checks the one it expects, so a JWS made for one use can never be
 * passed off as another (a DPoP proof as a receipt head, say).
 */
export const JWS_TYP = {
  /** A receipt chain head `{seq, hash, ts, count, iat}`, signed with the `receipts` key. */
  receiptHead: 'briefcase-receipt-head+jwt',
} as const;
