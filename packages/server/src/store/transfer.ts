import { sql, type Kysely } from 'kysely';
import { stringProblem } from '@charter/core';
import type { Database } from './schema.js';

/**
 * Export and import of a whole Charter database, engine-neutral: every table row for row, so
 * IDs, revisions, change sets, tokens (hashes only) and the audit log arrive unchanged. This is
 * how a deployment moves from the embedded database to PostgreSQL (docs/migrations.md).
 */

/** Tables in an order that respects every reference between them. */
export const TABLES = [
  'registry_state',
  'entries',
  'revisions',
  'reserved_ids',
  'changesets',
  'tokens',
  'audit_state',
  'audit_events',
  'audit_nodes',
  'artifacts',
  'evidence',
  'approvals',
  'decisions',
] as const satisfies readonly (keyof Database)[];

export type TableName = (typeof TABLES)[number];

/** The first line of an export: what it is and what it holds. */
export interface ExportHeader {
  format: 'charter.export/v1';
  exported_at: string;
  migration: string | null;
  counts: Record<TableName, number>;
}

export interface ExportLine {
  table: TableName;
  row: Record<string, unknown>;
}

const PAGE = 1000;

export async function exportCounts(db: Kysely<Database>): Promise<Record<TableName, number>> {
  const counts = {} as Record<TableName, number>;
  for (const t of TABLES) {
    const r = await db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[t] = Number(r.n);
  }
  return counts;
}

/** The primary key of each table: export pages in this order, so no row is skipped or repeated. */
const ORDER: Record<TableName, string[]> = {
  registry_state: ['id'],
  entries: ['family', 'id'],
  revisions: ['family', 'id', 'revision'],
  reserved_ids: ['family', 'id'],
  changesets: ['id'],
  tokens: ['id'],
  audit_state: ['id'],
  audit_events: ['idx'],
  audit_nodes: ['level', 'idx'],
  artifacts: ['digest'],
  evidence: ['id'],
  approvals: ['id'],
  decisions: ['id'],
};

/**
 * Hands every row of every table to `write`, in TABLES order, a page at a time, inside one
 * read transaction (repeatable read on PostgreSQL), so a running server cannot make the
 * export inconsistent.
 */
export async function exportRows(db: Kysely<Database>, engine: 'sqlite' | 'postgres', write: (line: ExportLine) => Promise<void> | void): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (engine === 'postgres') await sql`set transaction isolation level repeatable read`.execute(trx);
    for (const table of TABLES) {
      let offset = 0;
      for (;;) {
        let q = trx.selectFrom(table).selectAll();
        for (const col of ORDER[table]) q = q.orderBy(sql.ref(col));
        const rows = await q.limit(PAGE).offset(offset).execute();
        for (const row of rows) await write({ table, row: row as Record<string, unknown> });
        if (rows.length < PAGE) break;
        offset += PAGE;
      }
    }
  });
}

/**
 * Imports rows into a freshly migrated, empty database (no seed, no tokens, empty audit log),
 * in one transaction: all or nothing. Refuses a database that already holds anything.
 */
export async function importRows(db: Kysely<Database>, lines: AsyncIterable<ExportLine>, onRow?: (n: number) => void): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await db.transaction().execute(async (trx) => {
    const state = await trx.selectFrom('registry_state').select('sequence').executeTakeFirst();
    const entries = await trx.selectFrom('entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const audit = await trx.selectFrom('audit_state').select('size').executeTakeFirst();
    if (Number(state?.sequence ?? 0) !== 0 || Number(entries.n) !== 0 || Number(audit?.size ?? 0) !== 0) {
      throw new Error('the target database is not empty: import only into a fresh one (start it with --no-seed, or run `charter migrate` on an empty database)');
    }
    // The single-row state tables exist after migration: the export replaces them.
    await trx.deleteFrom('registry_state').execute();
    await trx.deleteFrom('audit_state').execute();
    await trx.deleteFrom('tokens').execute();
    await trx.deleteFrom('seed_state').execute();
    let batch = null as { table: TableName; rows: Record<string, unknown>[] } | null;
    let n = 0;
    const flush = async () => {
      if (!batch || batch.rows.length === 0) return;
      await trx.insertInto(batch.table).values(batch.rows as never).execute();
      batch.rows = [];
    };
    for await (const line of lines) {
      if (!(TABLES as readonly string[]).includes(line.table)) throw new Error(`unknown table '${line.table}' in the export`);
      if (batch?.table !== line.table) {
        await flush();
        batch = { table: line.table, rows: [] };
      }
      // A NUL or a lone surrogate cannot be stored on PostgreSQL (or would be stored as something
      // else, breaking the audit hash chain): name the first such record instead of failing late.
      for (const [column, value] of Object.entries(line.row)) {
        const problem = typeof value === 'string' ? stringProblem(value) : null;
        if (problem) {
          const key = ['id', 'idx', 'digest', 'index', 'family'].map((k) => line.row[k]).filter((v) => v !== undefined).join(' ');
          throw new Error(`record ${n + 1} of the export (table ${line.table}${key ? `, ${key}` : ''}): column ${column} ${problem}; nothing was imported`);
        }
      }
      batch.rows.push(line.row);
      counts[line.table] = (counts[line.table] ?? 0) + 1;
      if (batch.rows.length >= 200) await flush();
      n++;
      onRow?.(n);
    }
    await flush();
  });
  return counts;
}
