import type { Entry, PlannedChange, Revision } from '@charter/core';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Selectable } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StoredChangeSet {
  id: string;
  title: string;
  description: string;
  author: string;
  author_product: string | null;
  author_admin: boolean;
  status: 'open' | 'approved' | 'applied' | 'rejected';
  operations: unknown[];
  plan: PlannedChange[];
  approvals: { principal: string; at: string; comment?: string }[];
  /** Who rejected it, when and why. */
  rejection: { principal: string; at: string; reason: string } | null;
  sequence: number | null;
  created_at: string;
  updated_at: string;
}

/** A revision with the audit event that recorded it: index, and the leaf hash read from the tree. */
export interface HistoryItem extends Revision {
  audit_index: number | null;
  leaf_hash: string | null;
}

/** A change set without its operations and plan: what a list shows (a seed's plan alone can be megabytes). */
export type ChangeSetSummary = Omit<StoredChangeSet, 'operations' | 'plan'>;

const SUMMARY = ['id', 'title', 'description', 'author', 'author_product', 'author_admin', 'status', 'approvals', 'rejection', 'sequence', 'created_at', 'updated_at'] as const;

function toSummary(r: Pick<Selectable<Database['changesets']>, (typeof SUMMARY)[number]>): ChangeSetSummary {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    author: r.author,
    author_product: r.author_product,
    author_admin: Number(r.author_admin) === 1,
    status: r.status as StoredChangeSet['status'],
    approvals: JSON.parse(r.approvals) as StoredChangeSet['approvals'],
    rejection: r.rejection ? (JSON.parse(r.rejection) as StoredChangeSet['rejection']) : null,
    sequence: r.sequence === null ? null : Number(r.sequence),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

function toRevision(r: Selectable<Database['revisions']>): Revision {
  return {
    family: r.family as Revision['family'],
    id: r.id,
    revision: r.revision,
    sequence: Number(r.sequence),
    changeset: r.changeset_id,
    author: r.author,
    approvers: JSON.parse(r.approvers) as string[],
    operation: r.operation as Revision['operation'],
    reason: r.reason,
    entry: JSON.parse(r.body) as Entry,
    at: r.at,
  };
}

function toChangeSet(r: Selectable<Database['changesets']>): StoredChangeSet {
  return { ...toSummary(r), operations: JSON.parse(r.operations) as unknown[], plan: JSON.parse(r.plan) };
}

/** The PostgreSQL NOTIFY channel on which a replica announces a new registry sequence. */
export const REGISTRY_CHANNEL = 'charter_registry';

/** Persistence of registry state. Knows SQL, not rules: every decision is made in core. */
export const registryStore = {
  async sequence(db: Db): Promise<number> {
    const row = await db.selectFrom('registry_state').select('sequence').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(row.sequence);
  },

  /** Tells replicas listening on PostgreSQL that the sequence moved; delivered when the transaction commits. */
  async notifyMoved(trx: Transaction<Database>, sequence: number): Promise<void> {
    await sql`select pg_notify(${REGISTRY_CHANNEL}, ${String(sequence)})`.execute(trx);
  },

  /** The seed files the registry last took in (see applySeed). */
  async seedState(db: Db): Promise<{ digest: string; sequence: number } | undefined> {
    const row = await db.selectFrom('seed_state').select(['digest', 'sequence']).where('id', '=', 1).executeTakeFirst();
    return row && { digest: row.digest, sequence: Number(row.sequence) };
  },

  async recordSeed(db: Db, digest: string, sequence: number): Promise<void> {
    // Servers starting together may all record it: the last one wins, all write the same.
    await db
      .insertInto('seed_state')
      .values({ id: 1, digest, sequence })
      .onConflict((oc) => oc.column('id').doUpdateSet({ digest, sequence }))
      .execute();
  },

  /**
   * Takes the registry write lock and returns the next sequence. On PostgreSQL the row lock
   * serializes writers across processes until the transaction ends; a rollback undoes the bump,
   * so sequences stay dense.
   */
  async nextSequence(trx: Transaction<Database>): Promise<number> {
    const row = await trx
      .updateTable('registry_state')
      .set({ sequence: sql`sequence + 1` })
      .where('id', '=', 1)
      .returning('sequence')
      .executeTakeFirstOrThrow();
    return Number(row.sequence);
  },

  async allEntries(db: Db): Promise<Entry[]> {
    const rows = await db.selectFrom('entries').select('body').execute();
    return rows.map((r) => JSON.parse(r.body) as Entry);
  },

  /** Current entries changed after `sequence` (for catching up with other writers). */
  async entriesAfter(db: Db, sequence: number): Promise<Entry[]> {
    const rows = await db.selectFrom('entries').select('body').where('sequence', '>', sequence).execute();
    return rows.map((r) => JSON.parse(r.body) as Entry);
  },

  async writeChanges(
    trx: Transaction<Database>,
    changes: PlannedChange[],
    meta: { sequence: number; changeset: string; author: string; approvers: string[]; reasons: Map<string, string | null>; at: string; auditIndex: number },
  ): Promise<void> {
    for (const c of changes) {
      const body = JSON.stringify(c.after);
      if (c.before === null) {
        await trx.insertInto('reserved_ids').values({ family: c.family, id: c.id, reserved_at: meta.at, changeset_id: meta.changeset }).execute();
        await trx
          .insertInto('entries')
          .values({ family: c.family, id: c.id, owner: c.after.owner, lifecycle: c.after.lifecycle, revision: c.after.revision, sequence: meta.sequence, body, updated_at: meta.at })
          .execute();
      } else {
        const res = await trx
          .updateTable('entries')
          .set({ lifecycle: c.after.lifecycle, revision: c.after.revision, sequence: meta.sequence, body, updated_at: meta.at })
          .where('family', '=', c.family)
          .where('id', '=', c.id)
          .where('revision', '=', c.before.revision)
          .executeTakeFirst();
        // Core validated against the state under the write lock; a miss here means that state was stale.
        if (Number(res.numUpdatedRows) !== 1) throw new Error(`lost update prevented on ${c.ref}: revision ${c.before.revision} is no longer current`);
      }
      await trx
        .insertInto('revisions')
        .values({
          family: c.family,
          id: c.id,
          revision: c.after.revision,
          sequence: meta.sequence,
          changeset_id: meta.changeset,
          author: meta.author,
          approvers: JSON.stringify(meta.approvers),
          operation: c.action,
          reason: meta.reasons.get(c.ref) ?? null,
          body,
          at: meta.at,
          audit_index: meta.auditIndex,
        })
        .execute();
    }
  },

  /** Newest first; one query, the leaf hash joined from the tree (an edited event row would not change it). */
  async history(db: Db, family: string, id: string, opts: { before?: number; limit: number }): Promise<HistoryItem[]> {
    let q = db
      .selectFrom('revisions as r')
      .leftJoin('audit_nodes as n', (j) => j.onRef('n.idx', '=', 'r.audit_index').on('n.level', '=', 0))
      .selectAll('r')
      .select('n.hash as leaf')
      .where('r.family', '=', family)
      .where('r.id', '=', id);
    if (opts.before !== undefined) q = q.where('r.revision', '<', opts.before);
    const rows = await q.orderBy('r.revision', 'desc').limit(opts.limit).execute();
    return rows.map((r) => ({
      ...toRevision(r),
      audit_index: r.audit_index === null ? null : Number(r.audit_index),
      leaf_hash: r.leaf ? Buffer.from(r.leaf, 'hex').toString('base64') : null,
    }));
  },

  /** The latest applied change sets, for the portal's home page. */
  async latestApplied(db: Db, limit: number): Promise<ChangeSetSummary[]> {
    const rows = await db.selectFrom('changesets').select(SUMMARY).where('status', '=', 'applied').orderBy('sequence', 'desc').limit(limit).execute();
    return rows.map(toSummary);
  },

  /** Like changeSets, without operations and plans. */
  async changeSetSummaries(db: Db, opts: { status?: string; before?: { created_at: string; id: string }; limit: number }): Promise<ChangeSetSummary[]> {
    let q = db.selectFrom('changesets').select(SUMMARY);
    if (opts.status) q = q.where('status', '=', opts.status);
    if (opts.before) {
      const b = opts.before;
      q = q.where((eb) => eb.or([eb('created_at', '<', b.created_at), eb.and([eb('created_at', '=', b.created_at), eb('id', '<', b.id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
    return rows.map(toSummary);
  },

  async revision(db: Db, family: string, id: string, revision: number): Promise<Revision | undefined> {
    const row = await db.selectFrom('revisions').selectAll().where('family', '=', family).where('id', '=', id).where('revision', '=', revision).executeTakeFirst();
    return row ? toRevision(row) : undefined;
  },

  /** Revisions with after < sequence <= upTo, in order: the change feed. */
  async revisionsBetween(db: Db, after: number, upTo: number): Promise<Revision[]> {
    const rows = await db
      .selectFrom('revisions')
      .selectAll()
      .where('sequence', '>', after)
      .where('sequence', '<=', upTo)
      .orderBy('sequence')
      .orderBy('family')
      .orderBy('id')
      .execute();
    return rows.map(toRevision);
  },

  async insertChangeSet(trx: Db, cs: StoredChangeSet, authorToken: string | null = null): Promise<void> {
    await trx
      .insertInto('changesets')
      .values({
        id: cs.id,
        title: cs.title,
        description: cs.description,
        author: cs.author,
        author_product: cs.author_product,
        author_admin: cs.author_admin ? 1 : 0,
        status: cs.status,
        operations: JSON.stringify(cs.operations),
        plan: JSON.stringify(cs.plan),
        approvals: JSON.stringify(cs.approvals),
        rejection: cs.rejection ? JSON.stringify(cs.rejection) : null,
        sequence: cs.sequence,
        created_at: cs.created_at,
        updated_at: cs.updated_at,
        author_token: authorToken,
      })
      .execute();
  },

  /** The id of the token a change set was submitted with (null for change sets older than that record). */
  async changeSetAuthorToken(db: Db, id: string): Promise<string | null> {
    const row = await db.selectFrom('changesets').select('author_token').where('id', '=', id).executeTakeFirst();
    return row?.author_token ?? null;
  },

  /**
   * Updates a change set; with `expect`, only if its status (and approvals) are still the ones
   * read (compare-and-set). Returns whether the row was updated.
   */
  async updateChangeSet(
    db: Db,
    id: string,
    set: Partial<Pick<StoredChangeSet, 'status' | 'plan' | 'approvals' | 'sequence' | 'updated_at' | 'rejection'>>,
    expect?: Pick<StoredChangeSet, 'status' | 'approvals'>,
  ): Promise<boolean> {
    const values: Record<string, unknown> = {};
    if (set.status !== undefined) values.status = set.status;
    if (set.plan !== undefined) values.plan = JSON.stringify(set.plan);
    if (set.approvals !== undefined) values.approvals = JSON.stringify(set.approvals);
    if (set.sequence !== undefined) values.sequence = set.sequence;
    if (set.updated_at !== undefined) values.updated_at = set.updated_at;
    if (set.rejection !== undefined) values.rejection = set.rejection ? JSON.stringify(set.rejection) : null;
    let q = db.updateTable('changesets').set(values).where('id', '=', id);
    if (expect) q = q.where('status', '=', expect.status).where('approvals', '=', JSON.stringify(expect.approvals));
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },

  async changeSets(db: Db, opts: { status?: string; before?: { created_at: string; id: string }; limit: number }): Promise<StoredChangeSet[]> {
    let q = db.selectFrom('changesets').selectAll();
    if (opts.status) q = q.where('status', '=', opts.status);
    if (opts.before) {
      const b = opts.before;
      q = q.where((eb) => eb.or([eb('created_at', '<', b.created_at), eb.and([eb('created_at', '=', b.created_at), eb('id', '<', b.id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
    return rows.map(toChangeSet);
  },

  async changeSet(db: Db, id: string): Promise<StoredChangeSet | undefined> {
    const row = await db.selectFrom('changesets').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toChangeSet(row) : undefined;
  },
};
