import { randomUUID } from 'node:crypto';
import {
  Catalog,
  CharterError,
  planChangeSet,
  type ChangeSetInput,
  type CheckAnswer,
  type Operation,
  type Plan,
  type Principal,
  type Revision,
} from '@charter/core';
import type { Transaction } from 'kysely';
import { AuditLog } from '../audit/audit-log.js';
import type { LogKey } from '../audit/log-key.js';
import type { DatabaseHandle } from '../store/db.js';
import { GroupCommit, type Deferred, type StoredEvent } from '../store/group-commit.js';
import type { Database } from '../store/schema.js';
import { registryStore, type HistoryItem, type StoredChangeSet } from '../store/registry-store.js';

export type { HistoryItem };

export interface AppliedChangeSet {
  changeset: StoredChangeSet;
  plan: Plan;
  audit: StoredEvent;
}

/** Who did it, for the audit log. */
export interface Actor {
  principal: Principal;
  requestId: string | null;
  /** The token that acted and what it grants now; absent for Charter itself (first start, seed). */
  token?: { id: string; scopes: ReadonlySet<string>; expires_at: string | null };
}

export const ACTIONS = {
  changesetSubmit: 'audit-action:platform.changeset.submit',
  changesetApprove: 'audit-action:platform.changeset.approve',
  changesetReject: 'audit-action:platform.changeset.reject',
  changesetApply: 'audit-action:platform.changeset.apply',
  seedApply: 'audit-action:platform.seed.apply',
  tokenCreate: 'audit-action:platform.token.create',
  tokenRevoke: 'audit-action:platform.token.revoke',
  artifactRegister: 'audit-action:platform.artifact.register',
  evidenceAttach: 'audit-action:platform.evidence.attach',
  approvalRecord: 'audit-action:platform.approval.record',
  promotionDecide: 'audit-action:platform.promotion.decide',
  sessionCreate: 'audit-action:platform.session.create',
  sessionRevoke: 'audit-action:platform.session.revoke',
  admissionDeny: 'audit-action:platform.admission.deny',
} as const;

/**
 * The registry use cases. Reads are answered from the in-memory catalog (the hot path never
 * touches the database); writes take the database write lock, catch the catalog up with
 * every other writer, let core validate, and persist in one transaction.
 */
export class Registry {
  readonly catalog = new Catalog();
  readonly audit: AuditLog;
  readonly #handle: DatabaseHandle;
  readonly #clock: () => Date;
  readonly #writes: GroupCommit;
  #waiters = new Set<() => void>();
  #syncing: Promise<boolean> | null = null;
  #syncAgain: Promise<boolean> | null = null;
  #closing = false;
  #snapshot: { sequence: number; body: string } | null = null;

  constructor(handle: DatabaseHandle, logKey: LogKey, clock: () => Date = () => new Date()) {
    this.#handle = handle;
    this.#clock = clock;
    this.audit = new AuditLog(handle.db, this.catalog, logKey);
    this.#writes = new GroupCommit(handle.db);
  }

  /**
   * Runs a mutation and its audit event in one transaction: no change without its event, no
   * event without its change. The action is checked first (fail closed), once. Concurrent
   * mutations share a transaction and its commit (store/group-commit.ts); `fn` gets the time
   * and the log index of its event, and may run twice, so it only writes through `trx` (or
   * `later`, for new rows nothing later in the batch reads: one multi-row insert per batch).
   */
  async mutate<T>(
    actor: Actor,
    action: string,
    fn: (trx: Transaction<Database>, at: string, auditIndex: number, later: Deferred) => Promise<{ value: T; subject: string[]; details: unknown }>,
  ): Promise<{ value: T; audit: StoredEvent }> {
    const at = this.#clock().toISOString();
    this.audit.assertAction(action, Date.parse(at));
    const done = await this.#writes.submit(at, async (trx, at, index, later) => {
      const { value, subject, details } = await fn(trx, at, index, later);
      return { value, event: { action, actor: actor.principal.name, subject, request_id: actor.requestId, details } };
    });
    return done!;
  }

  /** Commits so far and the mutations they carried. */
  get writeStats(): Readonly<{ batches: number; mutations: number; retries: number }> {
    return this.#writes.stats;
  }

  /** Resolves once every write submitted so far has committed or failed. */
  settled(): Promise<void> {
    return this.#writes.settled();
  }

  now(): Date {
    return this.#clock();
  }

  async load(): Promise<void> {
    const [entries, sequence] = await Promise.all([registryStore.allEntries(this.#handle.db), registryStore.sequence(this.#handle.db)]);
    this.catalog.apply(entries, sequence);
  }

  /**
   * Catches up with writes made by other processes sharing the database. Returns true if it
   * moved. Calls that arrive while one runs share one more run after it (notifications burst).
   */
  sync(): Promise<boolean> {
    if (this.#syncing) return (this.#syncAgain ??= this.#syncing.catch(() => false).then(() => {
      this.#syncAgain = null;
      return this.sync();
    }));
    this.#syncing = this.#sync().finally(() => (this.#syncing = null));
    return this.#syncing;
  }

  async #sync(): Promise<boolean> {
    const sequence = await registryStore.sequence(this.#handle.db);
    if (sequence <= this.catalog.sequence) return false;
    this.catalog.apply(await registryStore.entriesAfter(this.#handle.db, this.catalog.sequence), sequence);
    this.#changed();
    return true;
  }

  /** An earlier revision of an entry, from the history. */
  revision(family: string, id: string, revision: number): Promise<Revision | undefined> {
    return registryStore.revision(this.#handle.db, family, id, revision);
  }

  /** Revisions of an entry, newest first, below `before`, each with the audit event that recorded it. */
  history(family: string, id: string, opts: { before?: number | undefined; limit: number }): Promise<HistoryItem[]> {
    return registryStore.history(this.#handle.db, family, id, opts);
  }

  /** Every revision written at sequences after `after` up to `upTo` (the change feed). */
  revisionsBetween(after: number, upTo: number): Promise<Revision[]> {
    return registryStore.revisionsBetween(this.#handle.db, after, upTo);
  }

  /** Throws when the database does not answer (readiness). */
  async ping(): Promise<void> {
    await registryStore.sequence(this.#handle.db);
  }

  check(refs: readonly string[]): CheckAnswer {
    return this.catalog.checkAll(refs, this.#clock().getTime());
  }

  /** The whole catalog as one JSON document, serialized once per sequence. */
  snapshot(): { sequence: number; body: string } {
    const sequence = this.catalog.sequence;
    if (this.#snapshot?.sequence !== sequence) {
      const entries = [...this.catalog.entries()].sort((a, b) => (a.family === b.family ? (a.id < b.id ? -1 : 1) : a.family < b.family ? -1 : 1));
      this.#snapshot = { sequence, body: JSON.stringify({ sequence, generated_at: this.#clock().toISOString(), entries }) };
    }
    return this.#snapshot;
  }

  /** Resolves when the sequence passes `after`, or after `timeoutMs` (long-poll). */
  waitForChange(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.catalog.sequence > after || timeoutMs <= 0 || this.#closing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const wake = () => {
        if (this.catalog.sequence > after || this.#closing) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(wake);
      signal?.addEventListener('abort', done);
    });
  }

  #changed(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Answers every waiting long-poll now (on shutdown, so close never waits for them). */
  releaseWaiters(): void {
    this.#closing = true;
    for (const w of [...this.#waiters]) w();
  }

  /** Validates without storing anything (dry run / plan). */
  plan(input: unknown, principal: Principal): Plan {
    return planChangeSet(this.catalog, input, principal, this.#clock().toISOString());
  }

  /**
   * Validates and applies a change set in one transaction: every operation or none, with its
   * change-set record. Approvals are the caller's business (the seed is approved by policy).
   */
  async apply(
    input: ChangeSetInput,
    principal: Principal,
    opts: { approvers: string[]; changesetId?: string; existing?: StoredChangeSet; requestId?: string | null; actor?: Actor },
  ): Promise<AppliedChangeSet> {
    const applied = await this.applyDerived(() => input, principal, opts);
    return applied!;
  }

  /**
   * Like `apply`, but the change set is derived from the registry as it stands under the write
   * lock (the seed: "create what is missing" must be decided after other starters finished).
   * Returns null, storing nothing, when the derivation yields no operations.
   */
  async applyDerived(
    derive: (view: Catalog) => ChangeSetInput | null,
    principal: Principal,
    opts: {
      approvers: string[];
      changesetId?: string;
      existing?: StoredChangeSet;
      requestId?: string | null;
      action?: string;
      /** Who applies it, when not the author: the audit event names them, the author goes in the details. */
      actor?: Actor;
    },
  ): Promise<AppliedChangeSet | null> {
    const at = this.#clock().toISOString();
    const id = opts.changesetId ?? opts.existing?.id ?? `cs_${randomUUID()}`;
    const action = opts.action ?? ACTIONS.changesetApply;
    const done = await this.#writes.submit<Omit<AppliedChangeSet, 'audit'>>(
      at,
      async (trx, at, auditIndex) => {
        const sequence = await registryStore.nextSequence(trx);
        // Under the write lock: whatever other processes applied before us is now visible.
        if (sequence - 1 > this.catalog.sequence) {
          this.catalog.apply(await registryStore.entriesAfter(trx, this.catalog.sequence), sequence - 1);
        }
        // The very first seed creates the audit actions it is recorded under.
        this.audit.assertAction(action, Date.parse(at), sequence === 1 && action === ACTIONS.seedApply);
        let row: StoredChangeSet | undefined;
        if (opts.existing) {
          // Under the write lock: a change set is applied once, and only when approved.
          row = await registryStore.changeSet(trx, opts.existing.id);
          if (row?.status !== 'approved') throw new CharterError('CHANGESET_STATE', `change set ${opts.existing.id} is ${row?.status ?? 'unknown'}; only an approved change set can be applied`);
        }
        const input = derive(this.catalog);
        if (input === null || input.operations.length === 0) return null;
        const plan = planChangeSet(this.catalog, input, principal, at);
        if (plan.errors.length > 0) throw invalid(plan);
        const reasons = new Map<string, string | null>();
        input.operations.forEach((op: Operation) => {
          if (op.op === 'transition') reasons.set(`${op.family}:${op.id}`, op.reason ?? null);
        });
        if (this.#handle.engine === 'postgres') await registryStore.notifyMoved(trx, sequence);
        await registryStore.writeChanges(trx, plan.changes, { sequence, changeset: id, author: principal.name, approvers: opts.approvers, reasons, at, auditIndex });
        const changeset: StoredChangeSet = {
          id,
          title: input.title,
          description: input.description ?? '',
          author: opts.existing?.author ?? principal.name,
          author_product: opts.existing?.author_product ?? principal.product,
          author_admin: opts.existing?.author_admin ?? principal.admin,
          status: 'applied',
          operations: input.operations,
          plan: plan.changes,
          approvals: opts.existing?.approvals ?? opts.approvers.map((p) => ({ principal: p, at })),
          rejection: null,
          sequence,
          created_at: opts.existing?.created_at ?? at,
          updated_at: at,
        };
        if (opts.existing) {
          // Compare-and-set: a reject that committed since the check above leaves nothing applied.
          const stored = await registryStore.updateChangeSet(trx, id, { status: 'applied', plan: changeset.plan, sequence, updated_at: at }, { status: 'approved', approvals: row!.approvals });
          if (!stored) throw new CharterError('REVIEW_CONFLICT', `change set ${id} was reviewed again while it was being applied; nothing was applied`);
        } else await registryStore.insertChangeSet(trx, changeset);
        return {
          value: { changeset, plan },
          event: {
            action,
            actor: opts.actor?.principal.name ?? principal.name,
            subject: [id, ...plan.changes.map((c) => `${c.ref}@${c.after.revision}`)],
            request_id: opts.actor?.requestId ?? opts.requestId ?? null,
            details: { changeset: id, sequence, author: changeset.author, approvers: opts.approvers, changes: plan.changes.map((c) => ({ ref: c.ref, action: c.action, revision: c.after.revision, lifecycle: c.after.lifecycle })) },
          },
        };
      },
      {
        // Re-validated under the lock, so it may fail; and what follows it is validated
        // against the catalog it moves.
        isolated: true,
        endsBatch: true,
        committed: (applied) => {
          this.catalog.apply(
            applied.plan.changes.map((c) => c.after),
            applied.changeset.sequence!,
          );
          this.#changed();
        },
      },
    );
    if (done === null) return null;
    return { ...done.value, audit: done.audit };
  }
}

/** The error for a refused change set: 409 when only revisions are stale, 422 otherwise. */
export function invalid(plan: Plan): CharterError {
  const onlyStale = plan.errors.every((e) => e.code === 'REVISION_MISMATCH');
  return new CharterError(onlyStale ? 'REVISION_MISMATCH' : 'CHANGESET_INVALID', `the change set has ${plan.errors.length} problem(s); nothing was applied`, {
    errors: plan.errors,
  });
}
