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
  /**
   * PostgreSQL only: calls `onNotify` whenever another session NOTIFYs `channel`, over a
   * dedicated connection that is re-made after a failure. Resolves once listening.
   */
  listen?(channel: string, onNotify: () => void, onError: (err: unknown) => void): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

/** pg loads only when PostgreSQL is used: the embedded engine starts without it. */
function loadPg(): typeof pgTypes {
  const pg = createRequire(import.meta.url)('pg') as typeof pgTypes;
  // bigint columns come back as strings from pg by default; our sequences fit in a double.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  return pg;
}

/**
 * Kysely prepares every query anew; preparing costs about as much as running a small one. The
 * one connection runs one query at a time (Kysely's mutex), so a statement is never reused while
 * another use of it is still iterating.
 */
function withStatementCache(sqlite: SQLite.Database, limit = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (source: string) => {
          let stmt = cache.get(source);
          if (stmt === undefined) {
            stmt = target.prepare(source);
            if (cache.size >= limit) cache.delete(cache.keys().next().value!);
            cache.set(source, stmt);
          }
          return stmt;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
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
    const url = opts.databaseUrl;
    return { db, engine: 'postgres', location: url.replace(/\/\/[^@/]*@/, '//'), listen: (channel, onNotify, onError) => listen(pg, url, channel, onNotify, onError), close: () => db.destroy() };
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, engine: 'sqlite', location: file, close: () => db.destroy() };
}

/** LISTEN on its own client (pooled clients come and go); reconnects with back-off, up to 5 s. */
async function listen(pg: typeof pgTypes, url: string, channel: string, onNotify: () => void, onError: (err: unknown) => void): Promise<{ close(): Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  let client: pgTypes.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let backoff = 100;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (m) => {
      if (m.channel === channel) onNotify();
    });
    c.on('error', (err) => {
      onError(err);
      c.end().catch(() => {});
      if (client === c) again();
    });
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    if (closed) return void (await c.end());
    client = c;
    backoff = 100;
    // Whatever was notified while not listening is caught up now.
    onNotify();
  };
  const again = () => {
    client = null;
    if (closed) return;
    retry = setTimeout(() => connect().catch((err: unknown) => (onError(err), again())), backoff);
    retry.unref();
    backoff = Math.min(backoff * 2, 5000);
  };
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
