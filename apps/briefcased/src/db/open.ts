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
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, MIGRATIONS);
  return db;
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
