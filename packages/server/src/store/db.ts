import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { createRequire } from 'node:module';
import type pgTypes from 'pg';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Where it lives, without credentials, for logs. */
  location: string;
  close(): Promise<void>;
}

/** pg loads only when PostgreSQL is used: the embedded engine starts without it. */
function loadPg(): typeof pgTypes {
  const pg = createRequire(import.meta.url)('pg') as typeof pgTypes;
  // bigint columns come back as strings from pg by default; our sequences fit in a double.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  return pg;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}

export function openDatabase(opts: { databaseUrl?: string | undefined; dataDir: string }): DatabaseHandle {
  if (isPostgresUrl(opts.databaseUrl)) {
    const pg = loadPg();
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // An idle client that errors (server restart) must not crash the process.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', location: opts.databaseUrl.replace(/\/\/[^@/]*@/, '//'), close: () => db.destroy() };
  }
  if (opts.databaseUrl) throw new Error('--database-url must be a postgres:// URL; leave it unset for the embedded SQLite database');
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const file = join(opts.dataDir, 'charter.db');
  const sqlite = new SQLite(file);
  // WAL with synchronous=FULL: an acknowledged commit is on disk (survives a power cut).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, engine: 'sqlite', location: file, close: () => db.destroy() };
}
