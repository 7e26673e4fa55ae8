import { randomUUID } from 'node:crypto';
import { CharterError, authorAtApply, effectiveScopes, reviewTransition, type ChangeSetInput, type Plan, type Principal, type ReviewAct } from '@charter/core';
import type { Kysely } from 'kysely';
import { tokenStore } from '../store/token-store.js';
import { registryStore, type ChangeSetSummary, type StoredChangeSet } from '../store/registry-store.js';
import type { Database } from '../store/schema.js';

export type { ChangeSetSummary, StoredChangeSet };
import { ACTIONS, invalid, type Actor, type Registry } from './registry.js';

/** Rolls back a review step whose compare-and-set found the change set changed. */
const LOST_RACE = new Error('the change set changed under this review');

/** A change set as the API shows it (DESIGN §9 shape). */
export interface ChangeSetView extends StoredChangeSet {
  /** For an open or approved change set: its problems against the registry as it is now. */
  errors?: Plan['errors'];
}

/**
 * Contribution and review: submit, approve, reject, apply. Nobody writes entries directly:
 * the only way an entry changes is an approved change set applied atomically.
 */
export class ChangeSets {
  readonly #registry: Registry;
  readonly #db: Kysely<Database>;

  constructor(registry: Registry, db: Kysely<Database>) {
    this.#registry = registry;
    this.#db = db;
  }

  /** Validates and stores an open change set; with dryRun, returns the plan and stores nothing. */
  async submit(input: ChangeSetInput, actor: Actor, dryRun: boolean): Promise<{ changeset: StoredChangeSet | null; plan: Plan }> {
    const author = actor.principal;
    const plan = this.#registry.plan(input, author);
    if (plan.errors.length > 0) throw invalid(plan);
    if (dryRun) return { changeset: null, plan };
    const at = this.#registry.now().toISOString();
    const changeset: StoredChangeSet = {
      id: `cs_${randomUUID()}`,
      title: input.title,
      description: input.description ?? '',
      author: author.name,
      author_product: author.product,
      author_admin: author.admin,
      status: 'open',
      operations: input.operations,
      plan: plan.changes,
      approvals: [],
      rejection: null,
      sequence: null,
      created_at: at,
      updated_at: at,
    };
    await this.#registry.mutate(actor, ACTIONS.changesetSubmit, async (trx) => {
      await registryStore.insertChangeSet(trx, changeset, actor.token?.id ?? null);
      return { value: null, subject: [changeset.id], details: { changeset: changeset.id, title: changeset.title, operations: changeset.operations } };
    });
    return { changeset, plan };
  }

  async get(id: string): Promise<ChangeSetView> {
    const cs = await registryStore.changeSet(this.#db, id);
    if (!cs) throw new CharterError('NOT_FOUND', `no change set ${id}`);
    if (cs.status === 'open' || cs.status === 'approved') {
      const plan = this.#registry.plan(this.#input(cs), this.#author(cs));
      return { ...cs, plan: plan.changes, errors: plan.errors };
    }
    return cs;
  }

  list(opts: { status?: string; before?: { created_at: string; id: string }; limit: number }): Promise<StoredChangeSet[]> {
    return registryStore.changeSets(this.#db, opts);
  }

  /** The latest applied change sets, newest first, without operations and plans. */
  latestApplied(limit: number): Promise<ChangeSetSummary[]> {
    return registryStore.latestApplied(this.#db, limit);
  }

  /** The list without operations and plans (the portal's tables). */
  summaries(opts: { status?: string; before?: { created_at: string; id: string }; limit: number }): Promise<ChangeSetSummary[]> {
    return registryStore.changeSetSummaries(this.#db, opts);
  }

  /** Approval by a principal holding platform.registry.approve who is not the author. */
  async approve(id: string, actor: Actor, comment?: string): Promise<StoredChangeSet> {
    const at = this.#registry.now().toISOString();
    return this.#review(id, actor, { kind: 'approve', by: actor.principal, at, comment }, ACTIONS.changesetApprove, { approver: actor.principal.name, comment: comment ?? null });
  }

  async reject(id: string, actor: Actor, reason: string): Promise<StoredChangeSet> {
    const at = this.#registry.now().toISOString();
    return this.#review(id, actor, { kind: 'reject', by: actor.principal, at, reason }, ACTIONS.changesetReject, { reason });
  }

  /**
   * One review step, compare-and-set on the status (and approvals) it was decided from: a
   * concurrent review that got there first makes this one re-decide from the new state, and
   * a step the new state no longer allows answers 409 REVIEW_CONFLICT. Nothing is written, no
   * event logged, for the side that lost.
   */
  async #review(id: string, actor: Actor, act: ReviewAct, action: string, details: Record<string, unknown>): Promise<StoredChangeSet> {
    let cs = await this.#get(id);
    for (let attempt = 0; ; attempt++) {
      let next;
      try {
        next = reviewTransition(cs, act);
      } catch (err) {
        if (attempt > 0 && err instanceof CharterError && err.code === 'CHANGESET_STATE') {
          throw new CharterError('REVIEW_CONFLICT', `change set ${id} was ${cs.status} by a concurrent review: ${err.message}`, { extra: { changeset_status: cs.status } });
        }
        throw err;
      }
      if (!next.changed) return cs;
      const set = { status: next.status, approvals: next.approvals, rejection: next.rejection, updated_at: act.at };
      const read = cs;
      const stored = await this.#registry
        .mutate(actor, action, async (trx) => {
          if (!(await registryStore.updateChangeSet(trx, id, set, read))) throw LOST_RACE;
          return { value: null, subject: [id], details: { changeset: id, ...details } };
        })
        .then(() => true, (err: unknown) => {
          if (err === LOST_RACE) return false;
          throw err;
        });
      if (stored) return { ...cs, ...set };
      if (attempt >= 8) throw new CharterError('REVIEW_CONFLICT', `change set ${id} kept changing under concurrent reviews; try again`);
      cs = await this.#get(id);
    }
  }

  /**
   * Re-validates against the registry as it is now and applies every operation or none, with
   * the authority its author's token grants now; the event names the principal who applied it.
   */
  async apply(id: string, actor: Actor): Promise<StoredChangeSet> {
    const cs = await this.#get(id);
    reviewTransition(cs, { kind: 'apply', by: actor.principal, at: this.#registry.now().toISOString() });
    const author = await this.#authorNow(cs);
    const applied = await this.#registry.apply(this.#input(cs), author, { approvers: cs.approvals.map((a) => a.principal), existing: cs, actor });
    return applied.changeset;
  }

  async #get(id: string): Promise<StoredChangeSet> {
    const cs = await registryStore.changeSet(this.#db, id);
    if (!cs) throw new CharterError('NOT_FOUND', `no change set ${id}`);
    return cs;
  }

  /** The author's authority now (issue 9 item 13), from the token they submitted with. */
  async #authorNow(cs: StoredChangeSet): Promise<Principal> {
    const tokenId = await registryStore.changeSetAuthorToken(this.#db, cs.id);
    // Change sets stored before the submitting token was recorded keep the authority they were submitted with.
    if (tokenId === null) return this.#author(cs);
    const token = await tokenStore.byId(this.#db, tokenId);
    const now = this.#registry.now().getTime();
    return authorAtApply(cs, token, token ? effectiveScopes(this.#registry.catalog, token.scopes, now) : new Set(), now);
  }

  #input(cs: StoredChangeSet): ChangeSetInput {
    return { title: cs.title, description: cs.description, operations: cs.operations as ChangeSetInput['operations'] };
  }

  /** A change set is validated with the authority its author had when submitting it. */
  #author(cs: StoredChangeSet): Principal {
    return { name: cs.author, product: cs.author_product, admin: cs.author_admin };
  }
}
