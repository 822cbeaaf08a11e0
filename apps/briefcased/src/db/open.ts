import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

/** How hard each commit is pushed to disk. `full` survives a power cut; `normal` only a process crash. */
export type Durability = 'full' | 'normal';

/**
 * Opens the daemon database in WAL mode and brings it to the newest schema.
 * With `durability: 'full'` every commit is fsynced before it returns, so an acknowledged receipt
 * survives a power cut (in WAL mode `synchronous=NORMAL` may lose the last commits on power loss).
 */
export function openDatabase(file: string, options: { durability?: Durability } = {}): Db {
  ownerOnly(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, MIGRATIONS);
  return db;
}

/**
 * Makes the database file owner-only (0600) before SQLite opens it. SQLite creates the `-wal` and
 * `-shm` files later, at the first write, with the main file's permission bits, so pre-creating the
 * main file 0600 covers them without touching the process umask (which is process-wide and would
 * race every other file the daemon creates). Files an older version left 0644 are narrowed here.
 */
function ownerOnly(file: string): void {
  if (file === ':memory:' || file === '') return;
  closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if ((mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

/** Applies every migration newer than `user_version`, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new Error(
      `database schema version ${current} is newer than this briefcased understands (${newest}); upgrade briefcased`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
