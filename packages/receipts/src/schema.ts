/**
 * DDL for the receipt log; idempotent, so running it on every start is safe.
 * `seq` is the rowid (no AUTOINCREMENT: append assigns head.seq + 1 inside its transaction).
 * `ts` and `kind` duplicate body members so listing can filter without parsing; verification
 * checks that they agree with the body. `body` is the RFC 8785 canonical JSON of the receipt
 * without `hash`, exactly the bytes that were hashed. STRICT keeps every column the declared type.
 */
export const RECEIPTS_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS receipts (
  seq INTEGER PRIMARY KEY,
  ts TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS receipts_kind_seq ON receipts (kind, seq);
`;
