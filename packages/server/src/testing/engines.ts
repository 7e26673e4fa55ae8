import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh, empty database on one engine, for one test suite. */
export interface TestDatabase {
  engine: 'sqlite' | 'postgres';
  dataDir: string;
  databaseUrl: string | undefined;
  drop(): Promise<void>;
}

export interface EngineFactory {
  name: 'sqlite' | 'postgres';
  create(): Promise<TestDatabase>;
}

const sqlite: EngineFactory = {
  name: 'sqlite',
  async create() {
    const dataDir = mkdtempSync(join(tmpdir(), 'charter-test-'));
    return { engine: 'sqlite', dataDir, databaseUrl: undefined, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
};

function postgres(adminUrl: string): EngineFactory {
  return {
    name: 'postgres',
    async create() {
      const name = `charter_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const dataDir = mkdtempSync(join(tmpdir(), 'charter-test-pg-'));
      return {
        engine: 'postgres',
        dataDir,
        databaseUrl: url.toString(),
        async drop() {
          rmSync(dataDir, { recursive: true, force: true });
          const c = new pg.Client({ connectionString: adminUrl });
          await c.connect();
          try {
            await c.query(`drop database if exists ${name} with (force)`);
          } finally {
            await c.end();
          }
        },
      };
    },
  };
}

/**
 * The engines a suite runs on: SQLite always, PostgreSQL when scripts/test.mjs found one
 * (it sets CHARTER_TEST_PG_URL, and fails the run when CHARTER_REQUIRE_PG=1 and it cannot).
 */
export function testEngines(): EngineFactory[] {
  const url = process.env.CHARTER_TEST_PG_URL;
  return url ? [sqlite, postgres(url)] : [sqlite];
}
