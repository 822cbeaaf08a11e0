/**
 * Migration 5: the grant a remote MCP server signs in with. A row written at schema version 4 (a
 * person's sign-in) reads back as `authorization_code`; machine grants round-trip; anything else is
 * refused by the column's CHECK.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createOAuthStore, emptyOAuthRecord } from '../src/db/mcp-oauth.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { migrate } from '../src/db/open.js';

function versionFourDatabase() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  expect(
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= 4),
    ),
  ).toBe(4);
  for (const name of ['old', 'svc'])
    db.prepare(
      `INSERT INTO mcp_servers (name, transport, url, command_json, env_names_json, prefix, trust_annotations, cost_micro_usd, created_at_ms)
       VALUES (?, 'streamable_http', 'https://mcp.example.com/mcp', NULL, '[]', 1, 0, 0, 0)`,
    ).run(name);
  db.prepare(
    `INSERT INTO mcp_oauth (server, state, issuer, token_type, quirks_json, updated_at_ms)
     VALUES ('old', 'authorized', 'https://as.example.com', 'DPoP', '{}', 1)`,
  ).run();
  return db;
}

describe('mcp_oauth.grant_type (migration 5)', () => {
  it('reads a sign-in from before the column as authorization_code, and stores machine grants', () => {
    const db = versionFourDatabase();
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.at(-1)?.version);
    const store = createOAuthStore(db);
    expect(store.get('old')?.grant).toBe('authorization_code');
    for (const grant of ['client_credentials', 'jwt_bearer', 'enterprise'] as const) {
      store.save({ ...emptyOAuthRecord('svc', 2), state: 'authorized', grant });
      expect(store.get('svc')?.grant).toBe(grant);
    }
    expect(() =>
      db.prepare(`UPDATE mcp_oauth SET grant_type = 'password' WHERE server = 'old'`).run(),
    ).toThrow(/CHECK constraint failed/);
  });
});
