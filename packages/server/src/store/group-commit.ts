import { CompactTree, eventLeafHash, jsonDigest, type AuditEvent } from '@charter/core';
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import { auditStore, type AuditEventRow, type AuditNodeRow } from './audit-store.js';
import { insertRows } from './insert-rows.js';
import type { Database } from './schema.js';

/** What a use case says about its mutation; the log adds index, time and digest. */
export interface AuditRecord {
  action: string;
  actor: string;
  subject: string[];
  request_id: string | null;
  details: unknown;
}

export interface StoredEvent extends AuditEvent {
  leaf_hash: string;
  details: unknown;
}

/**
 * Rows a mutation adds that nothing later in its batch reads (a new token, a new trusted
 * evidence item): the batch writes them with one multi-row insert per table, just before its
 * audit events, instead of one statement each. On PostgreSQL that is one round trip for the
 * batch instead of one per mutation. A row that cannot be written (a key conflict) fails its
 * batch's first run; the run behind savepoints writes each mutation's rows with it, so only
 * that mutation fails.
 */
export interface Deferred {
  insert<T extends keyof Database & string>(table: T, row: Insertable<Database[T]>): void;
}

class Inserts implements Deferred {
  readonly #tables = new Map<string, Record<string, unknown>[]>();

  insert<T extends keyof Database & string>(table: T, row: Insertable<Database[T]>): void {
    let rows = this.#tables.get(table);
    if (!rows) this.#tables.set(table, (rows = []));
    rows.push(row as Record<string, unknown>);
  }

  /** Writes what was deferred, table by table in the order first used, rows in the order given. */
  async flush(trx: Transaction<Database>): Promise<void> {
    // Each table name came with its rows through the typed `insert` above.
    for (const [table, rows] of this.#tables) await insertRows(trx, table as keyof Database & string, rows as never);
    this.#tables.clear();
  }

  clear(): void {
    this.#tables.clear();
  }
}

/**
 * One mutation's writes. It runs inside the committer's transaction with the time and the log
 * index its event will get, writes its rows (through `trx`, or through `later` for rows no
 * later mutation of the batch reads) and says what to log; `null` means it found nothing to do
 * (only for `isolated` work: its writes are rolled back). It may run twice (see below), so it
 * must not have effects outside the transaction.
 */
export type Work<T> = (trx: Transaction<Database>, at: string, index: number, later: Deferred) => Promise<{ value: T; event: AuditRecord } | null>;

export interface WorkOptions<T> {
  /**
   * Work that is expected to fail at times (a change set re-validated under the lock) runs
   * behind a savepoint from the start instead of costing its batch a retry.
   */
  isolated?: boolean;
  /**
   * The batch ends with this work. For work whose effects later work must see outside the
   * database (a change set moves the in-memory catalog, which validates what follows).
   */
  endsBatch?: boolean;
  /** Runs after the commit and before the caller hears of it (the catalog moves). */
  committed?: (value: T) => void;
}

export type Committed<T> = { value: T; audit: StoredEvent } | null;

interface Pending {
  at: string;
  work: Work<unknown>;
  opts: WorkOptions<unknown>;
  resolve(v: Committed<unknown>): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; done: Committed<unknown> } | { ok: false; err: unknown };

/** Thrown out of a batch run without savepoints: one mutation failed, so all are retried behind savepoints. */
class BatchFailure extends Error {
  constructor(readonly index: number, override readonly cause: unknown) {
    super('a mutation of the batch failed');
  }
}
/** Rolls back a one-mutation batch whose work found nothing to do. */
const NOTHING = new Error('nothing to write');

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

/**
 * Group commit for every audit-logged mutation. Callers validate first and submit their writes;
 * the committer takes everything queued, runs it in one transaction in queue order with one
 * Merkle append per event (the frontier is written once per batch), commits once, and only then
 * answers each caller. Savepoints keep one mutation's failure from failing its neighbours: a batch
 * runs without them and, if a mutation fails, is rolled back and run once more with a savepoint
 * around each mutation. Every batch takes the audit_state row lock first, so the log stays one
 * linear sequence across batches and across replicas sharing a PostgreSQL database.
 */
export class GroupCommit {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  #queue: Pending[] = [];
  #running = false;
  #idle: (() => void)[] = [];
  /** Transactions committed and mutations they carried (for tests and metrics). */
  readonly stats = { batches: 0, mutations: 0, retries: 0 };

  constructor(db: Kysely<Database>, opts: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 256;
  }

  submit<T>(at: string, work: Work<T>, opts: WorkOptions<T> = {}): Promise<Committed<T>> {
    return new Promise<Committed<T>>((resolve, reject) => {
      this.#queue.push({ at, work, opts: opts as WorkOptions<unknown>, resolve: resolve as (v: Committed<unknown>) => void, reject });
      if (!this.#running) {
        this.#running = true;
        // After the current turn of the event loop: requests that arrived together commit together.
        setImmediate(() => void this.#drain());
      }
    });
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  settled(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      let n = 0;
      while (n < this.#queue.length && n < this.#maxBatch) if (this.#queue[n++]!.opts.endsBatch) break;
      const batch = this.#queue.splice(0, n);
      const outcomes = await this.#commit(batch);
      batch.forEach((job, i) => {
        const o = outcomes[i]!;
        if (!o.ok) return job.reject(o.err);
        try {
          if (o.done) job.opts.committed?.(o.done.value);
        } catch (err) {
          return job.reject(err);
        }
        job.resolve(o.done);
      });
      // Let the requests that arrived during the commit join the next batch.
      if (this.#queue.length > 0) await new Promise((r) => setImmediate(r));
    }
    this.#running = false;
    for (const f of this.#idle.splice(0)) f();
  }

  async #commit(batch: Pending[]): Promise<Outcome[]> {
    const isolated = batch.length > 1 && batch.some((j) => j.opts.isolated);
    try {
      return await this.#run(batch, isolated);
    } catch (err) {
      if (err === NOTHING) return [{ ok: true, done: null }];
      if (err instanceof BatchFailure && batch.length > 1 && !isolated) {
        this.stats.retries++;
        try {
          return await this.#run(batch, true);
        } catch (again) {
          return batch.map(() => ({ ok: false, err: again }));
        }
      }
      const cause = err instanceof BatchFailure ? err.cause : err;
      return batch.map(() => ({ ok: false, err: cause }));
    }
  }

  async #run(batch: Pending[], savepoints: boolean): Promise<Outcome[]> {
    return this.#db.transaction().execute(async (trx) => {
      const outcomes: Outcome[] = [];
      const state = await auditStore.lock(trx);
      const tree = CompactTree.fromFrontier(state.size, state.frontier.map(unhex));
      let size = state.size;
      const events: AuditEventRow[] = [];
      const nodes: AuditNodeRow[] = [];
      const later = new Inserts();
      for (const [i, job] of batch.entries()) {
        if (savepoints) await sql`savepoint charter_mutation`.execute(trx);
        let written;
        try {
          written = await job.work(trx, job.at, size, later);
          // Behind a savepoint each mutation's deferred rows are written with it.
          if (savepoints && written !== null) await later.flush(trx);
        } catch (err) {
          if (!savepoints) throw new BatchFailure(i, err);
          await sql`rollback to savepoint charter_mutation`.execute(trx);
          later.clear();
          outcomes.push({ ok: false, err });
          continue;
        }
        if (written === null) {
          if (!savepoints) {
            if (batch.length === 1) throw NOTHING;
            throw new BatchFailure(i, new Error('only isolated work may find nothing to do'));
          }
          await sql`rollback to savepoint charter_mutation`.execute(trx);
          later.clear();
          outcomes.push({ ok: true, done: null });
          continue;
        }
        if (savepoints) await sql`release savepoint charter_mutation`.execute(trx);
        const rec = written.event;
        const event: AuditEvent = { index: size, action: rec.action, actor: rec.actor, subject: rec.subject, at: job.at, request_id: rec.request_id, details_digest: jsonDigest(rec.details ?? null) };
        const leaf = eventLeafHash(event);
        for (const n of tree.append(leaf)) nodes.push({ level: n.level, idx: n.index, hash: hex(n.hash) });
        events.push({ idx: size, action: event.action, actor: event.actor, subject: JSON.stringify(event.subject), at: job.at, request_id: event.request_id, details: JSON.stringify(rec.details ?? null), details_digest: event.details_digest });
        size++;
        outcomes.push({ ok: true, done: { value: written.value, audit: { ...event, leaf_hash: Buffer.from(leaf).toString('base64'), details: rec.details ?? null } } });
      }
      if (!savepoints) {
        try {
          await later.flush(trx);
        } catch (err) {
          throw new BatchFailure(-1, err);
        }
      }
      if (events.length > 0) await auditStore.append(trx, events, nodes, { size, frontier: tree.frontier().map(hex), root: hex(tree.root()) });
      return outcomes;
    }).then((outcomes) => {
      this.stats.batches++;
      this.stats.mutations += outcomes.filter((o) => o.ok && o.done).length;
      return outcomes;
    });
  }
}
