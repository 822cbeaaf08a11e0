import { RECEIPTS_SCHEMA_SQL } from '@briefcase/receipts';

/**
 * Numbered, append-only migrations. A released migration is never edited: add a new one.
 * `PRAGMA user_version` records the last one applied.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'core tables: receipts, approvals, budgets, spend, policy, notes, tool stats',
    sql: `
${RECEIPTS_SCHEMA_SQL}

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  tool TEXT NOT NULL,
  args_hash TEXT NOT NULL,
  summary TEXT NOT NULL,
  cost_micro_usd INTEGER NOT NULL,
  reasons_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending','approved','denied','expired','consumed')),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  decided_at_ms INTEGER,
  decided_by TEXT,
  deny_reason TEXT,
  consumed_at_ms INTEGER,
  consumed_receipt_seq INTEGER
);
CREATE INDEX approvals_call ON approvals (tool, args_hash, created_at_ms);
CREATE INDEX approvals_state ON approvals (state, expires_at_ms);

CREATE TABLE budgets (
  category TEXT PRIMARY KEY,
  daily_cap_micro_usd INTEGER CHECK (daily_cap_micro_usd IS NULL OR daily_cap_micro_usd >= 0),
  monthly_cap_micro_usd INTEGER CHECK (monthly_cap_micro_usd IS NULL OR monthly_cap_micro_usd >= 0),
  updated_at_ms INTEGER NOT NULL
);

CREATE TABLE spend (
  id INTEGER PRIMARY KEY,
  ts_ms INTEGER NOT NULL,
  category TEXT NOT NULL,
  amount_micro_usd INTEGER NOT NULL CHECK (amount_micro_usd >= 0),
  receipt_seq INTEGER NOT NULL
);
CREATE INDEX spend_window ON spend (category, ts_ms);

CREATE TABLE policy (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  text TEXT NOT NULL,
  hash TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL
);

CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  created_at_ms INTEGER NOT NULL,
  text TEXT NOT NULL
);

CREATE TABLE tool_stats (
  tool TEXT PRIMARY KEY,
  ok_calls INTEGER NOT NULL,
  typical_args_bytes REAL NOT NULL,
  max_cost_micro_usd INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'remote MCP servers and their pinned tool definitions',
    sql: `
CREATE TABLE mcp_servers (
  name TEXT PRIMARY KEY,
  transport TEXT NOT NULL CHECK (transport IN ('streamable_http','sse','stdio')),
  url TEXT,
  command_json TEXT,
  env_names_json TEXT NOT NULL DEFAULT '[]',
  prefix INTEGER NOT NULL CHECK (prefix IN (0,1)),
  trust_annotations INTEGER NOT NULL CHECK (trust_annotations IN (0,1)),
  cost_micro_usd INTEGER NOT NULL CHECK (cost_micro_usd >= 0),
  created_at_ms INTEGER NOT NULL
);

-- One row per upstream tool. 'active' tools are offered with their pinned definition; a tool whose
-- definition changed (or that appeared after the server was added) is 'quarantined' until a person
-- accepts the pending definition.
CREATE TABLE mcp_tools (
  server TEXT NOT NULL REFERENCES mcp_servers (name) ON DELETE CASCADE,
  tool TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active','quarantined')),
  pinned_hash TEXT,
  pinned_json TEXT,
  pending_hash TEXT,
  pending_json TEXT,
  flags_json TEXT NOT NULL DEFAULT '[]',
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (server, tool)
);
`,
  },
  {
    version: 3,
    name: 'per-server request timeout of remote MCP servers',
    // NULL keeps the upstream pool's default (30 s). The range is the pool's own (1 ms to 10 min);
    // typeof() keeps a REAL such as 1.5 out, which a plain BETWEEN would let in.
    sql: `
ALTER TABLE mcp_servers ADD COLUMN timeout_ms INTEGER
  CHECK (timeout_ms IS NULL OR (typeof(timeout_ms) = 'integer' AND timeout_ms BETWEEN 1 AND 600000));
`,
  },
  {
    version: 4,
    name: 'OAuth metadata of remote MCP servers (tokens live in the secret store)',
    sql: `
-- OAuth metadata of remote MCP servers. Never a token or secret: those live in the secret store.
CREATE TABLE mcp_oauth (
  server TEXT PRIMARY KEY REFERENCES mcp_servers (name) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('authorized','oauth_required')),
  reason TEXT,
  issuer TEXT,
  resource TEXT,
  client_id TEXT,
  client_source TEXT,
  token_endpoint_auth_method TEXT,
  scope TEXT,
  token_type TEXT CHECK (token_type IS NULL OR token_type IN ('DPoP','Bearer')),
  bearer_reason TEXT,
  key_id TEXT,
  expires_at_ms INTEGER,
  quirks_json TEXT NOT NULL DEFAULT '{}',
  updated_at_ms INTEGER NOT NULL
);
`,
  },
  {
    version: 5,
    name: 'the grant a remote MCP server signs in with (machine grants need no person to renew)',
    // NULL: a row from before this column, signed in with the authorization code grant.
    sql: `
ALTER TABLE mcp_oauth ADD COLUMN grant_type TEXT
  CHECK (grant_type IS NULL OR grant_type IN ('authorization_code','client_credentials','jwt_bearer','enterprise'));
`,
  },
];
