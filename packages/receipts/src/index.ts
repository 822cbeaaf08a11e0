export type { JsonValue } from './json.js';
export {
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  type ListOptions,
  openReceiptLog,
  type ReceiptLog,
  type UnreadableReceipt,
} from './log.js';
export {
  computeReceiptHash,
  GENESIS_HASH,
  RECEIPT_VERSION,
  RESERVED_FIELDS,
  type Receipt,
  type ReceiptEvent,
  type ReceiptHeader,
} from './receipt.js';
export { RECEIPTS_SCHEMA_SQL } from './schema.js';
export { type ChainHead, type VerifyOptions, type VerifyResult, verifyReceipts } from './verify.js';
