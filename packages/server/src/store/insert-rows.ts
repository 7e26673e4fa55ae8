import type { Insertable, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Bound parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 30_000;

/** Inserts rows of one table in order, with as few multi-row statements as that bound allows. */
export async function insertRows<T extends keyof Database & string>(trx: Transaction<Database>, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  if (rows.length === 0) return;
  const per = Math.max(1, Math.floor(MAX_PARAMS / Object.keys(rows[0]!).length));
  for (let i = 0; i < rows.length; i += per) {
    await trx.insertInto(table as keyof Database).values(rows.slice(i, i + per) as never).execute();
  }
}
