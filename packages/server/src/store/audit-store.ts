import { sql, type Kysely, type Transaction } from 'kysely';
import { insertRows } from './insert-rows.js';
import type { AuditEventsTable, AuditNodesTable, Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** An audit event as stored: subject and details as JSON text. */
export type AuditEventRow = AuditEventsTable;
/** A perfect-subtree hash (hex) at level and index. */
export type AuditNodeRow = AuditNodesTable;

/** The SQL of the audit log: its state row, event rows and perfect-subtree hashes. */
export const auditStore = {
  /**
   * Takes the audit_state row lock (the write lock on SQLite) for the rest of the transaction
   * and reads the tree it guards. Every writer takes it first, so all writers of every replica
   * append in one order and never deadlock on it.
   */
  async lock(trx: Transaction<Database>): Promise<{ size: number; frontier: string[] }> {
    const row = await trx.updateTable('audit_state').set({ size: sql`size` }).where('id', '=', 1).returning(['size', 'frontier']).executeTakeFirstOrThrow();
    return { size: Number(row.size), frontier: JSON.parse(row.frontier) as string[] };
  },

  /** Writes a batch of events with their new tree nodes and moves the state row once. */
  async append(trx: Transaction<Database>, events: AuditEventRow[], nodes: AuditNodeRow[], state: { size: number; frontier: string[]; root: string }): Promise<void> {
    await insertRows(trx, 'audit_events', events);
    await insertRows(trx, 'audit_nodes', nodes);
    await trx.updateTable('audit_state').set({ size: state.size, frontier: JSON.stringify(state.frontier), root: state.root }).where('id', '=', 1).execute();
  },

  async state(db: Db): Promise<{ origin: string; size: number; root: string }> {
    const row = await db.selectFrom('audit_state').select(['origin', 'size', 'root']).where('id', '=', 1).executeTakeFirstOrThrow();
    return { origin: row.origin, size: Number(row.size), root: row.root };
  },

  async size(db: Db): Promise<number> {
    const row = await db.selectFrom('audit_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(row.size);
  },

  /** Events with the leaf hash the tree holds for each (not one recomputed from the row). */
  /** With `details: false` the details column is not read (null): a list of events does not show them and they can be large. */
  async events(db: Db, opts: { after?: number; limit: number; details?: boolean }): Promise<(Omit<AuditEventRow, 'details'> & { details: string | null; hash: string })[]> {
    let q = db
      .selectFrom('audit_events as e')
      .innerJoin('audit_nodes as n', (j) => j.onRef('n.idx', '=', 'e.idx').on('n.level', '=', 0))
      .select(['e.idx', 'e.action', 'e.actor', 'e.subject', 'e.at', 'e.request_id', 'e.details_digest', 'n.hash'])
      .select(opts.details === false ? sql<null>`null`.as('details') : sql<string>`e.details`.as('details'));
    if (opts.after !== undefined) q = q.where('e.idx', '>', opts.after);
    const rows = await q.orderBy('e.idx').limit(opts.limit).execute();
    return rows.map((r) => ({ ...r, idx: Number(r.idx) }));
  },

  /** Node hashes by `level/index`. */
  async nodes(db: Db, ids: readonly { level: number; index: number }[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('audit_nodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) => eb.or(ids.map((id) => eb.and([eb('level', '=', id.level), eb('idx', '=', id.index)]))))
      .execute();
    return new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, r.hash]));
  },
};
